import fc from 'fast-check';
import { allocateRefund, SettledCard } from './refund-allocation';

describe('allocateRefund', () => {
  const card = (cardHash: string, settledMinor: bigint, refundedMinor: bigint, minute: number): SettledCard => ({
    cardHash,
    settledMinor,
    refundedMinor,
    lastSettledAt: new Date(Date.UTC(2026, 0, 1, 10, minute)),
  });

  it('takes the card of the most recent settlement first, then the next', () => {
    const older = card('a', 3000n, 0n, 1);
    const newer = card('b', 2000n, 0n, 5);
    expect(allocateRefund(4500n, [older, newer], 5000n)).toEqual({
      accepted: true,
      parts: [
        { cardHash: 'b', amountMinor: 2000n },
        { cardHash: 'a', amountMinor: 2500n },
      ],
    });
  });

  it('gives one part when the most recent card covers the amount', () => {
    expect(allocateRefund(1500n, [card('a', 3000n, 0n, 1), card('b', 2000n, 0n, 5)], 5000n)).toEqual({ accepted: true, parts: [{ cardHash: 'b', amountMinor: 1500n }] });
  });

  it('never gives a card more than it settled minus what was refunded to it, and skips a card with nothing left', () => {
    const refundedAll = card('b', 2000n, 2000n, 9);
    const refundedSome = card('a', 3000n, 1000n, 5);
    const oldest = card('c', 1000n, 0n, 1);
    expect(allocateRefund(2500n, [oldest, refundedAll, refundedSome], 4000n)).toEqual({
      accepted: true,
      parts: [
        { cardHash: 'a', amountMinor: 2000n },
        { cardHash: 'c', amountMinor: 500n },
      ],
    });
  });

  it('refuses what the cards together cannot take back, naming what is left', () => {
    expect(allocateRefund(5001n, [card('a', 3000n, 0n, 1), card('b', 2000n, 0n, 5)], 9000n)).toEqual({ accepted: false, code: 'REFUND_EXCEEDS_SETTLED', refundableMinor: 5000n });
  });

  it("refuses what passes the order's ceiling even when the cards could take it", () => {
    expect(allocateRefund(4000n, [card('a', 3000n, 0n, 1), card('b', 2000n, 0n, 5)], 3500n)).toEqual({ accepted: false, code: 'REFUND_EXCEEDS_SETTLED', refundableMinor: 3500n });
  });

  it('refuses everything for an order that settled nothing', () => {
    expect(allocateRefund(1n, [], 0n)).toEqual({ accepted: false, code: 'REFUND_EXCEEDS_SETTLED', refundableMinor: 0n });
  });

  it('allocates exactly the amount, within every ceiling, or refuses it', () => {
    const cardArb = fc.record({ settled: fc.bigInt({ min: 0n, max: 100_000n }), refunded: fc.bigInt({ min: 0n, max: 100_000n }), minute: fc.integer({ min: 0, max: 59 }) });
    fc.assert(
      fc.property(fc.array(cardArb, { maxLength: 6 }), fc.bigInt({ min: 1n, max: 300_000n }), fc.bigInt({ min: -1000n, max: 300_000n }), (raw, amount, orderLeft) => {
        const cards = raw.map((c, i) => card(`card-${i}`, c.settled, c.refunded, c.minute));
        const decision = allocateRefund(amount, cards, orderLeft);
        if (!decision.accepted) {
          expect(decision.refundableMinor).toBeLessThan(amount);
          return;
        }
        expect(decision.parts.reduce((sum, p) => sum + p.amountMinor, 0n)).toBe(amount);
        expect(amount).toBeLessThanOrEqual(orderLeft);
        for (const part of decision.parts) {
          const of = cards.find((c) => c.cardHash === part.cardHash)!;
          expect(part.amountMinor).toBeGreaterThan(0n);
          expect(part.amountMinor).toBeLessThanOrEqual(of.settledMinor - of.refundedMinor);
        }
        expect(new Set(decision.parts.map((p) => p.cardHash)).size).toBe(decision.parts.length);
      }),
    );
  });
});
