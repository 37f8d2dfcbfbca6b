import { AdapterConfig } from '../config/adapter.config';

/** The recovery sweep's part of the configuration (RECOVERY_* variables). */
export class RecoverySettings {
  constructor(
    readonly enabled: boolean,
    readonly cron: string,
    readonly batchSize: number,
    /** A call older than this is given up on: listed for an operator, and checked every `givenUpCheckMs`. */
    readonly giveUpAfterMs: number,
    readonly givenUpCheckMs: number,
    /** A sync settlement PROCESSING this long with no provider call and no chain lease was left by a dead process. */
    readonly abandonedSettlementMs: number,
  ) {}

  static from(c: AdapterConfig): RecoverySettings {
    return new RecoverySettings(
      c.RECOVERY_ENABLED, c.RECOVERY_CRON, c.RECOVERY_BATCH_SIZE, c.RECOVERY_GIVE_UP_AFTER_SECONDS * 1000, c.RECOVERY_GIVEN_UP_CHECK_SECONDS * 1000,
      // As long as an interrupted (PENDING) call waits before the sweep looks it up.
      c.UNKNOWN_OUTCOME_GRACE_MS * 3,
    );
  }
}
