import { Money, minMoney, subtract } from '@gcpa/money';

export interface BalanceAnswer {
  available: Money;
  /** What this card can pay of the request: min(requested, available). */
  applicable: Money;
  /** What the order still needs from another tender: requested − applicable. */
  remaining: Money;
}

/**
 * The CSR's "available / applied / remaining". Without a requested amount the card is assumed to be asked for
 * everything it has: applicable = available, remaining = 0.
 */
export function applyBalance(available: Money, requested?: Money): BalanceAnswer {
  const asked = requested ?? available;
  const applicable = minMoney(asked, available);
  return { available, applicable, remaining: subtract(asked, applicable) };
}

/** Most cards one balance inquiry may name (`cards`): enough for a wallet of gift cards, few enough to bound a request. */
export const MAX_CARDS_PER_INQUIRY = 10;

export interface CardsAnswer {
  /** What the cards pay together: the sum of their applicable amounts. */
  applied: Money;
  /** What the order still needs from another tender: requested − applied. */
  remaining: Money;
  /** One per card, in the order given. */
  cards: Array<{ available: Money; applicable: Money }>;
}

/**
 * Several cards applied to one amount, in the order given: each pays min(what is still needed, its available
 * balance), so a card listed after the need is met applies nothing.
 */
export function applyCards(available: Money[], requested: Money): CardsAnswer {
  let remaining = requested;
  const cards = available.map((balance) => {
    const applicable = minMoney(remaining, balance);
    remaining = subtract(remaining, applicable);
    return { available: balance, applicable };
  });
  return { applied: subtract(requested, remaining), remaining, cards };
}
