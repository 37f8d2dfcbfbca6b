/**
 * The Clutch merchant API as the recorded traffic of real integrations shows it (shared clutch-api notes,
 * the [wire] facts). One definition for the client and the sandbox: a field renamed here is renamed for both.
 *
 * Transport: `POST {base}{method}` with a JSON body; amounts are JSON numbers in major units.
 */

export const CLUTCH_METHODS = ['search', 'updateBalance', 'allocate', 'cardHistory', 'voidTransaction'] as const;
export type ClutchMethod = (typeof CLUTCH_METHODS)[number];

/** Header names (Clutch treats them case-insensitively; Node lowercases them on receipt). */
export const ClutchHeaders = {
  authorization: 'Authorization',
  brand: 'Brand',
  location: 'Location',
  terminal: 'Terminal',
  customRequestId: 'customRequestId',
  externalTransactionId: 'externalTransactionId',
} as const;

export interface ClutchAmount {
  balanceType: 'Currency';
  balanceCode: string; // ISO 4217
  amount: number; // major units
}

/**
 * One entry of a card's `balances`: the value (`isHold: false`), or one open hold (`isHold: true`, naming the
 * hold by `holdingTransactionId`). Available = the sum of the non-hold Currency entries of the code.
 */
export interface ClutchBalance {
  balanceType: string;
  balanceCode: string;
  amount: number;
  scale?: number;
  isHold?: boolean;
  holdingTransactionId?: string;
}

export interface ClutchSuccess {
  success: true;
  requestRef: string;
}

/** Every refusal: HTTP 400 with an integer code and a text. */
export interface ClutchFailure {
  success: false;
  errorCode?: number;
  errorMessage: string;
  requestRef?: string;
}

export type ClutchResponse<T> = (ClutchSuccess & T) | ClutchFailure;

export interface SearchRequest {
  filters: { cardNumber: string };
  returnFields?: { balances?: boolean; activationDate?: boolean; cardSetId?: boolean };
  includeInactive?: boolean;
  forcePinValidation?: boolean;
  pin?: string;
}

export interface ClutchCard {
  cardNumber: string;
  cardSetId?: string;
  /** Present once the card was allocated or activated. */
  activationDate?: string;
  balances: ClutchBalance[];
}

/** An unknown card is a success with `cards: []`. */
export interface SearchResponse {
  cards: ClutchCard[];
  usedCache?: boolean;
}

export type BalanceAction = 'hold' | 'redeem' | 'issue';

export interface UpdateBalanceRequest {
  cardNumber: string;
  action: BalanceAction;
  amount: ClutchAmount;
  forcePinValidation?: boolean;
  pin?: string;
  returnBalances?: boolean;
  /** redeem: take the money from this hold (Clutch does not cap the redeem at the held amount). */
  redeemFromHoldTransactionId?: string;
  /** redeem from hold: release what the hold has left. Amount 0 with this flag releases the whole hold. */
  releaseHoldRemainder?: boolean;
  /** redeem without a hold: a short card gives what it has, and `didOverdraw` says so. */
  redeemMaxOnOverdraw?: boolean;
  /** issue: value given back for a return (refund). */
  isReturnRelated?: boolean;
  /** issue: "yyyy-MM-dd HH:mm:ss", UTC. */
  issuedBalanceExpiration?: string;
}

/** No "amount held" or "amount redeemed": what moved is what was asked, unless `didOverdraw`. */
export interface UpdateBalanceResponse {
  transactionId: string;
  cardNumber: string;
  didOverdraw: boolean;
  balances?: ClutchBalance[];
}

export interface AllocateRequest {
  /** Electronic: take the next card of this set. */
  cardSetId?: string;
  /** Physical: claim (activate) this known card. */
  cardNumber?: string;
}

/** No `transactionId`. */
export interface AllocateResponse {
  cardNumber: string;
  pin?: string;
}

/** [unknown] body: assumed `{transactionId}`. Never used for holds. */
export interface VoidTransactionRequest {
  transactionId: string;
}

export interface VoidTransactionResponse {
  transactionId: string;
}

export interface CardHistoryRequest {
  cardNumber: string;
  limit?: number;
  offset?: number;
  restrictTransactionTypes?: string[];
}

export type HistoryCallType = 'UPDATE_BALANCE' | 'ALLOCATE' | 'VOID_TRANSACTION';

export interface BalanceUpdate {
  balanceType: string;
  balanceCode: string;
  /** Signed: a redeem is negative, an issue positive, a hold and a hold release 0. */
  amount: number;
}

/** A history entry carries no `customRequestId`: history cannot be searched for our own reference. */
export interface CardHistoryEntry {
  transactionId: string;
  isLegacy: boolean;
  /** Epoch milliseconds. */
  transactionTime: number;
  location?: string;
  callType: HistoryCallType | string;
  balanceUpdates: BalanceUpdate[];
  requestRef?: string;
}

/** Newest first. */
export interface CardHistoryResponse {
  transactions: CardHistoryEntry[];
  transactionCount: number;
  matchCount: number;
  oldestTransaction?: number | null;
  newestTransaction?: number | null;
}
