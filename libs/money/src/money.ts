import { currencyScale } from './currency';

/** An amount of money in integer minor units of its currency. Never a float. */
export interface Money {
  readonly minor: bigint;
  readonly currency: string;
}

export class AmountFormatError extends Error {}

export function money(minor: bigint | number | string, currency: string): Money {
  currencyScale(currency);
  return { minor: BigInt(minor), currency };
}

/**
 * Parses a major-unit decimal string whose scale must match the currency exactly:
 * `"25.50"` USD -> 2550n, `"1000"` JPY -> 1000n. Signs, exponents, other scales and amounts of more than
 * 15 significant digits (9,999,999,999,999.99 USD) are refused.
 */
export function parseAmount(text: string, currency: string): Money {
  const scale = currencyScale(currency);
  const pattern = scale === 0 ? /^(\d+)$/ : new RegExp(`^(\\d+)\\.(\\d{${scale}})$`);
  const match = typeof text === 'string' ? pattern.exec(text) : null;
  // 15 significant digits at most: every amount must also travel exactly as a provider's JSON number.
  if (!match || BigInt(match[1] + (match[2] ?? '')) >= 10n ** 15n) {
    const example = scale === 0 ? '100' : `100.${'0'.repeat(scale)}`;
    throw new AmountFormatError(`must be a decimal string with ${scale} decimals for ${currency}, like "${example}"`);
  }
  return { minor: BigInt(match[1] + (match[2] ?? '')), currency };
}

/** Formats minor units as the major-unit decimal string the contract uses (`2550n` USD -> `"25.50"`). */
export function formatAmount(amount: Money): string {
  return formatMinor(amount.minor, currencyScale(amount.currency));
}

export function formatMinor(minor: bigint, scale: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return (negative ? '-' : '') + (scale === 0 ? whole : `${whole}.${fraction}`);
}

/** A double keeps any decimal of at most 15 significant digits exactly through a JSON round trip. */
const MAX_EXACT_DIGITS = 10n ** 15n;

/**
 * Major units as a JSON number, for providers that take one: `Number(decimalString)`, the nearest double to
 * the exact decimal. That double prints back as the same digits only up to 15 significant digits, so larger
 * amounts are refused rather than sent inexactly.
 */
export function toMajorNumber(amount: Money): number {
  if (amount.minor >= MAX_EXACT_DIGITS || amount.minor <= -MAX_EXACT_DIGITS) {
    throw new RangeError('amount has more than 15 significant digits: it cannot travel exactly as a JSON number');
  }
  return Number(formatAmount(amount));
}

/**
 * Reads a provider's major-unit JSON number back into minor units without float arithmetic:
 * the shortest round-trip decimal of the number is parsed as text. More decimals than the currency
 * allows is an error, not a silent rounding.
 */
export function fromMajorNumber(value: number, currency: string): Money {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AmountFormatError(`not a finite amount: ${value}`);
  const scale = currencyScale(currency);
  const [mantissa, exponentText] = Math.abs(value).toString().toLowerCase().split('e');
  const exponent = Number(exponentText ?? 0);
  const [whole, fraction = ''] = mantissa.split('.');
  let digits = whole + fraction;
  let pointAt = whole.length + exponent;
  if (pointAt < 0) {
    digits = '0'.repeat(-pointAt) + digits;
    pointAt = 0;
  }
  digits = digits.padEnd(pointAt, '0');
  const intPart = digits.slice(0, pointAt) || '0';
  const fracPart = digits.slice(pointAt).replace(/0+$/, '');
  if (fracPart.length > scale) throw new AmountFormatError(`${value} has more than ${scale} decimals for ${currency}`);
  const minor = BigInt(intPart + fracPart.padEnd(scale, '0'));
  return { minor: value < 0 ? -minor : minor, currency };
}

export function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new RangeError(`currency mismatch: ${a.currency} vs ${b.currency}`);
}

export const add = (a: Money, b: Money): Money => (sameCurrency(a, b), { minor: a.minor + b.minor, currency: a.currency });
export const subtract = (a: Money, b: Money): Money => (sameCurrency(a, b), { minor: a.minor - b.minor, currency: a.currency });
export const minMoney = (a: Money, b: Money): Money => (sameCurrency(a, b), a.minor <= b.minor ? a : b);
export const zero = (currency: string): Money => money(0n, currency);
