import { Injectable, Logger } from '@nestjs/common';
import { ScheduledRun } from '../common/scheduled-run';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../common/domain-errors';
import { Settlement } from '../settlements/settlement.entity';
import { ProcessOutcome, SettlementsService } from '../settlements/settlements.service';
import { retryDelayMs } from './backoff';
import { SettlementClaims } from './settlement-claims.repository';
import { SettlementJobMetrics, SettlementRunReport } from './settlement-job.metrics';
import { SettlementJobSettings } from './settlement-job.settings';
import { UnitOfWork } from '../database/unit-of-work.module';

export const SETTLEMENT_JOB_ACTOR = 'settlement-job';

/** A chain busy with another operation (a sync settlement, a reversal, the sweep): try again shortly. */
const BUSY_DELAY_MS = 1000;

type ItemResult = 'settled' | 'retried' | 'failed' | 'skipped';

/**
 * Rule 3: settles due batch settlements through `SettlementsService.process` (the code path of a sync
 * settlement), batch after batch until nothing is due, with at most SETTLEMENT_CONCURRENCY chains at once.
 * Several instances may run it at the same time: claims (see SettlementClaims) keep them apart.
 */
@Injectable()
export class SettlementJob {
  private readonly logger = new Logger('SettlementJob');
  /** This instance's identity in `settlement.lease_owner`. */
  readonly owner = randomUUID();
  private readonly scheduled = new ScheduledRun('settlement run', this.logger, () => this.run());

  constructor(
    private readonly settlements: SettlementsService,
    private readonly claims: SettlementClaims,
    private readonly settings: SettlementJobSettings,
    readonly metrics: SettlementJobMetrics,
    private readonly units: UnitOfWork,
  ) {}

  /** The cron tick: skipped while this instance's previous scheduled run is still going. */
  tick(): Promise<void> {
    return this.scheduled.tick();
  }

  /** One run: claims and settles until nothing is due, then logs and records one line of counts. */
  async run(): Promise<SettlementRunReport> {
    const started = Date.now();
    const report: SettlementRunReport = { claimed: 0, settled: 0, retried: 0, failed: 0, backlog: 0, durationMs: 0 };
    try {
      for (;;) {
        const batch = await this.claims.claim(this.owner, this.settings.batchSize, this.settings.leaseSeconds);
        if (batch.length === 0) break;
        report.claimed += batch.length;
        await forEachConcurrently(batch, this.settings.concurrency, async (item) => {
          // One unit of work per settlement: its claim, lease and intent commit together, then its outcome.
          const result = await this.units.run(() => this.settleOne(item.id));
          if (result !== 'skipped') report[result] += 1;
        });
      }
      report.backlog = await this.claims.backlog();
    } catch (error) {
      this.metrics.runErrors += 1;
      throw error;
    }
    report.durationMs = Date.now() - started;
    this.metrics.record(report);
    // An idle tick (nothing claimed, nothing waiting) every minute is noise at info; it is still counted in /metrics.
    const idle = report.claimed === 0 && report.backlog === 0;
    this.logger[idle ? 'debug' : 'log'](
      `settlement run: claimed=${report.claimed} settled=${report.settled} retried=${report.retried} failed=${report.failed} backlog=${report.backlog} durationMs=${report.durationMs}`,
    );
    return report;
  }

  private async settleOne(id: string): Promise<ItemResult> {
    if (!(await this.claims.renew(id, this.owner, this.settings.leaseSeconds))) return 'skipped';
    let outcome: ProcessOutcome;
    try {
      outcome = await this.settlements.process(id, SETTLEMENT_JOB_ACTOR);
    } catch (error) {
      // Nothing was decided (the chain was busy, the database hiccupped): give the item back for later.
      const busy = error instanceof DomainError && error.code === 'AUTHORIZATION_BUSY';
      if (!busy) this.logger.warn(`settlement ${id} could not be processed: ${(error as Error).message}`);
      const attempts = await this.claims.attemptsOf(id);
      const delay = busy ? BUSY_DELAY_MS : retryDelayMs(Math.max(attempts ?? 1, 1), this.settings.backoff);
      await this.claims.releaseUntil(id, this.owner, delay);
      return 'retried';
    }
    if (outcome.kind !== 'RETRY') return outcome.kind === 'SETTLED' ? 'settled' : 'failed';
    return this.retryLater(outcome.settlement, outcome.unknown, outcome.message);
  }

  /**
   * Provider unavailable: back off, and fail after the last attempt. An unknown outcome is never given up on
   * here: the redeem may have happened, so the next attempt resolves it first (process() begins with
   * resolveChain) and the settlement keeps waiting, with the same capped backoff, until it is known.
   */
  private async retryLater(settlement: Settlement, unknown: boolean, message: string): Promise<ItemResult> {
    if (!unknown && settlement.attempts >= this.settings.maxAttempts) {
      await this.settlements.move(settlement, 'FAILED', { failureReason: 'PROVIDER_UNAVAILABLE' }, SETTLEMENT_JOB_ACTOR, {
        providerMessage: `gave up after ${settlement.attempts} attempts: ${message}`,
      });
      return 'failed';
    }
    await this.claims.releaseUntil(settlement.id, this.owner, retryDelayMs(Math.max(settlement.attempts, 1), this.settings.backoff));
    return 'retried';
  }
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
