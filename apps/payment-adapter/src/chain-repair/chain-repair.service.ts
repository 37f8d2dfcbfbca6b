import { Injectable } from '@nestjs/common';
import { LeaseFence } from '../common/lease-fence';
import { Authorization } from '../authorizations/authorization.entity';
import { HoldsService } from '../authorizations/holds.service';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { SettlementRecorder } from '../settlements/settlement-recorder';
import { ChainRepairRepository } from './chain-repair.repository';
import { foundHoldStep } from './chain-repair.rules';

/**
 * Rule 5 for an authorization chain, apart from the flows that change it (Kill Bill keeps its janitor apart from
 * its payment flows): what a lost answer or a crash left unfinished on the chain is learned from the provider and
 * completed or undone. A settlement, a reversal, a retried hold, the expiry job, the recovery sweep and an
 * operator's decision all run it first, under the chain's lock (which their callers hold).
 */
@Injectable()
export class ChainRepair {
  constructor(
    private readonly repository: ChainRepairRepository,
    private readonly holds: HoldsService,
    private readonly calls: ProviderCallsService,
    private readonly recorder: SettlementRecorder,
    private readonly fence: LeaseFence,
  ) {}

  /**
   * Before anything else touches the chain: every provider call on it whose answer was lost is looked up and
   * completed or undone. False when some call's outcome cannot be learned yet.
   */
  async resolveChain(rootId: string, actor: string): Promise<boolean> {
    if (!(await this.repository.needsResolution(rootId))) return true;
    const links = await this.repository.linksOf(rootId);
    const calls = await this.repository.unresolvedCallsOf(links.map((l) => l.id));
    let allKnown = true;
    for (const call of calls) {
      const link = links.find((l) => l.id === call.authorizationId)!;
      if (!(await this.resolveCall(call, link, actor))) allKnown = false;
    }
    // Read again: resolving a call may have changed links (a found re-hold closes the link it re-authorized).
    const current = await this.repository.linksOf(rootId);
    await this.completeAnsweredRedeems(current, actor);
    // A found hold whose release failed is still held: the chain is not resolved until it is released.
    return (await this.completeFoundHolds(current, actor)) && allKnown;
  }

  /**
   * One unresolved call of a chain: looked up, and what it did recorded in the commit of the finding (a redeem's
   * settlement, a hold adopted by its pending link, a release's reversal, a redeem or hold that did not happen).
   * A found hold its link does not own is recorded only with its release. False while the outcome is unknown, or
   * a found hold is not released yet.
   */
  private async resolveCall(call: ProviderCall, link: Authorization, actor: string): Promise<boolean> {
    if (call.operation === 'HOLD' && link.state !== 'PENDING') {
      const resolution = await this.calls.resolve(call, { record: false });
      if (resolution.applied !== true) return resolution.applied === false;
      if (link.providerHoldId === resolution.transaction.transactionId) {
        await this.fence.transaction((m) => this.calls.recordApplied(m, call, resolution.transaction));
        return true;
      }
      return this.holds.releaseFound(link, call, resolution.transaction, actor);
    }
    if (call.operation === 'HOLD') {
      const resolution = await this.calls.resolve(call, {
        onApplied: (m, found) => this.holds.approve(link, found.transactionId!, found.amount.minor, actor, call.id, m),
        // Not processed is not a decline (the contract): FAILED, so a retry (or the next settlement) places it again.
        onNotApplied: (m) => this.holds.transition(link, 'HOLD_NOT_PROCESSED', {}, actor, { providerCallId: call.id }, m),
      });
      return resolution.applied !== 'unknown';
    }
    if (call.operation === 'REDEEM_FROM_HOLD' && call.settlementId) {
      const settlement = await this.repository.settlement(call.settlementId);
      const unrecorded = settlement.status === 'PROCESSING';
      let advanced: Authorization | null = null;
      const resolution = await this.calls.resolve(call, {
        onApplied: async (m, found) => {
          if (unrecorded && link.state === 'OPEN') advanced = await this.recorder.recordRedeem(m, settlement, link, found.amount.minor, actor, call);
        },
        onNotApplied: async (m) => {
          if (unrecorded) await this.recorder.move(settlement, 'RETRY_LATER', {}, actor, {}, m);
        },
      });
      await this.recorder.placeAdvancedHold(advanced, actor);
      return resolution.applied !== 'unknown';
    }
    const releasesOpenHold = call.operation === 'RELEASE_HOLD' && link.state === 'OPEN' && call.providerHoldId === link.providerHoldId;
    const resolution = await this.calls.resolve(call, {
      onApplied: async (m) => {
        if (releasesOpenHold) await this.holds.transition(link, 'REVERSED', { heldMinor: 0n }, actor, { providerCallId: call.id }, m);
      },
    });
    return resolution.applied !== 'unknown';
  }

  /**
   * A redeem the provider answered (or a look-up found: APPLIED) whose settlement was never recorded (the process
   * died between learning of it and its commit): record it now, instead of redeeming again from a hold that is
   * gone (the soak saw such a settlement end FAILED with HOLD_NOT_AVAILABLE while the provider had redeemed it).
   */
  private async completeAnsweredRedeems(links: Authorization[], actor: string): Promise<void> {
    const open = links.filter((l) => l.state === 'OPEN').map((l) => l.id);
    if (open.length === 0) return;
    const answered = await this.repository.answeredRedeemsOf(open);
    for (const call of answered) {
      const link = links.find((l) => l.id === call.authorizationId)!;
      if (!call.settlementId || call.resultMinor === null || link.state !== 'OPEN') continue;
      const settlement = await this.repository.settlement(call.settlementId);
      if (settlement.status === 'PROCESSING') await this.recorder.afterRedeem(settlement, link, call.resultMinor, actor, call);
    }
  }

  /**
   * A hold the provider placed (found by a look-up: APPLIED) that its authorization never took on, because the
   * process died between learning of it and recording what it means: a PENDING link adopts it, as a found lost
   * hold is adopted; for any other link nobody owns it, so it is released unless a release of it already ended.
   */
  private async completeFoundHolds(links: Authorization[], actor: string): Promise<boolean> {
    const found = await this.repository.placedHoldsOf(links.map((l) => l.id));
    let released = true;
    for (const call of found) {
      const link = links.find((l) => l.id === call.authorizationId)!;
      const step = foundHoldStep(link, call);
      if (step === 'NONE') continue;
      const holdId = call.providerTransactionId!;
      if (step === 'ADOPT') await this.holds.approve(link, holdId, call.resultMinor!, actor, call.id);
      else if ((await this.repository.holdNotGone(holdId, link.id)) && !(await this.holds.release(link, holdId, actor)).released) released = false;
    }
    return released;
  }

  /**
   * Whether the provider may still hold value for the chain: a hold of one of its links that was placed (or
   * found) and neither redeemed, released, nor gone, other than the hold of its open link.
   */
  chainStillHolds(rootId: string): Promise<boolean> {
    return this.repository.chainStillHolds(rootId);
  }

  /** Links of the chain never placed at the provider (not processed, or pending without a call in flight). */
  unplacedLinks(rootId: string): Promise<Authorization[]> {
    return this.repository.unplacedLinks(rootId);
  }

  /**
   * The chain's last link is an advanced hold that was never placed: the provider was unavailable (FAILED,
   * not processed), or the process died before asking (PENDING without any call). The remainder was released
   * at the provider by the redeem, so place it again before the chain serves its next settlement; what the
   * card still has is held (partial approval), as for any advanced hold.
   */
  async placeUnplacedAdvancedHold(rootId: string, actor: string): Promise<'PLACED' | 'RETRY' | 'NONE'> {
    const last = await this.repository.lastLinkOf(rootId);
    if (!last || last.previousId === null || (last.state !== 'FAILED' && last.state !== 'PENDING')) return 'NONE';
    if (last.state === 'PENDING' && (await this.repository.hasCalls(last.id))) return 'NONE';
    if (last.state === 'FAILED') await this.holds.transition(last, 'HOLD_RETRIED', {}, actor);
    const outcome = await this.holds.place(last, undefined, actor, true);
    return outcome === 'APPROVED' ? 'PLACED' : outcome === 'DECLINED' ? 'NONE' : 'RETRY';
  }
}
