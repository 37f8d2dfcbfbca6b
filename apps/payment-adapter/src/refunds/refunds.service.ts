import { GIFT_CARD_PROVIDER, GiftCardProvider, IssueResult, ProviderDeclinedError } from '@gcpa/gift-card-provider';
import { formatAmount, Money, parseAmount } from '@gcpa/money';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CardVault, ProtectedCard } from '../card-data/card-vault';
import { businessRule, DomainError, notFound, providerFailure, providerUnavailable, validationFailed } from '../common/domain-errors';
import { LeaseFence } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { Settlement } from '../settlements/settlement.entity';
import { RefundLock } from './refund-lock';
import { allocateRefund } from './refund-allocation';
import { decideRefund, nextRefundStatus, RefundDecision, RefundEvent, RefundKind } from './refund-state';
import { newCardLine, Refund, RefundAllocation } from './refund.entity';
import { OrderRefundable, RefundsRepository } from './refunds.repository';
import { FulfillmentResult, FulfillmentsService, Revealed } from '../fulfillments/fulfillments.service';
import { GiftCardFulfillment } from '../fulfillments/gift-card-fulfillment.entity';
import { Metrics } from '../observability/metrics';

export interface RefundRequest {
  orderId: string;
  settlementId?: string;
  cardNumber?: string;
  /** A refund to a new electronic card, from this card set (or the default one). */
  toNewCard?: { cardSetId?: string };
  amount: string;
  currency: string;
}

/** What the API key may do beyond a refund: `credits` scope keys may issue value beyond the order's ceiling. */
export interface RefundGrants {
  mayCredit: boolean;
}

/** Where a refund goes: the card, and the settlement it is against (null for a card named by number). */
interface RefundTarget {
  card: ProtectedCard;
  settlement: Settlement | null;
  settlementRefundedMinor: bigint;
  toSettledCard: boolean;
}

/** The 422 of a refund over the ceiling, naming what is left to refund (of the order, or of the settlement). */
function refundRefused(decision: RefundDecision & { accepted: false }, amount: Money, orderId: string, order: OrderRefundable, target: RefundTarget) {
  const money = (minor: bigint) => formatAmount({ minor, currency: amount.currency });
  if (decision.code === 'REFUND_CARD_NOT_IN_ORDER') {
    return businessRule(
      decision.code,
      `The card ****${target.card.last4} paid for nothing in order ${orderId}: a refund goes back to a card the order settled on (value to another card is a credit)`,
      { orderId, cardLast4: target.card.last4 },
    );
  }
  const bySettlement = decision.limitedBy === 'SETTLEMENT' && target.settlement;
  const [settledMinor, refundedMinor] = bySettlement ? [target.settlement!.settledMinor, target.settlementRefundedMinor] : [order.settledMinor, order.refundedMinor];
  return businessRule(
    decision.code,
    `Refund of ${formatAmount(amount)} exceeds what is left to refund of ${bySettlement ? `settlement ${target.settlement!.id}` : `order ${orderId}`}: ${money(decision.refundableMinor)}`,
    {
      orderId,
      ...(target.settlement ? { settlementId: target.settlement.id } : {}),
      settledAmount: money(settledMinor),
      refundedAmount: money(refundedMinor),
      refundableAmount: money(decision.refundableMinor),
    },
  );
}

/** What a refund request is answered with: one refund, or a refund that named only its order with its parts. */
export type RefundAnswer = { refund: Refund; newCard?: Revealed } | { allocation: RefundAllocation; parts: Refund[] };

/** The error of a refund (or part) that did not succeed in this attempt. */
function refundNotDone(refund: Refund, attempt: Attempt): DomainError {
  switch (attempt.kind) {
    case 'SUCCEEDED':
    case 'FAILED':
      return businessRule(refund.failureReason ?? 'REFUND_FAILED', `The provider declined the refund: ${refund.failureReason}`, {
        refundId: refund.id,
        reason: refund.failureReason,
      });
    case 'REJECTED':
      return providerFailure('The provider rejected the refund', attempt.message);
    case 'UNKNOWN':
      return providerUnavailable(`Refund ${refund.id} was not confirmed by the provider; retry with the same Idempotency-Key`, 'UNKNOWN', attempt.message);
    case 'NOT_APPLIED':
      return providerUnavailable(`Refund ${refund.id} was not processed; retry with the same Idempotency-Key`, 'NOT_APPLIED', attempt.message);
  }
}

/** What a recovery pass came to: the refund, and whether its outcome is settled now. */
export type RefundResolution = { refund: Refund; outcome: 'SUCCEEDED' | 'FAILED' | 'NOT_APPLIED' | 'UNKNOWN' };

type Attempt =
  | { kind: 'SUCCEEDED' | 'FAILED' }
  | { kind: 'NOT_APPLIED'; message: string }
  | { kind: 'UNKNOWN'; message: string }
  | { kind: 'REJECTED'; message: string };

/**
 * Refunds: value issued back to a gift card (return-related). The refund row is found or created by the
 * request's idempotency key, so a retry, a takeover after a crash or the recovery sweep resumes the same
 * refund; an earlier issue whose answer was lost is looked up before anything is issued again.
 */
@Injectable()
export class RefundsService {
  constructor(
    private readonly refunds: RefundsRepository,
    private readonly calls: ProviderCallsService,
    private readonly vault: CardVault,
    private readonly history: HistoryService,
    private readonly lock: RefundLock,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    private readonly fulfillments: FulfillmentsService,
    private readonly metrics: Metrics,
    private readonly fence: LeaseFence,
  ) {}

  /**
   * A refund against a settlement or to a named card is one refund row; a refund naming only its order is split
   * across the order's settled cards (`refundAcrossCards`).
   */
  async refund(request: RefundRequest, actor: string, idempotencyKey: string, grants: RefundGrants = { mayCredit: false }): Promise<RefundAnswer> {
    const hasSettlement = request.settlementId !== undefined;
    const hasCard = request.cardNumber !== undefined;
    if (request.toNewCard !== undefined && (hasSettlement || hasCard)) {
      const problem = 'toNewCard goes to a new card: not with settlementId or cardNumber';
      throw validationFailed([...(hasSettlement ? ['settlementId'] : []), ...(hasCard ? ['cardNumber'] : []), 'toNewCard'].map((field) => ({ field, problems: [problem] })));
    }
    if (hasSettlement && hasCard) {
      const problem = 'at most one of settlementId or cardNumber may be given (neither: the refund is split across the cards the order settled on)';
      throw validationFailed([
        { field: 'settlementId', problems: [problem] },
        { field: 'cardNumber', problems: [problem] },
      ]);
    }
    const amount = parseAmount(request.amount, request.currency);
    if (request.toNewCard !== undefined) return this.refundToNewCard(request, amount, actor, idempotencyKey, grants);
    if (!hasSettlement && !hasCard) return this.refundAcrossCards(request, amount, actor, idempotencyKey);

    const refund = (await this.refunds.byKey(idempotencyKey)) ?? (await this.accept(request, amount, actor, idempotencyKey, grants));
    const attempt = await this.lock.run(refund.id, () => this.advance(refund, actor));
    if (attempt.kind === 'SUCCEEDED') return { refund };
    throw refundNotDone(refund, attempt);
  }

  /**
   * A refund to a new card: accepted under the order's lock against its ceiling (within it a REFUND, beyond it a
   * CREDIT for a credits key), stored PENDING, then made by the gift card fulfillment steps (allocate, activate,
   * issue as return-related) of the order line `refund:<refundId>`: the same resumable sequence, lost-answer
   * resolution and PIN kept encrypted until shown once as a sold card. A retry with the key continues the same line.
   */
  private async refundToNewCard(request: RefundRequest, amount: Money, actor: string, idempotencyKey: string, grants: RefundGrants): Promise<RefundAnswer> {
    const refund = (await this.refunds.byKey(idempotencyKey)) ?? (await this.acceptToNewCard(request, amount, actor, idempotencyKey, grants));
    const newCard = await this.lock.run(refund.id, () => this.loadNewCard(refund, actor));
    return { refund, newCard };
  }

  private async acceptToNewCard(request: RefundRequest, amount: Money, actor: string, idempotencyKey: string, grants: RefundGrants): Promise<Refund> {
    try {
      return await this.refunds.transaction(async (m) => {
        await this.refunds.lockOrder(m, request.orderId);
        const order = await this.refunds.orderRefundable(m, request.orderId, amount.currency);
        // A new card is no card of another tender: within the ceiling it is a refund, beyond it a credit.
        const decision = decideRefund(amount.minor, {
          orderSettledMinor: order.settledMinor,
          orderRefundedMinor: order.refundedMinor,
          toSettledCard: true,
          mayCredit: grants.mayCredit,
        });
        if (!decision.accepted) {
          const money = (minor: bigint) => formatAmount({ minor, currency: amount.currency });
          throw businessRule(
            decision.code,
            `Refund of ${formatAmount(amount)} exceeds what is left to refund of order ${request.orderId}: ${money(decision.refundableMinor)}`,
            { orderId: request.orderId, settledAmount: money(order.settledMinor), refundedAmount: money(order.refundedMinor), refundableAmount: money(decision.refundableMinor) },
          );
        }
        return this.storePending(m, {
          orderId: request.orderId,
          settlementId: null,
          idempotencyKey,
          card: null,
          newCardSetId: request.toNewCard?.cardSetId ?? null,
          amount,
          kind: decision.kind,
          actor,
          authorizationId: null,
          detail: { kind: decision.kind, toNewCard: true, refundableAmount: formatAmount({ minor: decision.refundableMinor, currency: amount.currency }) },
        });
      });
    } catch (error) {
      if (this.refunds.isDuplicateKey(error)) {
        const existing = await this.refunds.byKey(idempotencyKey);
        if (existing) return existing;
      }
      throw error;
    }
  }

  /**
   * Under the refund's lock: runs (or continues) the fulfillment of the refund's card, and marks the refund
   * SUCCEEDED with the card once it is loaded. What to show once comes from the fulfillment (empty after).
   */
  private async loadNewCard(refund: Refund, actor: string): Promise<Revealed> {
    Object.assign(refund, await this.refunds.reload(refund.id));
    if (refund.status === 'FAILED') throw refundNotDone(refund, { kind: 'FAILED' });
    let made: FulfillmentResult;
    try {
      made = await this.fulfillments.fulfill(
        {
          orderId: refund.orderId,
          lineId: newCardLine(refund.id),
          kind: 'ELECTRONIC',
          cardSetId: refund.newCardSetId ?? undefined,
          amount: formatAmount({ minor: refund.amountMinor, currency: refund.currency }),
          currency: refund.currency,
          returnRelated: true,
        },
        actor,
        refund.idempotencyKey ?? undefined,
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'FULFILLMENT_DECLINED') {
        const reason = String(error.details?.reason ?? 'DECLINED');
        await this.move(refund, 'DECLINED', { failureReason: reason }, actor, undefined, { fulfillmentId: error.details?.fulfillmentId, step: error.details?.step });
        throw businessRule(reason, `The provider declined the new card's ${String(error.details?.step ?? '').toLowerCase()} step: ${reason}`, {
          refundId: refund.id,
          reason,
          step: error.details?.step,
        });
      }
      throw new DomainError(error.status, error.code, error.message, { ...error.details, refundId: refund.id });
    }
    if (refund.status === 'PENDING') await this.recordNewCard(refund, made.fulfillment, actor);
    return made.revealed;
  }

  /**
   * For the recovery sweep: refunds to a new card still PENDING whose card is loaded (the sweep completed the card's
   * fulfillment, or the request died after it): marked SUCCEEDED with the card, revealing nothing (the number and PIN
   * wait, encrypted, for the OMS's retry with its key). Only refunds quiet for `quietMs`, one worker each.
   */
  async finishLoadedNewCards(limit: number, quietMs: number, actor: string): Promise<number> {
    const ids = await this.refunds.loadedNewCards(limit, quietMs);
    let finished = 0;
    for (const id of ids) {
      const done = await this.lock.tryRun(id, 0, async () => {
        const refund = await this.getRefund(id);
        const card = await this.refunds.newCardFulfillmentOf(refund);
        if (refund.status !== 'PENDING' || card?.status !== 'COMPLETED') return false;
        await this.recordNewCard(refund, card, actor);
        return true;
      });
      if (done?.value) finished += 1;
    }
    return finished;
  }

  private async recordNewCard(refund: Refund, card: GiftCardFulfillment, actor: string): Promise<void> {
    await this.move(
      refund,
      'ISSUED',
      { providerTransactionId: card.issueReference, cardHash: card.cardHash!, cardEncrypted: card.cardEncrypted!, cardLast4: card.cardLast4! },
      actor,
      undefined,
      { fulfillmentId: card.id },
    );
    this.metrics.refundsToNewCards.inc({ kind: refund.kind });
  }

  /** A refund by its id: one refund (a part too), or a refund that named only its order, with its parts. */
  async get(id: string): Promise<RefundAnswer> {
    const refund = await this.refunds.findById(id);
    if (refund) return { refund };
    const allocation = await this.refunds.allocationById(id);
    if (!allocation) throw notFound('refund', id);
    return { allocation, parts: await this.refunds.partsOf(allocation.id) };
  }

  private async getRefund(id: string): Promise<Refund> {
    const refund = await this.refunds.findById(id);
    if (!refund) throw notFound('refund', id);
    return refund;
  }

  /**
   * A refund naming only its order: split under the order's lock across the cards it settled on
   * (`allocateRefund`: most recent settlement first, no card beyond what it settled minus what was refunded to it),
   * every part stored PENDING in that same transaction, so the ceilings hold for the whole. Then each part is
   * advanced as a single refund is (its own provider call, a lost answer resolved before anything is issued
   * again); a retry with the same key finds the same parts and resumes those not done. Every part is tried before
   * the answer: 201 when all succeeded, 503 while any is unconfirmed or not processed, 422 when one was declined.
   */
  private async refundAcrossCards(request: RefundRequest, amount: Money, actor: string, idempotencyKey: string): Promise<RefundAnswer> {
    const allocation = (await this.refunds.allocationByKey(idempotencyKey)) ?? (await this.acceptAcrossCards(request, amount, actor, idempotencyKey));
    const parts = await this.refunds.partsOf(allocation.id);
    const attempts: Array<{ part: Refund; attempt: Attempt }> = [];
    for (const part of parts) attempts.push({ part, attempt: await this.lock.run(part.id, () => this.advance(part, actor)) });
    const unfinished = attempts.find((a) => a.attempt.kind !== 'SUCCEEDED' && a.attempt.kind !== 'FAILED');
    if (unfinished) {
      const error = refundNotDone(unfinished.part, unfinished.attempt);
      throw new DomainError(error.status, error.code, `Refund ${allocation.id}, part ${unfinished.part.partIndex}: ${error.message}`, {
        ...error.details,
        refundId: allocation.id,
        partRefundId: unfinished.part.id,
      });
    }
    const declined = parts.filter((p) => p.status === 'FAILED');
    if (declined.length > 0) {
      throw businessRule(
        'REFUND_PART_DECLINED',
        `The provider declined ${declined.length} of the ${parts.length} parts of refund ${allocation.id}; the others were issued. What was declined may be refunded again.`,
        { refundId: allocation.id, parts: parts.map((p) => ({ refundId: p.id, partIndex: p.partIndex, status: p.status, cardLast4: p.cardLast4, reason: p.failureReason })) },
      );
    }
    return { allocation, parts };
  }

  forOrder(orderId: string): Promise<Refund[]> {
    return this.refunds.forOrder(orderId);
  }

  /**
   * For the recovery sweep: brings a PENDING refund to its end if that can be known now. An earlier issue that
   * applied makes it SUCCEEDED; when every earlier issue is known not to have applied, the refund is issued
   * again (the OMS asked for it, and its retry with the same key will be answered with this result).
   * UNKNOWN while some answer cannot be learned yet, or when another worker holds the refund right now.
   */
  async resolvePending(refundId: string, actor: string): Promise<RefundResolution> {
    const refund = await this.getRefund(refundId);
    if (refund.status !== 'PENDING') return { refund, outcome: refund.status };
    // A refund to a new card has no issue call of its own: its card's fulfillment is what the sweep resumes.
    if (refund.toNewCard) return { refund, outcome: 'UNKNOWN' };
    const done = await this.lock.tryRun(refundId, 0, () => this.advance(refund, actor));
    if (!done) return { refund, outcome: 'UNKNOWN' };
    const kind = done.value.kind;
    return { refund, outcome: kind === 'REJECTED' ? 'NOT_APPLIED' : kind };
  }

  /** The allocation and its parts, stored PENDING under the order's lock (see `refundAcrossCards`). */
  private async acceptAcrossCards(request: RefundRequest, amount: Money, actor: string, idempotencyKey: string): Promise<RefundAllocation> {
    try {
      return await this.refunds.transaction(async (m) => {
        await this.refunds.lockOrder(m, request.orderId);
        const cards = await this.refunds.settledCards(m, request.orderId, amount.currency);
        const order = await this.refunds.orderRefundable(m, request.orderId, amount.currency);
        const decision = allocateRefund(
          amount.minor,
          cards.map((c) => ({ cardHash: c.hash, settledMinor: c.settledMinor, refundedMinor: c.refundedMinor, lastSettledAt: c.lastSettledAt })),
          order.settledMinor - order.refundedMinor,
        );
        if (!decision.accepted) {
          const money = (minor: bigint) => formatAmount({ minor, currency: amount.currency });
          throw businessRule(
            decision.code,
            `Refund of ${formatAmount(amount)} exceeds what is left to refund to the cards of order ${request.orderId}: ${money(decision.refundableMinor)}`,
            {
              orderId: request.orderId,
              settledAmount: money(order.settledMinor),
              refundedAmount: money(order.refundedMinor),
              refundableAmount: money(decision.refundableMinor),
              cards: cards.map((c) => ({ cardLast4: c.last4, settledAmount: money(c.settledMinor), refundedAmount: money(c.refundedMinor) })),
            },
          );
        }
        const allocation = Object.assign(new RefundAllocation(), {
          id: randomUUID(),
          orderId: request.orderId,
          idempotencyKey,
          currency: amount.currency,
          amountMinor: amount.minor,
          createdAt: new Date(),
        });
        await this.refunds.insertAllocation(m, allocation);
        for (const [index, part] of decision.parts.entries()) {
          const card = cards.find((c) => c.hash === part.cardHash)!;
          await this.storePending(m, {
            orderId: request.orderId,
            settlementId: null,
            idempotencyKey: null,
            card,
            amount: { minor: part.amountMinor, currency: amount.currency },
            kind: 'REFUND',
            actor,
            authorizationId: null,
            part: { allocationId: allocation.id, partIndex: index + 1 },
            detail: { allocationId: allocation.id, partIndex: index + 1, parts: decision.parts.length },
          });
        }
        return allocation;
      });
    } catch (error) {
      if (this.refunds.isDuplicateKey(error)) {
        const existing = await this.refunds.allocationByKey(idempotencyKey);
        if (existing) return existing;
      }
      throw error;
    }
  }

  /** Stores one refund PENDING with its history, in the caller's transaction. */
  private async storePending(
    m: EntityManager,
    r: {
      orderId: string;
      settlementId: string | null;
      idempotencyKey: string | null;
      /** Null for a refund to a new card (filled once the card is loaded). */
      card: ProtectedCard | null;
      newCardSetId?: string | null;
      amount: Money;
      kind: RefundKind;
      actor: string;
      authorizationId: string | null;
      part?: { allocationId: string; partIndex: number };
      detail: Record<string, unknown>;
    },
  ): Promise<Refund> {
    const refund = Object.assign(new Refund(), {
      id: randomUUID(),
      orderId: r.orderId,
      settlementId: r.settlementId,
      idempotencyKey: r.idempotencyKey,
      cardHash: r.card?.hash ?? null!,
      cardEncrypted: r.card?.encrypted ?? null!,
      cardLast4: r.card?.last4 ?? null!,
      toNewCard: r.card === null,
      newCardSetId: r.newCardSetId ?? null,
      currency: r.amount.currency,
      amountMinor: r.amount.minor,
      kind: r.kind,
      status: 'PENDING',
      failureReason: null,
      providerTransactionId: null,
      allocationId: r.part?.allocationId ?? null,
      partIndex: r.part?.partIndex ?? null,
      lockOwner: null,
      lockUntil: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await this.refunds.insertRefund(m, refund);
    await this.history.append(m, {
      orderId: refund.orderId,
      authorizationId: r.authorizationId,
      settlementId: refund.settlementId,
      refundId: refund.id,
      type: 'REFUND_REQUESTED',
      toState: 'PENDING',
      amountMinor: refund.amountMinor,
      currency: refund.currency,
      actor: r.actor,
      detail: r.detail,
    });
    return refund;
  }

  /**
   * Checks the request against the order's refund ceiling and stores the refund PENDING (with its history),
   * before any provider call. The order's lock (a transaction-scoped advisory lock: it works alike on
   * PostgreSQL and on the embedded database, and needs no row of the order to exist) makes concurrent refunds
   * of one order count and store one after another, so together they never pass the ceiling.
   */
  private async accept(request: RefundRequest, amount: Money, actor: string, idempotencyKey: string, grants: RefundGrants): Promise<Refund> {
    try {
      return await this.refunds.transaction(async (m) => {
        await this.refunds.lockOrder(m, request.orderId);
        const target = request.settlementId ? await this.settledCard(m, request, amount) : await this.namedCard(m, request);
        const order = await this.refunds.orderRefundable(m, request.orderId, amount.currency);
        const decision = decideRefund(amount.minor, {
          orderSettledMinor: order.settledMinor,
          orderRefundedMinor: order.refundedMinor,
          settlement: target.settlement ? { settledMinor: target.settlement.settledMinor, refundedMinor: target.settlementRefundedMinor } : undefined,
          toSettledCard: target.toSettledCard,
          mayCredit: grants.mayCredit,
        });
        if (!decision.accepted) throw refundRefused(decision, amount, request.orderId, order, target);
        return this.storePending(m, {
          orderId: request.orderId,
          settlementId: target.settlement?.id ?? null,
          idempotencyKey,
          card: target.card,
          amount,
          kind: decision.kind,
          actor,
          authorizationId: target.settlement?.servedAuthorizationId ?? null,
          detail: { kind: decision.kind, refundableAmount: formatAmount({ minor: decision.refundableMinor, currency: amount.currency }) },
        });
      });
    } catch (error) {
      // Another worker with the same key got there first (a takeover racing a slow original): resume its refund.
      if (this.refunds.isDuplicateKey(error)) {
        const existing = await this.refunds.byKey(idempotencyKey);
        if (existing) return existing;
      }
      throw error;
    }
  }

  /**
   * A refund against a settlement goes back to the card the settlement redeemed from. The settlement must be
   * of this order, SETTLED and in the refund's currency; what is already refunded of it is counted too.
   */
  private async settledCard(m: EntityManager, request: RefundRequest, amount: Money): Promise<RefundTarget> {
    const settlement = await this.refunds.lockSettlement(m, request.settlementId!);
    if (!settlement) throw notFound('settlement', request.settlementId!);
    if (settlement.orderId !== request.orderId) {
      throw businessRule('SETTLEMENT_NOT_IN_ORDER', `Settlement ${settlement.id} does not belong to order ${request.orderId}`);
    }
    if (settlement.status !== 'SETTLED') {
      throw businessRule('SETTLEMENT_NOT_SETTLED', `Settlement ${settlement.id} is ${settlement.status}: only settled value can be refunded`, {
        settlementStatus: settlement.status,
      });
    }
    if (settlement.currency !== amount.currency) {
      throw businessRule('CURRENCY_MISMATCH', `Settlement ${settlement.id} is in ${settlement.currency}, not ${amount.currency}`);
    }
    const settlementRefundedMinor = await this.refunds.refundedOfSettlement(m, settlement.id);
    const card = await this.refunds.cardOfAuthorization(m, settlement.servedAuthorizationId ?? settlement.authorizationId);
    return {
      settlement,
      settlementRefundedMinor,
      toSettledCard: true,
      card,
    };
  }

  /** A refund to a card named by number: it fits only a card a SETTLED settlement of this order redeemed from. */
  private async namedCard(m: EntityManager, request: RefundRequest): Promise<RefundTarget> {
    const card = this.vault.protect(request.cardNumber!);
    const settled = await this.refunds.orderSettledOnCard(m, request.orderId, card.hash);
    return { card, settlement: null, settlementRefundedMinor: 0n, toSettledCard: settled };
  }

  /**
   * Under the refund's lock: learn what earlier attempts did, then issue if nothing was issued yet.
   * Never issues while an earlier attempt's outcome is unknown.
   */
  private async advance(refund: Refund, actor: string): Promise<Attempt> {
    Object.assign(refund, await this.refunds.reload(refund.id));
    if (refund.status !== 'PENDING') return { kind: refund.status };

    const earlier = await this.refunds.issueCallsOf(refund.id);
    const applied = earlier.find((c) => c.outcome === 'SUCCEEDED' || c.outcome === 'APPLIED');
    if (applied) {
      await this.move(refund, 'ISSUED', { providerTransactionId: applied.providerTransactionId }, actor, applied);
      return { kind: 'SUCCEEDED' };
    }
    for (const call of earlier.filter((c) => c.outcome === 'PENDING' || c.outcome === 'UNKNOWN')) {
      const resolution = await this.calls.resolve(call, { onApplied: (m, found) => this.issued(m, refund, found.transactionId, actor, call) });
      if (resolution.applied === true) return { kind: 'SUCCEEDED' };
      if (resolution.applied === 'unknown') return { kind: 'UNKNOWN', message: 'An earlier attempt of this refund is still being confirmed' };
    }
    if (earlier.length > 0) await this.move(refund, 'RETRIED', {}, actor, undefined, { earlierAttempts: earlier.length });
    return this.issue(refund, actor);
  }

  private async issue(refund: Refund, actor: string): Promise<Attempt> {
    const result = await this.calls.run(
      {
        operation: 'ISSUE',
        orderId: refund.orderId,
        settlementId: refund.settlementId ?? undefined,
        refundId: refund.id,
        cardHash: refund.cardHash,
        cardEncrypted: refund.cardEncrypted,
        currency: refund.currency,
        amountMinor: refund.amountMinor,
      },
      (requestId) =>
        this.provider.issue({
          requestId,
          cardNumber: this.vault.decrypt(refund.cardEncrypted),
          amount: { minor: refund.amountMinor, currency: refund.currency },
          returnRelated: true,
        }),
      (value: IssueResult) => ({ transactionId: value.transactionId, resultMinor: refund.amountMinor }),
      // The refund is SUCCEEDED in the commit that records the answer: no issued refund is ever left PENDING.
      (m, value, call) => this.issued(m, refund, value.transactionId, actor, call),
    );
    const { call } = result;
    if (result.ok) return { kind: 'SUCCEEDED' };
    Object.assign(refund, { status: 'PENDING', providerTransactionId: null });
    const { error } = result;
    const message = error.providerMessage ?? error.message;
    if (error instanceof ProviderDeclinedError) {
      await this.move(refund, 'DECLINED', { failureReason: error.reason }, actor, call);
      return { kind: 'FAILED' };
    }
    if (error.kind === 'OUTCOME_UNKNOWN') {
      const resolution = await this.calls.resolve(call, { onApplied: (m, found) => this.issued(m, refund, found.transactionId, actor, call) });
      if (resolution.applied === true) return { kind: 'SUCCEEDED' };
      await this.move(refund, 'OUTCOME_UNKNOWN', {}, actor, call);
      return resolution.applied === false ? { kind: 'NOT_APPLIED', message } : { kind: 'UNKNOWN', message };
    }
    await this.move(refund, 'NOT_PROCESSED', {}, actor, call);
    // Nothing was applied either way: the refund stays PENDING and a retry with the same key issues again.
    return error.kind === 'UNAVAILABLE' ? { kind: 'NOT_APPLIED', message } : { kind: 'REJECTED', message };
  }

  private issued(m: EntityManager, refund: Refund, transactionId: string | null, actor: string, call: ProviderCall): Promise<void> {
    return this.move(refund, 'ISSUED', { providerTransactionId: transactionId }, actor, call, undefined, m);
  }

  /** Applies an event to the refund and records it, in one transaction (the caller's, when given; fenced by the refund's lease). */
  private async move(
    refund: Refund,
    event: RefundEvent,
    changes: Partial<Refund>,
    actor: string,
    call?: ProviderCall,
    detail?: Record<string, unknown>,
    manager?: EntityManager,
  ) {
    const from = refund.status;
    const status = nextRefundStatus(from, event);
    Object.assign(refund, changes, { status, updatedAt: new Date() });
    const work = async (m: EntityManager) => {
      await this.refunds.updateRefund(m, refund.id, {
        status,
        failureReason: refund.failureReason,
        providerTransactionId: refund.providerTransactionId,
        // A refund to a new card learns its card when it is loaded.
        ...(changes.cardHash ? { cardHash: refund.cardHash, cardEncrypted: refund.cardEncrypted, cardLast4: refund.cardLast4 } : {}),
        updatedAt: refund.updatedAt,
      });
      await this.history.append(m, {
        orderId: refund.orderId,
        settlementId: refund.settlementId,
        refundId: refund.id,
        type: `REFUND_${event}`,
        fromState: from,
        toState: status,
        amountMinor: refund.amountMinor,
        currency: refund.currency,
        actor,
        providerCallId: call?.id ?? null,
        providerTransactionId: call?.providerTransactionId ?? refund.providerTransactionId ?? null,
        providerMessage: call?.providerMessage ?? refund.failureReason ?? null,
        detail: detail ?? null,
      });
    };
    await (manager ? work(manager) : this.fence.transaction(work));
  }
}
