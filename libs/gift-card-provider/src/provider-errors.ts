/**
 * Typed provider failures. The adapter decides what to tell the OMS from the class alone:
 * declined -> 422/decline, invalid -> 502, unavailable -> 503 and retry later,
 * outcome unknown -> record, resolve with `resolveLostCall`, never repeat blindly.
 */
export abstract class ProviderError extends Error {
  abstract readonly kind: 'DECLINED' | 'INVALID_REQUEST' | 'UNAVAILABLE' | 'OUTCOME_UNKNOWN' | 'UNSUPPORTED';
  /** True when repeating the same call cannot apply it twice and may succeed. */
  abstract readonly retryable: boolean;
  /** What a client knew about the failed call (no card data); optional, for logs and metrics. */
  details?: ProviderErrorDetails;

  constructor(
    message: string,
    readonly providerMessage?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Context of a provider failure, safe to log: never card numbers, PINs or request bodies. */
export interface ProviderErrorDetails {
  provider?: string;
  /** The interface method (`hold`...) and the provider's method or endpoint. */
  operation?: string;
  providerMethod?: string;
  httpStatus?: number;
  /** Network error code (`ECONNRESET`, `ETIMEDOUT`...). */
  networkCode?: string;
  requestRef?: string;
  /** The provider's own failure code (Clutch `errorCode`). */
  errorCode?: number;
  /** True when the provider's failure is not in our table: logged with its code and text so the table can grow. */
  unrecognised?: boolean;
  /** Set when the failure is a circuit breaker failing fast (the provider was not called). */
  circuitOpen?: boolean;
}

export type DeclineReason =
  | 'INSUFFICIENT_FUNDS'
  | 'CARD_INACTIVE'
  | 'CARD_NOT_FOUND'
  | 'INVALID_PIN'
  | 'HOLD_NOT_AVAILABLE'
  | 'CARD_SET_NOT_FOUND'
  | 'CARD_SET_EXHAUSTED'
  | 'CURRENCY_MISMATCH'
  | 'NOT_VOIDABLE';

/** The provider refused the operation for a business reason; nothing was applied. */
export class ProviderDeclinedError extends ProviderError {
  readonly kind = 'DECLINED' as const;
  readonly retryable = false;

  constructor(
    readonly reason: DeclineReason,
    providerMessage?: string,
  ) {
    super(`declined: ${reason}`, providerMessage);
  }
}

/** The provider rejected our request as malformed: a bug or a configuration problem on our side. */
export class ProviderInvalidRequestError extends ProviderError {
  readonly kind = 'INVALID_REQUEST' as const;
  readonly retryable = false;
}

/** The provider could not be asked (5xx, 429, refused connection, open circuit); nothing was applied. */
export class ProviderUnavailableError extends ProviderError {
  readonly kind = 'UNAVAILABLE' as const;
  readonly retryable = true;
}

/** The request may or may not have been applied (timeout, connection lost after sending). */
export class ProviderOutcomeUnknownError extends ProviderError {
  readonly kind = 'OUTCOME_UNKNOWN' as const;
  readonly retryable = false;
}

/** The provider cannot do this (e.g. no transaction look-up). */
export class ProviderUnsupportedError extends ProviderError {
  readonly kind = 'UNSUPPORTED' as const;
  readonly retryable = false;
}
