import { IllegalTransitionError } from '../authorizations/authorization-state';

/**
 * PENDING: accepted, value not (yet known to be) issued back. SUCCEEDED: the provider issued it.
 * FAILED: the provider declined it; nothing was issued.
 */
export type RefundStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';
/**
 * ISSUED / DECLINED: the provider's answer (or what a look-up of a lost answer found). NOT_PROCESSED: the
 * provider could not be asked (stays PENDING for a retry with the same key). OUTCOME_UNKNOWN: the answer
 * was lost and cannot be learned yet. RETRIED: an earlier attempt is known not to have applied; issuing again.
 */
export type RefundEvent = 'ISSUED' | 'DECLINED' | 'NOT_PROCESSED' | 'OUTCOME_UNKNOWN' | 'RETRIED';

const REFUND_TRANSITIONS: Record<RefundEvent, { from: RefundStatus[]; to: RefundStatus }> = {
  ISSUED: { from: ['PENDING'], to: 'SUCCEEDED' },
  DECLINED: { from: ['PENDING'], to: 'FAILED' },
  NOT_PROCESSED: { from: ['PENDING'], to: 'PENDING' },
  OUTCOME_UNKNOWN: { from: ['PENDING'], to: 'PENDING' },
  RETRIED: { from: ['PENDING'], to: 'PENDING' },
};

export function nextRefundStatus(status: RefundStatus, event: RefundEvent): RefundStatus {
  const rule = REFUND_TRANSITIONS[event];
  if (!rule.from.includes(status)) throw new IllegalTransitionError(`refund: ${event} is not allowed in ${status}`);
  return rule.to;
}

/** Rule of refunds against a settlement: what is pending or issued may never exceed what was settled. */
export function refundFits(settledMinor: bigint, alreadyRefundedOrPendingMinor: bigint, amountMinor: bigint): boolean {
  return alreadyRefundedOrPendingMinor + amountMinor <= settledMinor;
}

/** REFUND: value the order paid with gift cards going back; CREDIT: value beyond that (store credit). */
export type RefundKind = 'REFUND' | 'CREDIT';

/** What a refund is checked against when it is accepted, all counted under the order's lock. */
export interface RefundCeiling {
  /** What the order settled on gift cards (SETTLED settlements, in the refund's currency). */
  orderSettledMinor: bigint;
  /** The order's refunds and credits that are PENDING or SUCCEEDED. */
  orderRefundedMinor: bigint;
  /** For a refund against a settlement: what it settled and what is already refunded of it. */
  settlement?: { settledMinor: bigint; refundedMinor: bigint };
  /** The refund goes to a card the order settled on (always so for a refund against a settlement). */
  toSettledCard: boolean;
  /** The API key has the `credits` scope. */
  mayCredit: boolean;
}

export type RefundDecision =
  | { accepted: true; kind: RefundKind; refundableMinor: bigint; limitedBy: 'ORDER' | 'SETTLEMENT' }
  | { accepted: false; code: 'REFUND_EXCEEDS_SETTLED' | 'REFUND_CARD_NOT_IN_ORDER'; refundableMinor: bigint; limitedBy: 'ORDER' | 'SETTLEMENT' };

const atLeastZero = (minor: bigint) => (minor > 0n ? minor : 0n);

/**
 * Refund ceilings: a refund fits when it goes to a card the order settled on and is at most what is left to
 * refund, of the order and (against a settlement) of that settlement. Anything else is value beyond what
 * was paid with gift cards: a CREDIT for a key that may issue credits, refused otherwise.
 */
export function decideRefund(amountMinor: bigint, ceiling: RefundCeiling): RefundDecision {
  let refundableMinor = atLeastZero(ceiling.orderSettledMinor - ceiling.orderRefundedMinor);
  let limitedBy: 'ORDER' | 'SETTLEMENT' = 'ORDER';
  if (ceiling.settlement) {
    const ofSettlement = atLeastZero(ceiling.settlement.settledMinor - ceiling.settlement.refundedMinor);
    if (ofSettlement <= refundableMinor) [refundableMinor, limitedBy] = [ofSettlement, 'SETTLEMENT'];
  }
  const fits = amountMinor <= refundableMinor;
  if (fits && ceiling.toSettledCard) return { accepted: true, kind: 'REFUND', refundableMinor, limitedBy };
  if (ceiling.mayCredit) return { accepted: true, kind: 'CREDIT', refundableMinor, limitedBy };
  return { accepted: false, code: fits ? 'REFUND_CARD_NOT_IN_ORDER' : 'REFUND_EXCEEDS_SETTLED', refundableMinor, limitedBy };
}
