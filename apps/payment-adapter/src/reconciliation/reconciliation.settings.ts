import { AdapterConfig } from '../config/adapter.config';

/** The reconciliation job's part of the configuration (RECONCILIATION_* variables, and the grace it shares with lost answers). */
export class ReconciliationSettings {
  constructor(
    readonly enabled: boolean,
    readonly cron: string,
    readonly windowMs: number,
    /** A hold younger than this may be an answer still on its way: it waits for the next run. */
    readonly graceMs: number,
    readonly clockSkewMs: number,
    /** Take back late-landing duplicate movements (RECONCILIATION_VOID_LATE_ENTRIES) instead of only listing them. */
    readonly voidLateEntries: boolean = true,
  ) {}

  static from(c: AdapterConfig): ReconciliationSettings {
    return new ReconciliationSettings(
      c.RECONCILIATION_ENABLED,
      c.RECONCILIATION_CRON,
      c.RECONCILIATION_WINDOW_HOURS * 3600_000,
      c.UNKNOWN_OUTCOME_GRACE_MS,
      c.CLUTCH_CLOCK_SKEW_MS,
      c.RECONCILIATION_VOID_LATE_ENTRIES,
    );
  }
}
