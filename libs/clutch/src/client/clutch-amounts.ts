import { DeclineReason, ProviderInvalidRequestError } from '@gcpa/gift-card-provider';
import { Money, fromMajorNumber, toMajorNumber } from '@gcpa/money';
import { ClutchAmount, ClutchBalance } from '../protocol';

/**
 * Our minor units as Clutch's amount object (a JSON number in major units). A double carries 15
 * significant decimal digits exactly, so beyond that (10^13 USD) the number is checked to read back to
 * the same minor units, and refused when it would not: we never send an amount we did not mean.
 */
export function toClutchAmount(amount: Money): ClutchAmount {
  let major: number;
  try {
    major = toMajorNumber(amount);
  } catch {
    major = Number.NaN;
  }
  if (Number.isNaN(major) || (amount.minor >= EXACT_LIMIT || -amount.minor >= EXACT_LIMIT) && !readsBack(major, amount)) {
    throw new ProviderInvalidRequestError(`amount of ${amount.minor} minor ${amount.currency} cannot be sent exactly as a JSON number`);
  }
  return { balanceType: 'Currency', balanceCode: amount.currency, amount: major };
}

const EXACT_LIMIT = 10n ** 15n;

function readsBack(major: number, amount: Money): boolean {
  try {
    return fromMajorNumber(major, amount.currency).minor === amount.minor;
  } catch {
    return false;
  }
}

/** A number Clutch sent back, in minor units of `currency`; more decimals than the currency has is an error. */
export function fromClutchNumber(value: unknown, currency: string): Money {
  return fromMajorNumber(value as number, currency);
}

export type BalanceSummary =
  | { available: Money; held: Money }
  | { decline: DeclineReason };

/**
 * A card's balance entries in `currency`: available = the non-hold Currency entries, held = the hold entries.
 * Currency entries that are all in another code mean the card is not in the requested currency.
 */
export function summariseBalances(balances: readonly ClutchBalance[] | undefined, currency: string): BalanceSummary {
  let available = 0n;
  let held = 0n;
  let inCurrency = 0;
  let otherCurrency = 0;
  for (const entry of balances ?? []) {
    if (entry.balanceType !== 'Currency') continue;
    if (entry.balanceCode !== currency) {
      otherCurrency++;
      continue;
    }
    inCurrency++;
    const minor = fromClutchNumber(entry.amount, currency).minor;
    if (entry.isHold) held += minor;
    else available += minor;
  }
  if (inCurrency === 0 && otherCurrency > 0) return { decline: 'CURRENCY_MISMATCH' };
  return { available: { minor: available, currency }, held: { minor: held, currency } };
}
