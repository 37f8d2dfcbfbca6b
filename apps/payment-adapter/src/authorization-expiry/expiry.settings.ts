import { AdapterConfig } from '../config/adapter.config';

/** The expiry job's part of the configuration (EXPIRY_*, REAUTHORIZE_BEFORE_HOURS; HOLD_TTL_HOURS sets expiresAt). */
export class ExpirySettings {
  constructor(
    readonly enabled: boolean,
    readonly cron: string,
    readonly batchSize: number,
    readonly reauthorizeBeforeMs: number,
    /** How long a claimed authorization is kept from other instances' runs (a crashed run's come back after it). */
    readonly claimSeconds: number,
  ) {}

  static from(c: AdapterConfig): ExpirySettings {
    return new ExpirySettings(c.EXPIRY_JOB_ENABLED, c.EXPIRY_CRON, c.EXPIRY_BATCH_SIZE, c.reauthorizeBeforeMs, c.ROW_LEASE_SECONDS);
  }
}
