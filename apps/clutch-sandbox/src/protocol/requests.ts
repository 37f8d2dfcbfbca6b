import { AmountFormatError, Money, currencyScale, fromMajorNumber, isCurrency } from '@gcpa/money';
import { invalidRequest, refuse } from './clutch-error';

/**
 * Reading Clutch request bodies into typed commands. Anything malformed is an HTTP 400
 * `Invalid request: <what>`; whether the card, hold or transaction exists is the ledger's business.
 */

export interface PinCheck {
  forcePinValidation: boolean;
  pin?: string;
}

export interface SearchCommand extends PinCheck {
  cardNumber: string;
  /** Cards never allocated or activated are listed too (without an activation date). */
  includeInactive: boolean;
}

export interface HoldCommand extends PinCheck {
  action: 'hold';
  cardNumber: string;
  amount: Money;
}

export interface RedeemCommand extends PinCheck {
  action: 'redeem';
  cardNumber: string;
  amount: Money;
  redeemMaxOnOverdraw: boolean;
}

export interface RedeemFromHoldCommand extends PinCheck {
  action: 'redeemFromHold';
  cardNumber: string;
  amount: Money;
  holdId: string;
  releaseHoldRemainder: boolean;
}

export interface IssueCommand extends PinCheck {
  action: 'issue';
  cardNumber: string;
  amount: Money;
  isReturnRelated: boolean;
}

export type BalanceCommand = HoldCommand | RedeemCommand | RedeemFromHoldCommand | IssueCommand;

export type AllocateCommand = { kind: 'fromCardSet'; cardSetId: string } | { kind: 'activate'; cardNumber: string };

type Body = Record<string, unknown>;

const MAX_ID_LENGTH = 128;

function asObject(value: unknown, what: string): Body {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`${what} must be a JSON object`);
  return value as Body;
}

function requiredString(body: Body, field: string, path = field): string {
  const value = body[field];
  if (value === undefined || value === null) throw invalidRequest(`${path} is required`);
  if (typeof value !== 'string') throw invalidRequest(`${path} must be a string`);
  if (value.trim() === '') throw invalidRequest(`${path} must not be empty`);
  if (value.length > MAX_ID_LENGTH) throw invalidRequest(`${path} is too long`);
  return value;
}

function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`${field} must be a string`);
  if (value.length > MAX_ID_LENGTH) throw invalidRequest(`${field} is too long`);
  return value;
}

function optionalBoolean(body: Body, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalidRequest(`${field} must be true or false`);
  return value;
}

/** A card number, or Clutch's recorded refusal (code 6) when there is none. */
function cardNumberOf(body: Body, path = 'cardNumber'): string {
  const value = body[path.split('.').pop()!];
  if (value === undefined || value === null || value === '') throw refuse('noCardNumber');
  return requiredString(body, path.split('.').pop()!, path);
}

function pinCheck(body: Body): PinCheck {
  return { forcePinValidation: optionalBoolean(body, 'forcePinValidation'), pin: optionalString(body, 'pin') };
}

/**
 * `{balanceType: "Currency", balanceCode, amount}` -> Money. The JSON number is read as its shortest decimal,
 * never through float arithmetic; more decimals than the currency has is refused, not rounded.
 */
export function parseClutchAmount(value: unknown, path = 'amount'): Money {
  if (value === undefined || value === null) throw invalidRequest(`${path} is required`);
  const amount = asObject(value, path);
  if (amount.balanceType !== 'Currency') throw invalidRequest(`${path}.balanceType must be "Currency"`);
  if (!isCurrency(amount.balanceCode)) throw invalidRequest(`unknown currency ${JSON.stringify(amount.balanceCode ?? null)} in ${path}.balanceCode`);
  const major = amount.amount;
  if (typeof major !== 'number' || !Number.isFinite(major)) throw invalidRequest(`${path}.amount must be a number`);
  if (major < 0) throw invalidRequest(`${path}.amount must not be negative`);
  const currency = amount.balanceCode;
  let parsed: Money;
  try {
    parsed = fromMajorNumber(major, currency);
  } catch (error) {
    if (error instanceof AmountFormatError) {
      throw invalidRequest(`${path}.amount has more than ${currencyScale(currency)} decimals for ${currency}`);
    }
    throw error;
  }
  if (parsed.minor > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidRequest(`${path}.amount is too large`);
  return parsed;
}

export function parseSearch(raw: unknown): SearchCommand {
  const body = asObject(raw, 'body');
  const filters = asObject(body.filters ?? null, 'filters');
  if (body.returnFields !== undefined && body.returnFields !== null) asObject(body.returnFields, 'returnFields');
  return { cardNumber: cardNumberOf(filters, 'filters.cardNumber'), includeInactive: optionalBoolean(body, 'includeInactive'), ...pinCheck(body) };
}

export function parseUpdateBalance(raw: unknown): BalanceCommand {
  const body = asObject(raw, 'body');
  const cardNumber = cardNumberOf(body);
  const action = body.action;
  if (action !== 'hold' && action !== 'redeem' && action !== 'issue') {
    throw invalidRequest(`action must be one of hold, redeem, issue`);
  }
  const amount = parseClutchAmount(body.amount);
  const pin = pinCheck(body);
  const holdId = optionalString(body, 'redeemFromHoldTransactionId');
  if (action === 'redeem' && holdId !== undefined) {
    if (holdId.trim() === '') throw invalidRequest('redeemFromHoldTransactionId must not be empty');
    return {
      action: 'redeemFromHold',
      cardNumber,
      amount,
      holdId,
      releaseHoldRemainder: optionalBoolean(body, 'releaseHoldRemainder'),
      ...pin,
    };
  }
  // A zero amount only makes sense as the release of a hold.
  if (amount.minor === 0n) throw invalidRequest(`amount.amount must be greater than 0 for ${action}`);
  if (action === 'issue') {
    const expiration = optionalString(body, 'issuedBalanceExpiration');
    if (expiration !== undefined && !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(expiration)) {
      throw invalidRequest('issuedBalanceExpiration must be "yyyy-MM-dd HH:mm:ss"');
    }
    return { action, cardNumber, amount, isReturnRelated: optionalBoolean(body, 'isReturnRelated'), ...pin };
  }
  if (action === 'hold') return { action, cardNumber, amount, ...pin };
  return { action, cardNumber, amount, redeemMaxOnOverdraw: optionalBoolean(body, 'redeemMaxOnOverdraw'), ...pin };
}

export function parseAllocate(raw: unknown): AllocateCommand {
  const body = asObject(raw, 'body');
  const hasSet = body.cardSetId !== undefined && body.cardSetId !== null;
  const hasCard = body.cardNumber !== undefined && body.cardNumber !== null;
  if (hasSet === hasCard) throw invalidRequest('give exactly one of cardSetId or cardNumber');
  return hasSet
    ? { kind: 'fromCardSet', cardSetId: requiredString(body, 'cardSetId') }
    : { kind: 'activate', cardNumber: cardNumberOf(body) };
}

export function parseVoid(raw: unknown): { transactionId: string } {
  return { transactionId: requiredString(asObject(raw, 'body'), 'transactionId') };
}

export interface CardHistoryCommand {
  cardNumber: string;
  limit: number;
  offset: number;
}

function optionalCount(body: Body, field: string, fallback: number, max: number): number {
  const value = body[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw invalidRequest(`${field} must be an integer between 0 and ${max}`);
  return value;
}

export function parseCardHistory(raw: unknown): CardHistoryCommand {
  const body = asObject(raw, 'body');
  return { cardNumber: cardNumberOf(body), limit: optionalCount(body, 'limit', 100, 1000), offset: optionalCount(body, 'offset', 0, 10_000_000) };
}
