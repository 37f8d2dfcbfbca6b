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
