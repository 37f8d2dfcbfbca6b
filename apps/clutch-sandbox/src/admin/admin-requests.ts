import { Money, currencyScale, fromMajorNumber, isCurrency } from '@gcpa/money';
import { invalidRequest } from '../protocol/clutch-error';

/** Request bodies of the admin API (`/_sandbox`), read into typed values; malformed ones are HTTP 400. */

export interface NewCard {
  /** Absent: the card set's currency. */
  currency?: string;
  /** Major-unit decimal text, read once the currency is known. */
  balance: string | number;
  pin: string | null;
  cardSetId: string;
  active: boolean;
  cardNumber?: string;
}

export interface NewCardSet {
  id: string;
  hasPin: boolean;
  currency: string;
}

function asObject(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidRequest('body must be a JSON object');
  return raw as Record<string, unknown>;
}

export function parseNewCard(raw: unknown): NewCard {
  const body = asObject(raw);
  const { currency, balance, pin, cardSetId, active, cardNumber } = body;
  if (currency !== undefined && !isCurrency(currency)) throw invalidRequest(`unknown currency ${JSON.stringify(currency)}`);
  if (balance !== undefined && typeof balance !== 'string' && typeof balance !== 'number') {
    throw invalidRequest('balance must be a decimal string like "42.00"');
  }
  if (pin !== undefined && pin !== null && (typeof pin !== 'string' || !/^\d{4}$/.test(pin))) {
    throw invalidRequest('pin must be 4 digits');
  }
  if (cardSetId !== undefined && (typeof cardSetId !== 'string' || cardSetId === '')) throw invalidRequest('cardSetId must be a string');
  if (active !== undefined && typeof active !== 'boolean') throw invalidRequest('active must be true or false');
  if (cardNumber !== undefined && (typeof cardNumber !== 'string' || !/^\d{8,19}$/.test(cardNumber))) {
    throw invalidRequest('cardNumber must be 8 to 19 digits');
  }
  return {
    currency: currency as string | undefined,
    balance: (balance as string | number | undefined) ?? '0',
    pin: (pin as string | null | undefined) ?? null,
    cardSetId: (cardSetId as string | undefined) ?? 'egift',
    active: (active as boolean | undefined) ?? true,
    cardNumber: cardNumber as string | undefined,
  };
}

/** `"42.00"`, `"42"` or `42` in `currency` -> minor units; more decimals than the currency has is refused. */
export function parseAdminAmount(value: string | number, currency: string): Money {
  const scale = currencyScale(currency);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalidRequest('balance must not be negative');
    try {
      return fromMajorNumber(value, currency);
    } catch {
      throw invalidRequest(`balance has more than ${scale} decimals for ${currency}`);
    }
  }
  const match = /^(\d{1,15})(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw invalidRequest('balance must be a non-negative decimal string like "42.00"');
  const fraction = match[2] ?? '';
  if (fraction.length > scale) throw invalidRequest(`balance has more than ${scale} decimals for ${currency}`);
  return { minor: BigInt(match[1] + fraction.padEnd(scale, '0')), currency };
}

export function parseNewCardSet(raw: unknown): NewCardSet {
  const body = asObject(raw);
  const { id, hasPin, currency } = body;
  if (typeof id !== 'string' || !/^[\w.-]{1,64}$/.test(id)) throw invalidRequest('id must be 1 to 64 letters, digits, "_", "-" or "."');
  if (hasPin !== undefined && typeof hasPin !== 'boolean') throw invalidRequest('hasPin must be true or false');
  if (currency !== undefined && !isCurrency(currency)) throw invalidRequest(`unknown currency ${JSON.stringify(currency)}`);
  return { id, hasPin: (hasPin as boolean | undefined) ?? true, currency: (currency as string | undefined) ?? 'USD' };
}
