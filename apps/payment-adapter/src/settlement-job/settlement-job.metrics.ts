import { Injectable } from '@nestjs/common';

/** What one run of the job did; also the answer of POST /v1/settlement-runs. */
export interface SettlementRunReport {
  claimed: number;
  settled: number;
  retried: number;
  failed: number;
  /** Batch settlements still OPEN or PROCESSING after the run (waiting for a retry, or behind an older one). */
  backlog: number;
  durationMs: number;
}

/**
 * Counters of this process's job runs, in memory, for whoever exports metrics (Prometheus, health):
 * totals since start and the last run's report.
 */
@Injectable()
export class SettlementJobMetrics {
  runs = 0;
  claimed = 0;
  settled = 0;
  retried = 0;
  failed = 0;
  /** Runs that threw before finishing (the database was unreachable, say). */
  runErrors = 0;
  lastBacklog = 0;
  lastRun: (SettlementRunReport & { finishedAt: Date }) | null = null;

  record(report: SettlementRunReport): void {
    this.runs += 1;
    this.claimed += report.claimed;
    this.settled += report.settled;
    this.retried += report.retried;
    this.failed += report.failed;
    this.lastBacklog = report.backlog;
    this.lastRun = { ...report, finishedAt: new Date() };
  }

  snapshot() {
    const { runs, claimed, settled, retried, failed, runErrors, lastBacklog, lastRun } = this;
    return { runs, claimed, settled, retried, failed, runErrors, lastBacklog, lastRun };
  }
}
