import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The adapter's Prometheus metrics, in one registry (served at /metrics). Gauges that need the database or
 * the provider are filled in when scraped (see MetricsController).
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'gcpa_http_request_duration_seconds',
    help: 'OMS-facing requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly providerCalls = new Histogram({
    name: 'gcpa_provider_call_duration_seconds',
    help: 'Stored-value provider calls by operation and outcome (SUCCEEDED, DECLINED, FAILED, UNKNOWN)',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly settlementTransitions = new Counter({
    name: 'gcpa_settlement_transitions_total',
    help: 'Settlement state changes by event (REDEEMED = settled, FAILED, RETRY_LATER...)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly refundsToNewCards = new Counter({
    name: 'gcpa_refunds_to_new_cards_total',
    help: 'Refunds loaded onto a new card, by kind (REFUND within what the order settled, CREDIT beyond it)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly settlementBacklog = new Gauge({
    name: 'gcpa_settlement_backlog',
    help: 'Batch settlements waiting for the job (OPEN)',
    registers: [this.registry],
  });

  readonly unresolvedProviderCalls = new Gauge({
    name: 'gcpa_provider_calls_unresolved',
    help: 'Provider calls whose outcome is still unknown (PENDING or UNKNOWN)',
    registers: [this.registry],
  });

  readonly reauthorizations = new Counter({
    name: 'gcpa_reauthorizations_total',
    help: 'Re-authorizations of holds near their expiry by outcome (REAUTHORIZED in full, SHORT, DECLINED, NOT_PROCESSED: tried again next run)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly authorizationExpiries = new Counter({
    name: 'gcpa_authorization_expiries_total',
    help: 'Authorizations closed EXPIRED by the expiry job, by what became of their hold (RELEASED now, or LATER by the recovery sweep)',
    labelNames: ['release'] as const,
    registers: [this.registry],
  });

  readonly circuitOpen = new Gauge({
    name: 'gcpa_provider_circuit_state',
    help: 'Provider circuit breaker: 0 closed, 1 half-open, 2 open',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gcpa_' });
  }
}
