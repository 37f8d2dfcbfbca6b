import type { DeclineReason } from '@gcpa/gift-card-provider';

/**
 * Clutch's refusals: HTTP 400 `{success: false, errorCode, errorMessage, requestRef}`. One table for the
 * client (which maps a failure by its code first and its text second) and the sandbox (which answers with
 * these codes and texts by default).
 *
 * Only two codes and four texts were seen in recorded traffic (`confirmed`). Every other row is our choice
 * until a Clutch account shows the real one: its code is in the 9xx range, which no recorded Clutch code
 * uses, so a real code can never be mistaken for one of ours. An operator who learns a real code adds it
 * with `CLUTCH_ERROR_CODES` instead of waiting for a release.
 */
export type ClutchRefusal =
  | 'invalidPin'
  | 'noCardNumber'
  | 'cardNotFound'
  | 'cardInactive'
  | 'insufficientFunds'
  | 'holdNotFound'
  | 'holdClosed'
  | 'cardSetNotFound'
  | 'cardSetExhausted'
  | 'currencyMismatch'
  | 'transactionNotFound'
  | 'voidNotPossible'
  | 'invalidRequest';

/** What the client makes of a refusal: a decline (nothing applied, a business reason) or a bad request. */
export type RefusalMeaning = DeclineReason | 'INVALID_REQUEST';

export interface ClutchErrorRow {
  code: number;
  message: string;
  meaning: RefusalMeaning;
  /** What recorded traffic shows of this row: its code and text, its text only, or nothing (our choice). */
  confirmed: 'code-and-message' | 'message' | 'unconfirmed';
}

export const CLUTCH_ERRORS: Readonly<Record<ClutchRefusal, ClutchErrorRow>> = {
  invalidPin: { code: 10, message: 'Invalid card PIN.', meaning: 'INVALID_PIN', confirmed: 'code-and-message' },
  noCardNumber: { code: 6, message: 'No card number was specified.', meaning: 'INVALID_REQUEST', confirmed: 'code-and-message' },
  cardNotFound: { code: 901, message: 'Could not find the specified card.', meaning: 'CARD_NOT_FOUND', confirmed: 'message' },
  // The number exists but was never allocated or activated.
  cardInactive: { code: 902, message: 'Could not find the account that goes with the specified card.', meaning: 'CARD_INACTIVE', confirmed: 'message' },
  insufficientFunds: { code: 903, message: 'Insufficient funds.', meaning: 'INSUFFICIENT_FUNDS', confirmed: 'unconfirmed' },
  holdNotFound: { code: 904, message: 'Could not find the specified hold.', meaning: 'HOLD_NOT_AVAILABLE', confirmed: 'unconfirmed' },
  holdClosed: { code: 905, message: 'The hold has already been redeemed or released.', meaning: 'HOLD_NOT_AVAILABLE', confirmed: 'unconfirmed' },
  cardSetNotFound: { code: 906, message: 'Could not find the specified card set.', meaning: 'CARD_SET_NOT_FOUND', confirmed: 'unconfirmed' },
  cardSetExhausted: { code: 907, message: 'No unallocated cards remain in the card set.', meaning: 'CARD_SET_EXHAUSTED', confirmed: 'unconfirmed' },
  currencyMismatch: { code: 908, message: 'Balance code does not match the card.', meaning: 'CURRENCY_MISMATCH', confirmed: 'unconfirmed' },
  transactionNotFound: { code: 909, message: 'Could not find the specified transaction.', meaning: 'NOT_VOIDABLE', confirmed: 'unconfirmed' },
  voidNotPossible: { code: 910, message: 'The transaction cannot be voided.', meaning: 'NOT_VOIDABLE', confirmed: 'unconfirmed' },
  invalidRequest: { code: 911, message: 'Invalid request:', meaning: 'INVALID_REQUEST', confirmed: 'unconfirmed' },
};

/** Answers outside the 400 table (their HTTP status says what they are). */
export const ClutchTransportMessages = {
  unauthorized: 'Invalid API credentials.',
  rateLimited: 'Rate limit exceeded.',
  internal: 'Internal server error.',
} as const;

/** The refusal a text names: exact, or (for validation failures) by its prefix. */
export function refusalByMessage(message: string): ClutchErrorRow | undefined {
  for (const row of Object.values(CLUTCH_ERRORS)) {
    if (row.message === message) return row;
  }
  return message.startsWith(CLUTCH_ERRORS.invalidRequest.message) ? CLUTCH_ERRORS.invalidRequest : undefined;
}

/** Reads `CLUTCH_ERROR_CODES`: `903=INSUFFICIENT_FUNDS,12=HOLD_NOT_AVAILABLE`. Throws on a bad entry. */
export function parseErrorCodeOverrides(text: string | undefined): Map<number, RefusalMeaning> {
  const codes = new Map<number, RefusalMeaning>();
  const meanings = new Set<string>([...Object.values(CLUTCH_ERRORS).map((r) => r.meaning), 'INVALID_REQUEST']);
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const match = /^(\d{1,9})=([A-Z_]+)$/.exec(entry);
    if (!match || !meanings.has(match[2])) {
      throw new TypeError(`CLUTCH_ERROR_CODES: "${entry}" is not code=MEANING (MEANING one of ${[...meanings].join(', ')})`);
    }
    codes.set(Number(match[1]), match[2] as RefusalMeaning);
  }
  return codes;
}
