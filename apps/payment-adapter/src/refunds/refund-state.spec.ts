import { IllegalTransitionError } from '../authorizations/authorization-state';
import { decideRefund, nextRefundStatus, RefundCeiling, refundFits } from './refund-state';

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

  describe('refund ceilings', () => {
    const order = (settled: bigint, refunded: bigint, more: Partial<RefundCeiling> = {}): RefundCeiling => ({
      orderSettledMinor: settled,
      orderRefundedMinor: refunded,
      toSettledCard: true,
      mayCredit: false,
      ...more,
    });

    it('accepts a refund up to what the order settled minus what is refunded, as a REFUND', () => {
      expect(decideRefund(2000n, order(5000n, 3000n))).toEqual({ accepted: true, kind: 'REFUND', refundableMinor: 2000n, limitedBy: 'ORDER' });
      expect(decideRefund(2001n, order(5000n, 3000n))).toEqual({ accepted: false, code: 'REFUND_EXCEEDS_SETTLED', refundableMinor: 2000n, limitedBy: 'ORDER' });
    });

    it('refuses anything on an order that settled nothing, and never reports a negative refundable amount', () => {
      expect(decideRefund(1n, order(0n, 0n))).toMatchObject({ accepted: false, code: 'REFUND_EXCEEDS_SETTLED', refundableMinor: 0n });
      expect(decideRefund(1n, order(1000n, 1500n))).toMatchObject({ accepted: false, refundableMinor: 0n });
    });

    it('caps a refund against a settlement by the smaller of what is left of it and of the order', () => {
      expect(decideRefund(600n, order(5000n, 4500n, { settlement: { settledMinor: 3000n, refundedMinor: 0n } }))).toMatchObject({ accepted: false, refundableMinor: 500n, limitedBy: 'ORDER' });
      expect(decideRefund(600n, order(5000n, 0n, { settlement: { settledMinor: 3000n, refundedMinor: 2500n } }))).toMatchObject({ accepted: false, refundableMinor: 500n, limitedBy: 'SETTLEMENT' });
      expect(decideRefund(500n, order(5000n, 0n, { settlement: { settledMinor: 3000n, refundedMinor: 2500n } }))).toMatchObject({ accepted: true, kind: 'REFUND' });
    });

    it('refuses a card the order did not settle on, even within the ceiling', () => {
      expect(decideRefund(100n, order(5000n, 0n, { toSettledCard: false }))).toEqual({ accepted: false, code: 'REFUND_CARD_NOT_IN_ORDER', refundableMinor: 5000n, limitedBy: 'ORDER' });
    });

    it('makes value beyond the ceiling, or to another card, a CREDIT for a key that may issue credits', () => {
      expect(decideRefund(9000n, order(5000n, 0n, { mayCredit: true }))).toMatchObject({ accepted: true, kind: 'CREDIT' });
      expect(decideRefund(100n, order(0n, 0n, { mayCredit: true, toSettledCard: false }))).toMatchObject({ accepted: true, kind: 'CREDIT' });
      expect(decideRefund(100n, order(5000n, 0n, { mayCredit: true, toSettledCard: false }))).toMatchObject({ accepted: true, kind: 'CREDIT' });
      expect(decideRefund(100n, order(5000n, 0n, { mayCredit: true }))).toMatchObject({ accepted: true, kind: 'REFUND' });
    });
  });
});
