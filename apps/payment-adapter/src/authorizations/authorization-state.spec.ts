import { decisionFor, IllegalTransitionError, nextAuthorizationState, nextSettlementStatus } from './authorization-state';

describe('authorization state machine', () => {
  it('opens an approved hold and closes it with the reason of the event', () => {
    expect(nextAuthorizationState('PENDING', 'HOLD_APPROVED')).toEqual({ state: 'OPEN', closedReason: null });
    expect(nextAuthorizationState('OPEN', 'SETTLED')).toEqual({ state: 'CLOSED', closedReason: 'SETTLED' });
    expect(nextAuthorizationState('OPEN', 'SUPERSEDED')).toEqual({ state: 'CLOSED', closedReason: 'SUPERSEDED' });
    expect(nextAuthorizationState('OPEN', 'REVERSED')).toEqual({ state: 'CLOSED', closedReason: 'REVERSED' });
    // A link never placed is reversed too: closed for good, so a retried hold cannot hold for a cancelled order.
    expect(nextAuthorizationState('FAILED', 'REVERSED')).toEqual({ state: 'CLOSED', closedReason: 'REVERSED' });
    expect(nextAuthorizationState('PENDING', 'REVERSED')).toEqual({ state: 'CLOSED', closedReason: 'REVERSED' });
    expect(nextAuthorizationState('PENDING', 'HOLD_DECLINED')).toEqual({ state: 'CLOSED', closedReason: 'DECLINED' });
  });

  it('closes an open link that a new hold replaced before it expired, and one that expired', () => {
    expect(nextAuthorizationState('OPEN', 'REAUTHORIZED')).toEqual({ state: 'CLOSED', closedReason: 'REAUTHORIZED' });
    expect(nextAuthorizationState('OPEN', 'EXPIRED')).toEqual({ state: 'CLOSED', closedReason: 'EXPIRED' });
  });

  it('lets a hold that was not processed be tried again', () => {
    expect(nextAuthorizationState('PENDING', 'HOLD_NOT_PROCESSED').state).toBe('FAILED');
    expect(nextAuthorizationState('FAILED', 'HOLD_RETRIED').state).toBe('PENDING');
  });

  it.each([
    ['CLOSED', 'SETTLED'],
    ['CLOSED', 'REVERSED'],
    ['CLOSED', 'HOLD_APPROVED'],
    ['PENDING', 'SETTLED'],
    ['OPEN', 'HOLD_APPROVED'],
    ['CLOSED', 'HOLD_RETRIED'],
    ['CLOSED', 'REAUTHORIZED'],
    ['PENDING', 'REAUTHORIZED'],
    ['FAILED', 'REAUTHORIZED'],
    ['CLOSED', 'EXPIRED'],
  ] as const)('refuses %s --%s-->', (state, event) => {
    expect(() => nextAuthorizationState(state, event)).toThrow(IllegalTransitionError);
  });

  it('decides approval from what was held', () => {
    expect(decisionFor(1000n, 1000n)).toBe('APPROVED');
    expect(decisionFor(1000n, 400n)).toBe('PARTIALLY_APPROVED');
    expect(decisionFor(1000n, 0n)).toBe('DECLINED');
  });
});

describe('settlement state machine', () => {
  it('walks open -> processing -> settled, and failed -> open on an operator retry', () => {
    expect(nextSettlementStatus('OPEN', 'CLAIMED')).toBe('PROCESSING');
    expect(nextSettlementStatus('PROCESSING', 'REDEEMED')).toBe('SETTLED');
    expect(nextSettlementStatus('PROCESSING', 'RETRY_LATER')).toBe('OPEN');
    expect(nextSettlementStatus('FAILED', 'REOPENED')).toBe('OPEN');
  });

  it('never settles twice or reopens a settled one', () => {
    expect(() => nextSettlementStatus('SETTLED', 'CLAIMED')).toThrow(IllegalTransitionError);
    expect(() => nextSettlementStatus('SETTLED', 'REOPENED')).toThrow(IllegalTransitionError);
    expect(() => nextSettlementStatus('SETTLED', 'REDEEMED')).toThrow(IllegalTransitionError);
  });
});
