import { AdapterConfig } from '../config/adapter.config';

/** The recovery sweep's part of the configuration (RECOVERY_* variables). */
export class RecoverySettings {
  constructor(
    readonly enabled: boolean,
    readonly cron: string,
    readonly maxAttempts: number,
    readonly batchSize: number,
  ) {}

  static from(c: AdapterConfig): RecoverySettings {
    return new RecoverySettings(c.RECOVERY_ENABLED, c.RECOVERY_CRON, c.RECOVERY_MAX_ATTEMPTS, c.RECOVERY_BATCH_SIZE);
  }
}
