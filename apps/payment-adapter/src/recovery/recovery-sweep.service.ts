import { Injectable, Logger } from '@nestjs/common';
import { ScheduledRun } from '../common/scheduled-run';
import { DomainError } from '../common/domain-errors';
import { ChainLock } from '../authorizations/chain-lock';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { FulfillmentsService } from '../fulfillments/fulfillments.service';
import { RefundsService } from '../refunds/refunds.service';
import { SettlementsService } from '../settlements/settlements.service';
import { backoffCeilingMs } from '../settlement-job/backoff';
import { CHECK_BACKOFF, DueCall, RecoveryClaims } from './recovery-claims';
import { RecoveryMetrics, RecoveryRunReport } from './recovery.metrics';
import { RecoverySettings } from './recovery.settings';

export const RECOVERY_ACTOR = 'recovery-sweep';

/** A chain or refund busy with another operation right now: look again shortly, without counting a check. */
const BUSY_DELAY_MS = 5000;

/**
 * Rule 5, Kill Bill's Janitor: provider calls whose answer was lost (UNKNOWN) or never recorded (PENDING past
 * its deadline: the process died between the call and its commit) are looked up at the provider by our
 * reference and completed or undone, by the same code the next request on them would run:
 * - authorization calls: `ChainRepair.resolveChain` under the chain lock (a hold nobody was told about
 *   is released, a lost advanced hold adopted, a redeem that happened recorded as settled, one that did not
 *   re-queued);
 * - refund calls: `RefundsService.resolvePending`;
 * - fulfillment calls: `FulfillmentsService.resume` (continues after the last step that succeeded, confirming
 *   a lost issue before issuing, repeating an allocate with the same reference so the same card comes back);
 * - sync settlements a dead process left PROCESSING before the intent of their redeem (no call to find):
 *   `SettlementsService.process`, as the OMS retry would.
 * - refunds to a new card whose card is loaded but which are still PENDING (the card's fulfillment was completed
 *   by the sweep, or the request died after it): `RefundsService.finishLoadedNewCards`.
 * - links the expiry job closed (re-authorized, expired) whose old hold's release never ended: the chain's
 *   resolution releases it.
 * A call's answer (or finding, or an operator's decision) commits with what it means, so a crash leaves the call
 * itself in this queue: no scan of answered calls is needed.
 * What stays unknown is checked again with backoff; after RECOVERY_GIVE_UP_AFTER_SECONDS it is given up on (listed
 * UNKNOWN for an operator) and still checked every RECOVERY_GIVEN_UP_CHECK_SECONDS.
 */
@Injectable()
export class RecoverySweep {
  private readonly logger = new Logger('RecoverySweep');
  private readonly scheduled = new ScheduledRun('recovery sweep', this.logger, () => this.run());

  constructor(
    private readonly claims: RecoveryClaims,
    private readonly settlements: SettlementsService,
    private readonly repair: ChainRepair,
    private readonly refunds: RefundsService,
    private readonly fulfillments: FulfillmentsService,
    private readonly lock: ChainLock,
    private readonly settings: RecoverySettings,
    readonly metrics: RecoveryMetrics,
  ) {}

  tick(): Promise<void> {
    return this.scheduled.tick();
  }

  async run(): Promise<RecoveryRunReport> {
    const started = Date.now();
    const report: RecoveryRunReport = { checked: 0, resolved: 0, retried: 0, gaveUp: 0, unresolved: 0, durationMs: 0 };
    try {
      for (;;) {
        const batch = await this.claims.claim(this.settings.batchSize);
        if (batch.length === 0) break;
        report.checked += batch.length;
        const busy = new Set<string>();
        for (const [rootId, calls] of groupBy(batch.filter((c) => c.rootAuthorizationId), (c) => c.rootAuthorizationId!)) {
          if (!(await this.resolveChain(rootId))) calls.forEach((c) => busy.add(c.id));
        }
        for (const call of batch.filter((c) => !c.rootAuthorizationId && c.refundId)) {
          if (!(await this.resolveRefund(call.refundId!))) busy.add(call.id);
        }
        for (const [fulfillmentId, calls] of groupBy(batch.filter((c) => !c.rootAuthorizationId && !c.refundId && c.fulfillmentId), (c) => c.fulfillmentId!)) {
          if (!(await this.resumeFulfillment(fulfillmentId))) calls.forEach((c) => busy.add(c.id));
        }
        await this.settle(batch, busy, report);
      }
      for (const rootId of await this.claims.chainsWithUnreleasedClosedHolds(this.settings.batchSize)) {
        if (await this.resolveChain(rootId)) report.resolved += 1;
      }
      report.resolved += await this.refunds.finishLoadedNewCards(this.settings.batchSize, this.settings.abandonedSettlementMs, RECOVERY_ACTOR);
      for (const id of await this.claims.abandonedSyncSettlements(this.settings.batchSize, this.settings.abandonedSettlementMs)) {
        if (await this.finishAbandonedSettlement(id)) report.resolved += 1;
      }
      report.unresolved = await this.claims.unresolvedCount();
    } catch (error) {
      this.metrics.runErrors += 1;
      throw error;
    }
    report.durationMs = Date.now() - started;
    this.metrics.record(report);
    this.logger.log(
      `recovery sweep: checked=${report.checked} resolved=${report.resolved} retried=${report.retried} gaveUp=${report.gaveUp} unresolved=${report.unresolved} durationMs=${report.durationMs}`,
    );
    return report;
  }

  /** False when the chain was busy (its own operation will resolve it, or the next sweep). */
  private async resolveChain(rootId: string): Promise<boolean> {
    try {
      await this.lock.run(rootId, () => this.repair.resolveChain(rootId, RECOVERY_ACTOR));
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'AUTHORIZATION_BUSY') return false;
      this.logger.warn(`authorization chain ${rootId} could not be resolved: ${(error as Error).message}`);
      return true; // counted as a check: a persistent error ends with the call listed for an operator
    }
  }

  /**
   * A sync settlement left PROCESSING before its redeem was recorded: settled (or failed for a business reason)
   * through the code path of the request, as the OMS retry would. A provider still unavailable puts it back OPEN
   * for the OMS retry with its key, as a sync 503 does. False when it was not finished now.
   */
  private async finishAbandonedSettlement(settlementId: string): Promise<boolean> {
    try {
      const outcome = await this.settlements.process(settlementId, RECOVERY_ACTOR);
      return outcome.kind !== 'RETRY';
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'AUTHORIZATION_BUSY')) {
        this.logger.warn(`settlement ${settlementId} left PROCESSING could not be finished: ${(error as Error).message}`);
      }
      return false;
    }
  }

  private async resolveRefund(refundId: string): Promise<boolean> {
    try {
      await this.refunds.resolvePending(refundId, RECOVERY_ACTOR);
      return true;
    } catch (error) {
      this.logger.warn(`refund ${refundId} could not be resolved: ${(error as Error).message}`);
      return true;
    }
  }

  private async resumeFulfillment(fulfillmentId: string): Promise<boolean> {
    try {
      await this.fulfillments.resume(fulfillmentId, RECOVERY_ACTOR);
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'FULFILLMENT_BUSY') return false;
      this.logger.warn(`fulfillment ${fulfillmentId} could not be resumed: ${(error as Error).message}`);
      return true;
    }
  }

  /** Counts each claimed call, and backs off (or gives up on) those still unknown. */
  private async settle(batch: DueCall[], busy: Set<string>, report: RecoveryRunReport): Promise<void> {
    const now = await this.claims.current(batch.map((c) => c.id));
    for (const call of batch) {
      const state = now.get(call.id);
      if (!state || (state.outcome !== 'PENDING' && state.outcome !== 'UNKNOWN')) {
        report.resolved += 1;
        continue;
      }
      if (busy.has(call.id)) {
        await this.claims.checkLater(call.id, state.checkAttempts, BUSY_DELAY_MS);
        report.retried += 1;
        continue;
      }
      // A failed look-up already counted itself (ProviderCallsService.resolve); anything else counts here. The
      // count only paces the backoff: OMS retries spend it too, so giving up is measured in time.
      const attempts = state.checkAttempts > call.checkAttempts ? state.checkAttempts : state.checkAttempts + 1;
      if (call.givenUp) {
        await this.claims.checkLater(call.id, attempts, this.settings.givenUpCheckMs);
        report.retried += 1;
      } else if (Date.now() - call.createdAt.getTime() >= this.settings.giveUpAfterMs) {
        await this.claims.giveUp(call.id, attempts, this.settings.givenUpCheckMs, RECOVERY_ACTOR);
        report.gaveUp += 1;
      } else {
        // Backed off, but looked at again no later than the moment it would be given up.
        const untilGiveUp = call.createdAt.getTime() + this.settings.giveUpAfterMs - Date.now();
        await this.claims.checkLater(call.id, attempts, Math.max(1000, Math.min(backoffCeilingMs(attempts, CHECK_BACKOFF), untilGiveUp)));
        report.retried += 1;
      }
    }
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
