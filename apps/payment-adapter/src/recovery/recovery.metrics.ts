import { Injectable } from '@nestjs/common';

/** What one recovery sweep did; also the answer of POST /v1/recovery-runs. */
export interface RecoveryRunReport {
  /** Unresolved provider calls looked at. */
  checked: number;
  /** ... whose outcome is now known and acted upon (completed or undone). */
  resolved: number;
  /** ... still unknown, to be checked again later (backed off). */
  retried: number;
  /** ... still unknown after RECOVERY_GIVE_UP_AFTER_SECONDS: listed UNKNOWN for an operator (and still checked). */
  gaveUp: number;
  /** Calls left UNKNOWN for an operator in total (GET /v1/transactions?outcome=UNKNOWN). */
  unresolved: number;
  durationMs: number;
}

/** Counters of this process's recovery sweeps, in memory, for whoever exports metrics. */
@Injectable()
export class RecoveryMetrics {
  runs = 0;
  checked = 0;
  resolved = 0;
  retried = 0;
  gaveUp = 0;
  runErrors = 0;
  /** Calls UNKNOWN for an operator, as of the last sweep. */
  lastUnresolved = 0;
  lastRun: (RecoveryRunReport & { finishedAt: Date }) | null = null;

  record(report: RecoveryRunReport): void {
    this.runs += 1;
    this.checked += report.checked;
    this.resolved += report.resolved;
    this.retried += report.retried;
    this.gaveUp += report.gaveUp;
    this.lastUnresolved = report.unresolved;
    this.lastRun = { ...report, finishedAt: new Date() };
  }

  snapshot() {
    const { runs, checked, resolved, retried, gaveUp, runErrors, lastUnresolved, lastRun } = this;
    return { runs, checked, resolved, retried, gaveUp, runErrors, lastUnresolved, lastRun };
  }
}
