import { AdapterConfig } from '../config/adapter.config';
import { BackoffPolicy } from './backoff';

/** The batch settlement job's part of the configuration (SETTLEMENT_* variables). */
export class SettlementJobSettings {
  constructor(
    readonly enabled: boolean,
    readonly cron: string,
    readonly concurrency: number,
    readonly batchSize: number,
    readonly maxAttempts: number,
    readonly leaseSeconds: number,
    readonly backoff: BackoffPolicy,
  ) {}

  static from(c: AdapterConfig): SettlementJobSettings {
    return new SettlementJobSettings(
      c.SETTLEMENT_JOB_ENABLED,
      c.SETTLEMENT_CRON,
      c.SETTLEMENT_CONCURRENCY,
      c.SETTLEMENT_BATCH_SIZE,
      c.SETTLEMENT_MAX_ATTEMPTS,
      c.SETTLEMENT_LEASE_SECONDS,
      { baseMs: c.SETTLEMENT_RETRY_BASE_MS, maxMs: c.SETTLEMENT_RETRY_MAX_MS },
    );
  }
}
