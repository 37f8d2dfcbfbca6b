import { GIFT_CARD_PROVIDER, GiftCardProvider, IssueResult, ProviderDeclinedError } from '@gcpa/gift-card-provider';
import { formatAmount, Money, parseAmount } from '@gcpa/money';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { CardVault, ProtectedCard } from '../card-data/card-vault';
import { businessRule, notFound, providerFailure, providerUnavailable, validationFailed } from '../common/domain-errors';
import { LeaseFence } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { Settlement } from '../settlements/settlement.entity';
import { RefundLock } from './refund-lock';
import { decideRefund, nextRefundStatus, RefundDecision, RefundEvent } from './refund-state';
import { Refund } from './refund.entity';

export interface RefundRequest {
  orderId: string;
  settlementId?: string;
  cardNumber?: string;
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

interface OrderRefundable {
  settledMinor: bigint;
  refundedMinor: bigint;
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
    private readonly dataSource: DataSource,
    private readonly calls: ProviderCallsService,
    private readonly vault: CardVault,
    private readonly history: HistoryService,
    private readonly lock: RefundLock,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    private readonly fence: LeaseFence,
  ) {}

  async refund(request: RefundRequest, actor: string, idempotencyKey: string, grants: RefundGrants = { mayCredit: false }): Promise<Refund> {
    const hasSettlement = request.settlementId !== undefined;
    const hasCard = request.cardNumber !== undefined;
    if (hasSettlement === hasCard) {
      const problem = 'exactly one of settlementId or cardNumber must be given';
      throw validationFailed([
        { field: 'settlementId', problems: [problem] },
        { field: 'cardNumber', problems: [problem] },
      ]);
    }
    const amount = parseAmount(request.amount, request.currency);

    const refund = (await this.byKey(idempotencyKey)) ?? (await this.accept(request, amount, actor, idempotencyKey, grants));
    const attempt = await this.lock.run(refund.id, () => this.advance(refund, actor));
    switch (attempt.kind) {
      case 'SUCCEEDED':
        return refund;
      case 'FAILED':
        throw businessRule(refund.failureReason ?? 'REFUND_FAILED', `The provider declined the refund: ${refund.failureReason}`, {
          refundId: refund.id,
          reason: refund.failureReason,
        });
      case 'REJECTED':
        throw providerFailure('The provider rejected the refund', attempt.message);
      case 'UNKNOWN':
        throw providerUnavailable(`Refund ${refund.id} was not confirmed by the provider; retry with the same Idempotency-Key`, 'UNKNOWN', attempt.message);
      case 'NOT_APPLIED':
        throw providerUnavailable(`Refund ${refund.id} was not processed; retry with the same Idempotency-Key`, 'NOT_APPLIED', attempt.message);
    }
  }

  async get(id: string): Promise<Refund> {
    const refund = await this.dataSource.getRepository(Refund).findOneBy({ id });
    if (!refund) throw notFound('refund', id);
    return refund;
  }

  forOrder(orderId: string): Promise<Refund[]> {
    return this.dataSource.getRepository(Refund).find({ where: { orderId }, order: { createdAt: 'ASC' } });
  }

  /**
   * For the recovery sweep: brings a PENDING refund to its end if that can be known now. An earlier issue that
   * applied makes it SUCCEEDED; when every earlier issue is known not to have applied, the refund is issued
   * again (the OMS asked for it, and its retry with the same key will be answered with this result).
   * UNKNOWN while some answer cannot be learned yet, or when another worker holds the refund right now.
   */
  async resolvePending(refundId: string, actor: string): Promise<RefundResolution> {
    const refund = await this.get(refundId);
    if (refund.status !== 'PENDING') return { refund, outcome: refund.status };
    const done = await this.lock.tryRun(refundId, 0, () => this.advance(refund, actor));
    if (!done) return { refund, outcome: 'UNKNOWN' };
    const kind = done.value.kind;
    return { refund, outcome: kind === 'REJECTED' ? 'NOT_APPLIED' : kind };
  }

  private byKey(idempotencyKey: string): Promise<Refund | null> {
    return this.dataSource.getRepository(Refund).findOneBy({ idempotencyKey });
  }

  /**
   * Checks the request against the order's refund ceiling and stores the refund PENDING (with its history),
   * before any provider call. The order's lock (a transaction-scoped advisory lock: it works alike on
   * PostgreSQL and on the embedded database, and needs no row of the order to exist) makes concurrent refunds
   * of one order count and store one after another, so together they never pass the ceiling.
   */
  private async accept(request: RefundRequest, amount: Money, actor: string, idempotencyKey: string, grants: RefundGrants): Promise<Refund> {
    try {
      return await this.dataSource.transaction(async (m) => {
        await m.query(`SELECT pg_advisory_xact_lock(hashtext('refund-order:' || $1::text))`, [request.orderId]);
        const target = request.settlementId ? await this.settledCard(m, request, amount) : await this.namedCard(m, request);
        const order = await this.orderRefundable(m, request.orderId, amount.currency);
        const decision = decideRefund(amount.minor, {
          orderSettledMinor: order.settledMinor,
          orderRefundedMinor: order.refundedMinor,
          settlement: target.settlement ? { settledMinor: target.settlement.settledMinor, refundedMinor: target.settlementRefundedMinor } : undefined,
          toSettledCard: target.toSettledCard,
          mayCredit: grants.mayCredit,
        });
        if (!decision.accepted) throw refundRefused(decision, amount, request.orderId, order, target);
        const refund = m.getRepository(Refund).create({
          id: randomUUID(),
          orderId: request.orderId,
          settlementId: target.settlement?.id ?? null,
          idempotencyKey,
          cardHash: target.card.hash,
          cardEncrypted: target.card.encrypted,
          cardLast4: target.card.last4,
          currency: amount.currency,
          amountMinor: amount.minor,
          kind: decision.kind,
          status: 'PENDING',
          failureReason: null,
          providerTransactionId: null,
          lockOwner: null,
          lockUntil: null,
          createdAt: new Date(),
          updatedAt: new Date(),
        });
        await m.getRepository(Refund).insert(refund);
        await this.history.append(m, {
          orderId: refund.orderId,
          authorizationId: target.settlement?.servedAuthorizationId ?? null,
          settlementId: refund.settlementId,
          refundId: refund.id,
          type: 'REFUND_REQUESTED',
          toState: 'PENDING',
          amountMinor: refund.amountMinor,
          currency: refund.currency,
          actor,
          detail: { kind: decision.kind, refundableAmount: formatAmount({ minor: decision.refundableMinor, currency: amount.currency }) },
        });
        return refund;
      });
    } catch (error) {
      // Another worker with the same key got there first (a takeover racing a slow original): resume its refund.
      if (error instanceof QueryFailedError && (error as { driverError?: { code?: string } }).driverError?.code === '23505') {
        const existing = await this.byKey(idempotencyKey);
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
    const settlement = await m.getRepository(Settlement).findOne({ where: { id: request.settlementId! }, lock: { mode: 'pessimistic_write' } });
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
    const [{ total }] = await m.query(
      `SELECT COALESCE(SUM(amount_minor), 0)::text AS total FROM refund WHERE settlement_id = $1 AND status IN ('PENDING', 'SUCCEEDED')`,
      [settlement.id],
    );
    const authorization = await m.getRepository(Authorization).findOneByOrFail({ id: settlement.servedAuthorizationId ?? settlement.authorizationId });
    return {
      settlement,
      settlementRefundedMinor: BigInt(total),
      toSettledCard: true,
      card: { hash: authorization.cardHash, encrypted: authorization.cardEncrypted, last4: authorization.cardLast4 },
    };
  }

  /** A refund to a card named by number: it fits only a card a SETTLED settlement of this order redeemed from. */
  private async namedCard(m: EntityManager, request: RefundRequest): Promise<RefundTarget> {
    const card = this.vault.protect(request.cardNumber!);
    const [{ settled }] = await m.query(
      `SELECT EXISTS (
         SELECT 1 FROM settlement s JOIN authorization_hold a ON a.id = COALESCE(s.served_authorization_id, s.authorization_id)
          WHERE s.order_id = $1 AND s.status = 'SETTLED' AND a.card_hash = $2) AS settled`,
      [request.orderId, card.hash],
    );
    return { card, settlement: null, settlementRefundedMinor: 0n, toSettledCard: settled === true };
  }

  /** What the order settled on gift cards in `currency`, and what of it is refunded or being refunded. */
  private async orderRefundable(m: EntityManager, orderId: string, currency: string): Promise<OrderRefundable> {
    const [row] = await m.query(
      `SELECT (SELECT COALESCE(SUM(settled_minor), 0) FROM settlement WHERE order_id = $1 AND currency = $2 AND status = 'SETTLED')::text AS settled,
              (SELECT COALESCE(SUM(amount_minor), 0) FROM refund WHERE order_id = $1 AND currency = $2 AND status IN ('PENDING', 'SUCCEEDED'))::text AS refunded`,
      [orderId, currency],
    );
    return { settledMinor: BigInt(row.settled), refundedMinor: BigInt(row.refunded) };
  }

  /**
   * Under the refund's lock: learn what earlier attempts did, then issue if nothing was issued yet.
   * Never issues while an earlier attempt's outcome is unknown.
   */
  private async advance(refund: Refund, actor: string): Promise<Attempt> {
    Object.assign(refund, await this.dataSource.getRepository(Refund).findOneByOrFail({ id: refund.id }));
    if (refund.status !== 'PENDING') return { kind: refund.status };

    const earlier = await this.dataSource.getRepository(ProviderCall).find({
      where: { refundId: refund.id, operation: 'ISSUE' },
      order: { createdAt: 'ASC' },
    });
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
      await m.getRepository(Refund).update(refund.id, {
        status,
        failureReason: refund.failureReason,
        providerTransactionId: refund.providerTransactionId,
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
