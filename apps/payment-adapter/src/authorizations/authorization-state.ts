/**
 * The authorization and settlement state machines, in one place. Services ask `next(...)` for every change;
 * a transition not listed here is a bug and throws.
 */

/** PENDING: hold in flight. FAILED: the hold was not processed (provider down or answer lost); a retry may try again. */
export type AuthorizationState = 'PENDING' | 'OPEN' | 'CLOSED' | 'FAILED';
export type ClosedReason = 'SETTLED' | 'REVERSED' | 'SUPERSEDED' | 'EXPIRED' | 'DECLINED' | 'REAUTHORIZED';
export type Decision = 'APPROVED' | 'PARTIALLY_APPROVED' | 'DECLINED';

export type AuthorizationEvent =
  | 'HOLD_APPROVED'
  | 'HOLD_DECLINED'
  | 'HOLD_NOT_PROCESSED'
  | 'HOLD_RETRIED'
  | 'SETTLED'
  | 'SUPERSEDED'
  | 'REVERSED'
  | 'EXPIRED'
  | 'REAUTHORIZED';

const AUTHORIZATION_TRANSITIONS: Record<AuthorizationEvent, { from: AuthorizationState[]; to: AuthorizationState; reason?: ClosedReason }> = {
  HOLD_APPROVED: { from: ['PENDING'], to: 'OPEN' },
  HOLD_DECLINED: { from: ['PENDING'], to: 'CLOSED', reason: 'DECLINED' },
  HOLD_NOT_PROCESSED: { from: ['PENDING'], to: 'FAILED' },
  HOLD_RETRIED: { from: ['FAILED', 'PENDING'], to: 'PENDING' },
  SETTLED: { from: ['OPEN'], to: 'CLOSED', reason: 'SETTLED' },
  SUPERSEDED: { from: ['OPEN'], to: 'CLOSED', reason: 'SUPERSEDED' },
  // A link never placed (not processed, or pending without a call) is reversed too: closed for good.
  REVERSED: { from: ['OPEN', 'FAILED', 'PENDING'], to: 'CLOSED', reason: 'REVERSED' },
  EXPIRED: { from: ['OPEN'], to: 'CLOSED', reason: 'EXPIRED' },
  // Before it expires, a new hold (the next link) took over what it held; its own hold is released after.
  REAUTHORIZED: { from: ['OPEN'], to: 'CLOSED', reason: 'REAUTHORIZED' },
};

export class IllegalTransitionError extends Error {}

export function nextAuthorizationState(
  state: AuthorizationState,
  event: AuthorizationEvent,
): { state: AuthorizationState; closedReason: ClosedReason | null } {
  const rule = AUTHORIZATION_TRANSITIONS[event];
  if (!rule.from.includes(state)) throw new IllegalTransitionError(`authorization: ${event} is not allowed in ${state}`);
  return { state: rule.to, closedReason: rule.reason ?? null };
}

/** APPROVED when the whole amount is held, PARTIALLY_APPROVED when less (but some), DECLINED when none. */
export function decisionFor(requestedMinor: bigint, heldMinor: bigint): Decision {
  if (heldMinor <= 0n) return 'DECLINED';
  return heldMinor >= requestedMinor ? 'APPROVED' : 'PARTIALLY_APPROVED';
}

export type SettlementStatus = 'OPEN' | 'PROCESSING' | 'SETTLED' | 'FAILED';
export type SettlementEvent = 'CLAIMED' | 'REDEEMED' | 'FAILED' | 'RETRY_LATER' | 'REOPENED';

const SETTLEMENT_TRANSITIONS: Record<SettlementEvent, { from: SettlementStatus[]; to: SettlementStatus }> = {
  CLAIMED: { from: ['OPEN', 'PROCESSING'], to: 'PROCESSING' },
  REDEEMED: { from: ['PROCESSING'], to: 'SETTLED' },
  FAILED: { from: ['PROCESSING', 'OPEN'], to: 'FAILED' },
  RETRY_LATER: { from: ['PROCESSING'], to: 'OPEN' },
  REOPENED: { from: ['FAILED'], to: 'OPEN' },
};

export function nextSettlementStatus(status: SettlementStatus, event: SettlementEvent): SettlementStatus {
  const rule = SETTLEMENT_TRANSITIONS[event];
  if (!rule.from.includes(status)) throw new IllegalTransitionError(`settlement: ${event} is not allowed in ${status}`);
  return rule.to;
}
