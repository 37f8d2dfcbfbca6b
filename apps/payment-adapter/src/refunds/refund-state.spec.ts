import { IllegalTransitionError } from '../authorizations/authorization-state';
import { nextRefundStatus, refundFits } from './refund-state';

describe('refund state machine', () => {
  it('ends SUCCEEDED when issued and FAILED when declined', () => {
    expect(nextRefundStatus('PENDING', 'ISSUED')).toBe('SUCCEEDED');
    expect(nextRefundStatus('PENDING', 'DECLINED')).toBe('FAILED');
  });

  it('stays PENDING while the provider cannot be asked or its answer is unknown', () => {
    expect(nextRefundStatus('PENDING', 'NOT_PROCESSED')).toBe('PENDING');
    expect(nextRefundStatus('PENDING', 'OUTCOME_UNKNOWN')).toBe('PENDING');
    expect(nextRefundStatus('PENDING', 'RETRIED')).toBe('PENDING');
  });

  it.each([
    ['SUCCEEDED', 'ISSUED'],
    ['SUCCEEDED', 'DECLINED'],
    ['FAILED', 'ISSUED'],
    ['FAILED', 'RETRIED'],
  ] as const)('refuses %s --%s-->', (status, event) => {
    expect(() => nextRefundStatus(status, event)).toThrow(IllegalTransitionError);
  });

  it('fits a refund up to exactly the settled amount', () => {
    expect(refundFits(6000n, 5000n, 1000n)).toBe(true);
    expect(refundFits(6000n, 5000n, 1001n)).toBe(false);
    expect(refundFits(6000n, 0n, 6000n)).toBe(true);
  });
});
