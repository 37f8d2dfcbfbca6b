/**
 * The Clutch merchant API as our client speaks it and our sandbox serves it (see shared clutch-api notes).
 * One definition for both sides: a field renamed here is renamed for the client and the sandbox at once.
 *
 * Transport: `POST {base}{method}` with a JSON body; amounts are JSON numbers in major units.
 */

export const CLUTCH_METHODS = ['search', 'updateBalance', 'allocate', 'void', 'cardHistory'] as const;
export type ClutchMethod = (typeof CLUTCH_METHODS)[number];

/** Header names (HTTP headers are case-insensitive; Node lowercases them on receipt). */
export const ClutchHeaders = {
  authorization: 'Authorization',
  brand: 'Brand',
  location: 'Location',
  terminal: 'Terminal',
  customRequestId: 'customRequestId',
} as const;

export interface ClutchAmount {
  balanceType: 'Currency';
  balanceCode: string; // ISO 4217
  amount: number; // major units
}

export interface ClutchBalance {
  balanceType: string;
  balanceCode: string;
  amount: number;
  /** A hold shows as its own balance entry; available = sum of non-hold Currency entries of the code. */
  isHold?: boolean;
  /** Ours: the hold's transaction id, on hold entries. */
  holdTransactionId?: string;
}

export interface ClutchSuccess {
  success: true;
  requestRef?: string;
}

export interface ClutchFailure {
  success: false;
  errorMessage: string;
  requestRef?: string;
}

export type ClutchResponse<T> = (ClutchSuccess & T) | ClutchFailure;

/** `errorMessage` texts. Clutch reports business failures by message with HTTP 200; clients match on these. */
export const ClutchErrorMessages = {
  unauthorized: 'Invalid API credentials.',
  cardNotFound: 'Could not find the specified card.',
  insufficientFunds: 'Insufficient funds.',
  invalidPin: 'Invalid PIN.',
  cardInactive: 'Card is not active.',
  cardSetNotFound: 'Could not find the specified card set.',
  cardSetExhausted: 'No unallocated cards remain in the card set.',
  holdNotFound: 'Could not find the specified hold.',
  holdClosed: 'The hold has already been redeemed or released.',
  transactionNotFound: 'Could not find the specified transaction.',
  voidNotPossible: 'The transaction cannot be voided.',
  currencyMismatch: 'Balance code does not match the card.',
  /** Prefix of validation failures: `Invalid request: <what>` with HTTP 400. */
  invalidRequestPrefix: 'Invalid request:',
  rateLimited: 'Rate limit exceeded.',
  internal: 'Internal server error.',
} as const;

export interface SearchRequest {
  filters: { cardNumber: string };
  returnFields?: { balances?: boolean; cardSet?: boolean; active?: boolean };
  forcePinValidation?: boolean;
  pin?: string;
}

export interface ClutchCard {
  cardNumber: string;
  cardSetId?: string;
  active?: boolean;
  balances: ClutchBalance[];
}

export interface SearchResponse {
  cards: ClutchCard[];
}

export type BalanceAction = 'hold' | 'redeem' | 'issue';

export interface UpdateBalanceRequest {
  cardNumber: string;
  action: BalanceAction;
  amount: ClutchAmount;
  forcePinValidation?: boolean;
  pin?: string;
  returnBalances?: boolean;
  /** redeem: take the money from this hold. */
  redeemFromHoldTransactionId?: string;
  /** redeem from hold: release what the hold has left. Amount 0 with this flag releases the whole hold. */
  releaseHoldRemainder?: boolean;
  /** redeem (and, ours, hold): a short card gives what it has instead of failing. */
  redeemMaxOnOverdraw?: boolean;
  /** issue: value given back for a return (refund). */
  isReturnRelated?: boolean;
  issuedBalanceExpiration?: string;
}

export interface UpdateBalanceResponse {
  transactionId: string;
  balances?: ClutchBalance[];
  /** Ours: what a redeem actually took (less than asked with redeemMaxOnOverdraw). */
  amountRedeemed?: number;
  /** Ours: what a hold actually reserved (less than asked with redeemMaxOnOverdraw). */
  amountHeld?: number;
}

export interface AllocateRequest {
  /** Electronic: take the next unused card of this set. */
  cardSetId?: string;
  /** Physical: claim (activate) this known card. */
  cardNumber?: string;
}

export interface AllocateResponse {
  cardNumber: string;
  pin?: string;
  transactionId?: string;
}

export interface VoidRequest {
  transactionId: string;
}

export interface VoidResponse {
  transactionId: string;
}

export interface CardHistoryRequest {
  cardNumber: string;
}

export type HistoryAction = 'hold' | 'redeem' | 'issue' | 'void' | 'allocate' | 'activate';

export interface CardHistoryTransaction {
  transactionId: string;
  customRequestId?: string;
  action: HistoryAction;
  amount: ClutchAmount;
  /** For a redeem from a hold: the hold; for a void: the transaction voided. */
  relatedTransactionId?: string;
  isReturnRelated?: boolean;
  voided?: boolean;
  createdAt: string;
}

export interface CardHistoryResponse {
  transactions: CardHistoryTransaction[];
}
