import { GIFT_CARD_PROVIDER, GiftCardProvider, ProviderDeclinedError, RedeemResult } from '@gcpa/gift-card-provider';
import { formatAmount, Money, parseAmount } from '@gcpa/money';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, In } from 'typeorm';
import { businessRule, notFound, providerFailure, providerUnavailable, validationFailed } from '../common/domain-errors';
import { CardVault } from '../card-data/card-vault';
import { LeaseFence } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { Metrics } from '../observability/metrics';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { Authorization } from '../authorizations/authorization.entity';
import { nextSettlementStatus, SettlementEvent } from '../authorizations/authorization-state';
import { ChainLock } from '../authorizations/chain-lock';
import { HoldsService } from '../authorizations/holds.service';
import { nextLinkOf } from '../authorizations/new-authorization';
import { invoiceAlreadySettled, isUniqueViolation, sameInvoice } from './invoice-once';
import { Settlement } from './settlement.entity';

export interface SettleRequest {
  authorizationId: string;
  amount: string;
  invoiceId: string;
  final: boolean;
  mode: 'sync' | 'batch';
}

/** What processing one settlement came to; the batch job schedules retries from it. */
export type ProcessOutcome =
  | { kind: 'SETTLED' | 'FAILED'; settlement: Settlement }
  | { kind: 'RETRY'; settlement: Settlement; unknown: boolean; message: string };

/**
 * Rule 2 and 3: redeem from the open hold of a chain, release the rest, and hold the unshipped remainder
 * again (the advanced hold). Everything on one chain runs under its ChainLock, one at a time.
 */
@Injectable()
export class SettlementsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lock: ChainLock,
    private readonly holds: HoldsService,
    private readonly calls: ProviderCallsService,
    private readonly vault: CardVault,
    private readonly history: HistoryService,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    private readonly metrics: Metrics,
    private readonly fence: LeaseFence,
  ) {}

  async create(request: SettleRequest, actor: string, idempotencyKey?: string): Promise<Settlement> {
    const named = await this.dataSource.getRepository(Authorization).findOneBy({ id: request.authorizationId });
    if (!named) throw notFound('authorization', request.authorizationId);
    let amount: Money;
    try {
      amount = parseAmount(request.amount, named.currency);
    } catch (error) {
      throw validationFailed([{ field: 'amount', problems: [`amount ${(error as Error).message}`] }]);
    }
    if (amount.minor <= 0n) throw validationFailed([{ field: 'amount', problems: ['amount must be greater than zero'] }]);

    if (idempotencyKey) {
      const existing = await this.dataSource.getRepository(Settlement).findOneBy({ idempotencyKey });
      if (existing) return existing;
    }
    // An invoice settles once per chain, whatever key the OMS sends it under (checked again by a unique index).
    const byInvoice = () => this.dataSource.getRepository(Settlement).findOneBy({ rootAuthorizationId: named.rootId, invoiceId: request.invoiceId });
    const answerFor = (earlier: Settlement) => {
      if (sameInvoice(earlier, amount.minor) === 'CONFLICT') throw invoiceAlreadySettled(earlier);
      return earlier;
    };
    const earlier = await byInvoice();
    if (earlier) return answerFor(earlier);
    const open = await this.openLink(named.rootId);
    if (!open) throw businessRule('AUTHORIZATION_CLOSED', `Authorization ${named.id} has no open hold left to settle from`);
    if (amount.minor > open.heldMinor) {
      throw businessRule('AMOUNT_EXCEEDS_HELD', `Amount ${request.amount} exceeds the held amount`, {
        heldAmount: formatAmount({ minor: open.heldMinor, currency: open.currency }),
      });
    }
    const settlement = this.dataSource.getRepository(Settlement).create({
      id: randomUUID(),
      orderId: named.orderId,
      authorizationId: named.id,
      rootAuthorizationId: named.rootId,
      servedAuthorizationId: null,
      advancedAuthorizationId: null,
      idempotencyKey: idempotencyKey ?? null,
      invoiceId: request.invoiceId,
      currency: named.currency,
      amountMinor: amount.minor,
      settledMinor: 0n,
      final: request.final,
      mode: request.mode,
      status: 'OPEN',
      failureReason: null,
      attempts: 0,
      nextAttemptAt: new Date(),
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    try {
      await this.dataSource.transaction(async (m) => {
        await m.getRepository(Settlement).insert(settlement);
        await this.history.append(m, {
          orderId: settlement.orderId,
          authorizationId: named.id,
          settlementId: settlement.id,
          type: 'SETTLEMENT_REQUESTED',
          toState: 'OPEN',
          amountMinor: amount.minor,
          currency: settlement.currency,
          actor,
          detail: { invoiceId: request.invoiceId, final: request.final, mode: request.mode },
        });
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A request racing this one stored the invoice (or this key) first: answer with its settlement.
      const winner = await byInvoice();
      if (winner) return answerFor(winner);
      const sameKey = idempotencyKey ? await this.dataSource.getRepository(Settlement).findOneBy({ idempotencyKey }) : null;
      if (sameKey) return sameKey;
      throw error;
    }
    return settlement;
  }

  /** Settles one settlement now. Sync requests and the batch job both come here. */
  async process(settlementId: string, actor: string): Promise<ProcessOutcome> {
    const first = await this.dataSource.getRepository(Settlement).findOneBy({ id: settlementId });
    if (!first) throw notFound('settlement', settlementId);
    return this.lock.run(first.rootAuthorizationId, async () => {
      const resolved = await this.resolveChain(first.rootAuthorizationId, actor);
      const settlement = (await this.dataSource.getRepository(Settlement).findOneBy({ id: settlementId }))!;
      if (settlement.status === 'SETTLED' || settlement.status === 'FAILED') return { kind: settlement.status, settlement };
      if (!resolved) return { kind: 'RETRY', settlement, unknown: true, message: 'An earlier provider call on this authorization is still unresolved' };

      let link = await this.openLink(settlement.rootAuthorizationId);
      if (!link && (await this.placeUnplacedAdvancedHold(settlement.rootAuthorizationId, actor)) === 'RETRY') {
        return { kind: 'RETRY', settlement, unknown: false, message: 'The advanced hold for this settlement could not be placed yet' };
      }
      link ??= await this.openLink(settlement.rootAuthorizationId);
      if (!link) return this.fail(settlement, 'AUTHORIZATION_CLOSED', actor);
      if (settlement.amountMinor > link.heldMinor) return this.fail(settlement, 'AMOUNT_EXCEEDS_HELD', actor);

      await this.move(settlement, 'CLAIMED', { servedAuthorizationId: link.id, attempts: settlement.attempts + 1 }, actor);
      // The redeem is recorded in the commit of its answer (or of its finding); the advanced hold is placed after.
      const claimed = { link: { ...link }, settlement: { ...settlement } };
      let advanced: Authorization | null = null;
      const result = await this.calls.run(
        { ...this.holds.intentFor(link, 'REDEEM_FROM_HOLD'), settlementId: settlement.id, amountMinor: settlement.amountMinor, providerHoldId: link.providerHoldId ?? undefined },
        (requestId) =>
          this.provider.redeemFromHold({
            requestId,
            cardNumber: this.vault.decrypt(link.cardEncrypted),
            holdId: link.providerHoldId!,
            amount: { minor: settlement.amountMinor, currency: settlement.currency },
          }),
        (value: RedeemResult) => ({ transactionId: value.transactionId, resultMinor: value.redeemedAmount.minor }),
        async (m, value, call) => {
          advanced = await this.recordRedeem(m, settlement, link, value.redeemedAmount.minor, actor, call);
        },
      );
      if (result.ok) {
        await this.placeAdvancedHold(advanced, actor);
        return { kind: 'SETTLED', settlement };
      }
      // A success whose commit failed (handled as a lost answer below) changed nothing but these copies.
      Object.assign(link, claimed.link);
      Object.assign(settlement, claimed.settlement);
      const { error, call } = result;
      if (error instanceof ProviderDeclinedError) {
        if (error.reason === 'HOLD_NOT_AVAILABLE') {
          await this.holds.transition(link, 'EXPIRED', { heldMinor: 0n }, actor, { providerCallId: call.id, providerMessage: error.providerMessage });
        }
        return this.fail(settlement, error.reason, actor, call.id);
      }
      if (error.kind === 'OUTCOME_UNKNOWN') {
        const resolution = await this.calls.resolve(call, {
          onApplied: async (m, found) => {
            advanced = await this.recordRedeem(m, settlement, link, found.amount.minor, actor, call);
          },
        });
        if (resolution.applied === true) {
          await this.placeAdvancedHold(advanced, actor);
          return { kind: 'SETTLED', settlement };
        }
        if (resolution.applied === 'unknown') {
          return { kind: 'RETRY', settlement, unknown: true, message: 'The provider did not answer; the redeem is being confirmed' };
        }
      }
      if (error.kind === 'INVALID_REQUEST' || error.kind === 'UNSUPPORTED') return this.fail(settlement, 'PROVIDER_REJECTED', actor, call.id);
      await this.move(settlement, 'RETRY_LATER', {}, actor, { providerCallId: call.id, providerMessage: error.providerMessage ?? error.message });
      return { kind: 'RETRY', settlement, unknown: false, message: error.providerMessage ?? error.message };
    });
  }

  /** Turns a process outcome into the sync answer: the settlement, or the contract's error. */
  async settleNow(settlement: Settlement, actor: string): Promise<Settlement> {
    const outcome = await this.process(settlement.id, actor);
    if (outcome.kind === 'RETRY') {
      throw providerUnavailable(`Settlement ${settlement.id} was not processed: ${outcome.message}`, outcome.unknown ? 'UNKNOWN' : 'NOT_APPLIED');
    }
    if (outcome.kind === 'FAILED') {
      const reason = outcome.settlement.failureReason ?? 'FAILED';
      if (reason === 'PROVIDER_REJECTED') throw providerFailure('The provider rejected the redeem');
      throw businessRule(reason, `Settlement ${settlement.id} failed: ${reason}`, { settlementId: settlement.id });
    }
    return outcome.settlement;
  }

  /**
   * The redeem happened (answered, or found at the provider): recorded in the caller's transaction, with, for a
   * partial shipment, the advanced hold's link (PENDING) that the chain now points at. Answers that link, to be
   * placed once this commits.
   */
  private async recordRedeem(
    m: EntityManager,
    settlement: Settlement,
    link: Authorization,
    redeemedMinor: bigint,
    actor: string,
    call: ProviderCall,
  ): Promise<Authorization | null> {
    const remainder = link.heldMinor - redeemedMinor;
    const advanced = !settlement.final && remainder > 0n ? this.newAdvancedHold(link, remainder) : null;
    if (advanced) await m.getRepository(Authorization).insert(advanced);
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
  private async placeAdvancedHold(advanced: Authorization | null, actor: string): Promise<void> {
    if (advanced) await this.holds.place(advanced, undefined, actor, true);
  }

  /** A redeem answered earlier (or found) that was never recorded: recorded now, then its advanced hold placed. */
  private async afterRedeem(settlement: Settlement, link: Authorization, redeemedMinor: bigint, actor: string, call: ProviderCall) {
    const advanced = await this.fence.transaction((m) => this.recordRedeem(m, settlement, link, redeemedMinor, actor, call));
    await this.placeAdvancedHold(advanced, actor);
  }

  private newAdvancedHold(link: Authorization, remainder: bigint): Authorization {
    return nextLinkOf(link, remainder);
  }

  /**
   * Rule 5, before anything else touches the chain: every provider call on it whose answer was lost is looked
   * up and completed or undone. False when some call's outcome cannot be learned yet.
   */
  async resolveChain(rootId: string, actor: string): Promise<boolean> {
    if (!(await this.chainNeedsResolution(rootId))) return true;
    const links = await this.dataSource.getRepository(Authorization).find({ where: { rootId }, order: { createdAt: 'ASC' } });
    const calls = await this.dataSource.getRepository(ProviderCall).find({
      where: { authorizationId: In(links.map((l) => l.id)), outcome: In(['UNKNOWN', 'PENDING']) },
      order: { createdAt: 'ASC' },
    });
    let allKnown = true;
    for (const call of calls) {
      const link = links.find((l) => l.id === call.authorizationId)!;
      if (!(await this.resolveCall(call, link, actor))) allKnown = false;
    }
    // Read again: resolving a call may have changed links (a found re-hold closes the link it re-authorized).
    const current = await this.dataSource.getRepository(Authorization).find({ where: { rootId }, order: { createdAt: 'ASC' } });
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
      const settlement = await this.dataSource.getRepository(Settlement).findOneByOrFail({ id: call.settlementId });
      const unrecorded = settlement.status === 'PROCESSING';
      let advanced: Authorization | null = null;
      const resolution = await this.calls.resolve(call, {
        onApplied: async (m, found) => {
          if (unrecorded && link.state === 'OPEN') advanced = await this.recordRedeem(m, settlement, link, found.amount.minor, actor, call);
        },
        onNotApplied: async (m) => {
          if (unrecorded) await this.move(settlement, 'RETRY_LATER', {}, actor, {}, m);
        },
      });
      await this.placeAdvancedHold(advanced, actor);
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
   * One query that says whether resolveChain has anything to do: an unresolved call, an answered redeem whose
   * settlement is still PROCESSING, or a placed hold its link does not own and nobody released. It is the
   * common case on every settlement and reversal, so the full pass runs only when there is work.
   */
  private async chainNeedsResolution(rootId: string): Promise<boolean> {
    const [row] = await this.dataSource.query(
      // The chain's calls first (by index: a handful of rows), then the conditions over them.
      `WITH links AS MATERIALIZED (SELECT id, state, closed_reason, provider_hold_id FROM authorization_hold WHERE root_id = $1),
       chain AS MATERIALIZED (
         SELECT pc.id, pc.operation, pc.outcome, pc.settlement_id, pc.provider_transaction_id, pc.authorization_id,
                l.state AS link_state, l.closed_reason AS link_closed_reason, l.provider_hold_id AS link_hold_id
           FROM provider_call pc JOIN links l ON l.id = pc.authorization_id
          WHERE pc.authorization_id = ANY (ARRAY (SELECT id FROM links)))
       SELECT EXISTS (
         SELECT 1 FROM chain c
          WHERE c.outcome IN ('UNKNOWN', 'PENDING')
            OR (c.operation = 'REDEEM_FROM_HOLD' AND c.outcome IN ('SUCCEEDED', 'APPLIED') AND c.link_state = 'OPEN'
                AND EXISTS (SELECT 1 FROM settlement s WHERE s.id = c.settlement_id AND s.status = 'PROCESSING'))
            OR (c.operation = 'HOLD' AND c.outcome IN ('SUCCEEDED', 'APPLIED')
                AND (c.provider_transaction_id IS DISTINCT FROM c.link_hold_id
                     -- the hold of a link closed by the expiry job (re-authorized, expired) is released after its close
                     OR c.link_closed_reason IN ('REAUTHORIZED', 'EXPIRED'))
                AND NOT EXISTS (SELECT 1 FROM provider_call r WHERE r.operation = 'RELEASE_HOLD'
                                 AND r.provider_hold_id = c.provider_transaction_id
                                 AND (r.outcome IN ('SUCCEEDED', 'APPLIED') OR r.error_kind = 'DECLINED:HOLD_NOT_AVAILABLE'))
                AND NOT EXISTS (SELECT 1 FROM provider_call u WHERE u.authorization_id = c.authorization_id
                                 AND u.operation = 'REDEEM_FROM_HOLD' AND u.provider_hold_id = c.provider_transaction_id
                                 AND (u.outcome IN ('SUCCEEDED', 'APPLIED') OR u.error_kind = 'DECLINED:HOLD_NOT_AVAILABLE')))
       ) AS needed`,
      [rootId],
    );
    return row.needed === true;
  }

  /**
   * A redeem the provider answered (or a look-up found: APPLIED) whose settlement was never recorded (the process
   * died between learning of it and its commit): record it now, instead of redeeming again from a hold that is
   * gone (the soak saw such a settlement end FAILED with HOLD_NOT_AVAILABLE while the provider had redeemed it).
   */
  private async completeAnsweredRedeems(links: Authorization[], actor: string): Promise<void> {
    const open = links.filter((l) => l.state === 'OPEN').map((l) => l.id);
    if (open.length === 0) return;
    const answered = await this.dataSource.getRepository(ProviderCall).find({
      where: { authorizationId: In(open), operation: 'REDEEM_FROM_HOLD', outcome: In(['SUCCEEDED', 'APPLIED']) },
    });
    for (const call of answered) {
      const link = links.find((l) => l.id === call.authorizationId)!;
      if (!call.settlementId || call.resultMinor === null || link.state !== 'OPEN') continue;
      const settlement = await this.dataSource.getRepository(Settlement).findOneByOrFail({ id: call.settlementId });
      if (settlement.status === 'PROCESSING') await this.afterRedeem(settlement, link, call.resultMinor, actor, call);
    }
  }

  /**
   * A hold the provider placed (found by a look-up: APPLIED) that its authorization never took on, because the
   * process died between learning of it and recording what it means: a PENDING link adopts it, as a found lost
   * hold is adopted; for any other link nobody owns it, so it is released unless a release of it already ended.
   */
  private async completeFoundHolds(links: Authorization[], actor: string): Promise<boolean> {
    const found = await this.dataSource.getRepository(ProviderCall).find({
      where: { authorizationId: In(links.map((l) => l.id)), operation: 'HOLD', outcome: In(['SUCCEEDED', 'APPLIED']) },
      order: { createdAt: 'ASC' },
    });
    let released = true;
    for (const call of found) {
      const link = links.find((l) => l.id === call.authorizationId)!;
      const holdId = call.providerTransactionId;
      // A link's own hold is its own business, unless the expiry job closed the link before releasing it.
      const closedByExpiryJob = link.closedReason === 'REAUTHORIZED' || link.closedReason === 'EXPIRED';
      if (!holdId || (link.providerHoldId === holdId && !closedByExpiryJob)) continue;
      if (link.state === 'PENDING' && call.resultMinor !== null && call.resultMinor > 0n) {
        await this.holds.approve(link, holdId, call.resultMinor, actor, call.id);
        continue;
      }
      const [{ n }] = await this.dataSource.query(
        `SELECT ((SELECT count(*) FROM provider_call WHERE operation = 'RELEASE_HOLD' AND provider_hold_id = $1
                    AND (outcome IN ('SUCCEEDED', 'APPLIED') OR error_kind = 'DECLINED:HOLD_NOT_AVAILABLE'))
               + (SELECT count(*) FROM provider_call WHERE authorization_id = $2 AND operation = 'REDEEM_FROM_HOLD' AND provider_hold_id = $1
                    AND (outcome IN ('SUCCEEDED', 'APPLIED') OR error_kind = 'DECLINED:HOLD_NOT_AVAILABLE')))::int AS n`,
        [holdId, link.id],
      );
      if (Number(n) === 0 && !(await this.holds.release(link, holdId, actor)).released) released = false;
    }
    return released;
  }

  /**
   * Whether the provider may still hold value for the chain: a hold of one of its links that was placed (or
   * found) and neither redeemed, released, nor gone, other than the hold of its open link.
   */
  async chainStillHolds(rootId: string): Promise<boolean> {
    const [row] = await this.dataSource.query(
      `WITH links AS MATERIALIZED (SELECT id, state, provider_hold_id FROM authorization_hold WHERE root_id = $1)
       SELECT EXISTS (
         SELECT 1 FROM provider_call h
          WHERE h.authorization_id = ANY (ARRAY (SELECT id FROM links)) AND h.operation = 'HOLD'
            AND h.provider_transaction_id IS NOT NULL AND h.outcome IN ('SUCCEEDED', 'APPLIED', 'UNKNOWN')
            AND NOT EXISTS (SELECT 1 FROM links l WHERE l.state = 'OPEN' AND l.provider_hold_id = h.provider_transaction_id)
            AND NOT EXISTS (SELECT 1 FROM provider_call u WHERE u.operation IN ('RELEASE_HOLD', 'REDEEM_FROM_HOLD')
                             AND u.provider_hold_id = h.provider_transaction_id
                             AND (u.outcome IN ('SUCCEEDED', 'APPLIED') OR u.error_kind = 'DECLINED:HOLD_NOT_AVAILABLE'))
       ) AS held`,
      [rootId],
    );
    return row.held === true;
  }

  /** Links of the chain never placed at the provider (not processed, or pending without a call in flight). */
  unplacedLinks(rootId: string): Promise<Authorization[]> {
    return this.dataSource.getRepository(Authorization).find({ where: { rootId, state: In(['FAILED', 'PENDING']) } });
  }

  /**
   * The chain's last link is an advanced hold that was never placed: the provider was unavailable (FAILED,
   * not processed), or the process died before asking (PENDING without any call). The remainder was released
   * at the provider by the redeem, so place it again before the chain serves its next settlement; what the
   * card still has is held (partial approval), as for any advanced hold.
   */
  private async placeUnplacedAdvancedHold(rootId: string, actor: string): Promise<'PLACED' | 'RETRY' | 'NONE'> {
    const [last] = await this.dataSource.getRepository(Authorization).find({ where: { rootId }, order: { createdAt: 'DESC' }, take: 1 });
    if (!last || last.previousId === null || (last.state !== 'FAILED' && last.state !== 'PENDING')) return 'NONE';
    if (last.state === 'PENDING' && (await this.dataSource.getRepository(ProviderCall).countBy({ authorizationId: last.id })) > 0) return 'NONE';
    if (last.state === 'FAILED') await this.holds.transition(last, 'HOLD_RETRIED', {}, actor);
    const outcome = await this.holds.place(last, undefined, actor, true);
    return outcome === 'APPROVED' ? 'PLACED' : outcome === 'DECLINED' ? 'NONE' : 'RETRY';
  }

  async openLink(rootId: string): Promise<Authorization | null> {
    return this.dataSource.getRepository(Authorization).findOneBy({ rootId, state: 'OPEN' });
  }

  /** Open batch settlements of a chain that can no longer be served (rule 7: the order was cancelled). */
  async failOpen(rootId: string, reason: string, actor: string): Promise<void> {
    const open = await this.dataSource.getRepository(Settlement).findBy({ rootAuthorizationId: rootId, status: 'OPEN' });
    for (const settlement of open) await this.fail(settlement, reason, actor);
  }

  private async fail(settlement: Settlement, reason: string, actor: string, providerCallId?: string): Promise<ProcessOutcome> {
    await this.move(settlement, 'FAILED', { failureReason: reason }, actor, { providerCallId });
    return { kind: 'FAILED', settlement };
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
      await m.getRepository(Settlement).update(settlement.id, columns);
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
