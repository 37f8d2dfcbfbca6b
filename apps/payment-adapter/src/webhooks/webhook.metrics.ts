import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Metrics } from '../observability/metrics';
import { WebhookDeliveries } from './webhook-deliveries.repository';

/** Webhook metrics, in the adapter's registry (served at /metrics). */
@Injectable()
export class WebhookMetrics {
  /** Attempts by outcome: DELIVERED (2xx), RETRY (to be tried again), FAILED (given up: listed for an operator). */
  readonly attempts: Counter<'outcome'>;

  constructor(metrics: Metrics, deliveries: WebhookDeliveries) {
    this.attempts = new Counter({
      name: 'gcpa_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (DELIVERED = 2xx, RETRY = tried again later, FAILED = given up)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'gcpa_webhook_deliveries',
      help: 'Webhook deliveries waiting to be sent (PENDING) or given up on (FAILED), read when scraped',
      labelNames: ['status'] as const,
      registers: [metrics.registry],
      async collect() {
        const counts = await deliveries.counts().catch(() => null);
        if (!counts) return;
        this.set({ status: 'PENDING' }, counts.PENDING);
        this.set({ status: 'FAILED' }, counts.FAILED);
      },
    });
  }
}
