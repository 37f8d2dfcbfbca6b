import { money } from '@gcpa/money';
import fc from 'fast-check';
import { applyBalance, applyCards, MAX_CARDS_PER_INQUIRY } from './balance-inquiry';

describe('applyBalance', () => {
  const usd = (minor: number) => money(BigInt(minor), 'USD');

  it('applies what the card has when the request is larger', () => {
    expect(applyBalance(usd(2500), usd(6000))).toEqual({ available: usd(2500), applicable: usd(2500), remaining: usd(3500) });
  });

  it('applies the whole request when the card covers it', () => {
    expect(applyBalance(usd(10000), usd(6000))).toEqual({ available: usd(10000), applicable: usd(6000), remaining: usd(0) });
  });

  it('applies the available balance and leaves nothing remaining without a request', () => {
    expect(applyBalance(usd(2500))).toEqual({ available: usd(2500), applicable: usd(2500), remaining: usd(0) });
  });

  it('applies nothing from an empty card', () => {
    expect(applyBalance(usd(0), usd(100))).toEqual({ available: usd(0), applicable: usd(0), remaining: usd(100) });
  });
});

describe('applyCards', () => {
  const usd = (minor: number | bigint) => money(BigInt(minor), 'USD');

  it('applies the cards in the order given, each for what is still needed up to its balance', () => {
    expect(applyCards([usd(2000), usd(5000), usd(3000)], usd(6000))).toEqual({
      applied: usd(6000),
      remaining: usd(0),
      cards: [
        { available: usd(2000), applicable: usd(2000) },
        { available: usd(5000), applicable: usd(4000) },
        { available: usd(3000), applicable: usd(0) },
      ],
    });
  });

  it('leaves the rest for another tender when the cards together are short', () => {
    expect(applyCards([usd(1000), usd(0), usd(1500)], usd(6000))).toEqual({
      applied: usd(2500),
      remaining: usd(3500),
      cards: [
        { available: usd(1000), applicable: usd(1000) },
        { available: usd(0), applicable: usd(0) },
        { available: usd(1500), applicable: usd(1500) },
      ],
    });
  });

  it('never applies more than requested nor more than a card holds, and applied + remaining = requested', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: MAX_CARDS_PER_INQUIRY }), fc.bigInt({ min: 0n, max: 10n ** 13n }), (balances, requested) => {
        const answer = applyCards(balances.map(usd), usd(requested));
        const sum = answer.cards.reduce((total, card) => total + card.applicable.minor, 0n);
        expect(sum).toBe(answer.applied.minor);
        expect(answer.applied.minor + answer.remaining.minor).toBe(requested);
        answer.cards.forEach((card, i) => {
          expect(card.applicable.minor).toBeGreaterThanOrEqual(0n);
          expect(card.applicable.minor).toBeLessThanOrEqual(balances[i]);
        });
        // A later card applies something only once every earlier card gave all it had.
        answer.cards.forEach((card, i) => {
          if (card.applicable.minor > 0n) answer.cards.slice(0, i).forEach((earlier) => expect(earlier.applicable).toEqual(earlier.available));
        });
      }),
    );
  });
});
