import { AdapterConfig } from '../config/adapter.config';
import { BackoffPolicy } from '../settlement-job/backoff';

/** The notifications' part of the configuration (WEBHOOK_* variables). */
export class WebhookSettings {
  constructor(
    /** Null: notifications are off (nothing written to the outbox, nothing sent). */
    readonly url: string | null,
    readonly secret: string | null,
    readonly timeoutMs: number,
    readonly pollIntervalMs: number,
    readonly leaseSeconds: number,
    readonly batchSize: number,
    readonly retryForMs: number,
    readonly backoff: BackoffPolicy,
  ) {}

  get enabled(): boolean {
    return this.url !== null && this.secret !== null;
  }

  static from(c: AdapterConfig): WebhookSettings {
    return new WebhookSettings(
      c.WEBHOOK_URL ?? null,
      c.WEBHOOK_SECRET ?? null,
      c.WEBHOOK_TIMEOUT_MS,
      c.WEBHOOK_POLL_INTERVAL_MS,
      c.WEBHOOK_LEASE_SECONDS,
      c.WEBHOOK_BATCH_SIZE,
      c.WEBHOOK_RETRY_FOR_SECONDS * 1000,
      { baseMs: c.WEBHOOK_RETRY_BASE_MS, maxMs: c.WEBHOOK_RETRY_MAX_MS },
    );
  }
}
