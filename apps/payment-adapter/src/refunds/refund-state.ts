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
