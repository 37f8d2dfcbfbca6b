import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LeaseFence } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { Metrics } from '../observability/metrics';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { Authorization } from '../authorizations/authorization.entity';
import { nextSettlementStatus, SettlementEvent } from '../authorizations/authorization-state';
import { HoldsService } from '../authorizations/holds.service';
import { nextLinkOf } from '../authorizations/new-authorization';
import { Settlement } from './settlement.entity';
import { SettlementsRepository } from './settlements.repository';

/**
 * What a settlement's progress writes: its transitions, and a redeem that happened with the advanced hold it
 * leaves. Shared by the settlement flow (a redeem answered now) and the chain repair (one answered or found
 * earlier and never recorded), so that neither depends on the other for it.
 */
@Injectable()
export class SettlementRecorder {
  constructor(
    private readonly holds: HoldsService,
    private readonly history: HistoryService,
    private readonly metrics: Metrics,
    private readonly fence: LeaseFence,
    private readonly settlements: SettlementsRepository,
  ) {}

  /**
   * The redeem happened (answered, or found at the provider): recorded in the caller's transaction, with, for a
   * partial shipment, the advanced hold's link (PENDING) that the chain now points at. Answers that link, to be
   * placed once this commits.
   */
  async recordRedeem(
    m: EntityManager,
    settlement: Settlement,
    link: Authorization,
    redeemedMinor: bigint,
    actor: string,
    call: ProviderCall,
  ): Promise<Authorization | null> {
    const remainder = link.heldMinor - redeemedMinor;
    const advanced = !settlement.final && remainder > 0n ? nextLinkOf(link, remainder) : null;
    if (advanced) await this.settlements.insertAdvancedLink(m, advanced);
    await this.holds.transition(
      link,
      advanced ? 'SUPERSEDED' : 'SETTLED',
      { settledMinor: link.settledMinor + redeemedMinor, heldMinor: 0n, nextId: advanced?.id ?? null },
      actor,
      { providerCallId: call.id, providerTransactionId: call.providerTransactionId, detail: { settlementId: settlement.id } },
      m,
    );
    await this.move(
      settlement,
      'REDEEMED',
      { settledMinor: redeemedMinor, advancedAuthorizationId: advanced?.id ?? null },
      actor,
      { providerCallId: call.id, providerTransactionId: call.providerTransactionId },
      m,
    );
    return advanced;
  }

  /** The redeem is recorded: hold the unshipped remainder again (a failure leaves the link for the next settlement). */
  async placeAdvancedHold(advanced: Authorization | null, actor: string, lastWrite = false): Promise<void> {
    // The last write of the request's work: its approval releases the chain's lock in the same commit.
    if (advanced) await this.holds.place(advanced, undefined, actor, true, lastWrite ? (m) => this.fence.releaseWith(m) : undefined);
  }

  /** A redeem answered earlier (or found) that was never recorded: recorded now, then its advanced hold placed. */
  async afterRedeem(settlement: Settlement, link: Authorization, redeemedMinor: bigint, actor: string, call: ProviderCall): Promise<void> {
    const advanced = await this.fence.transaction((m) => this.recordRedeem(m, settlement, link, redeemedMinor, actor, call));
    await this.placeAdvancedHold(advanced, actor);
  }

  async move(
    settlement: Settlement,
    event: SettlementEvent,
    changes: Partial<Settlement>,
    actor: string,
    extra: { providerCallId?: string; providerTransactionId?: string | null; providerMessage?: string | null } = {},
    manager?: EntityManager,
  ): Promise<void> {
    const from = settlement.status;
    const status = nextSettlementStatus(from, event);
    // Only what this event changes is written. The batch job's lease covers a claimed settlement until it is
    // done (PROCESSING included), so it is cleared only at the end.
    const done = status === 'SETTLED' || status === 'FAILED';
    const columns: Partial<Settlement> = { ...changes, status, updatedAt: new Date(), ...(done ? { leaseOwner: null, leaseUntil: null } : {}) };
    Object.assign(settlement, columns);
    const work = async (m: EntityManager) => {
      await this.settlements.update(m, settlement.id, columns);
      await this.history.append(m, {
        orderId: settlement.orderId,
        authorizationId: settlement.servedAuthorizationId ?? settlement.authorizationId,
        settlementId: settlement.id,
        type: `SETTLEMENT_${event}`,
        fromState: from,
        toState: status,
        amountMinor: status === 'SETTLED' ? settlement.settledMinor : settlement.amountMinor,
        currency: settlement.currency,
        actor,
        providerCallId: extra.providerCallId ?? null,
        providerTransactionId: extra.providerTransactionId ?? null,
        providerMessage: extra.providerMessage ?? settlement.failureReason ?? null,
      });
    };
    await (manager ? work(manager) : this.fence.transaction(work));
    this.metrics.settlementTransitions.inc({ event });
  }
}
