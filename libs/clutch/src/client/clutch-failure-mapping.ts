import {
  DeclineReason,
  ProviderDeclinedError,
  ProviderError,
  ProviderErrorDetails,
  ProviderInvalidRequestError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
  maskSensitiveText,
} from '@gcpa/gift-card-provider';
import { ClutchErrorMessages, ClutchMethod } from '../protocol';

/**
 * Turns what came back from Clutch (an HTTP answer, or a network failure) into our typed failures.
 * Pure functions: the whole table is unit-tested without a server.
 */

/** Read-only calls are safe to repeat; a mutating call whose answer was lost has an unknown outcome. */
export type CallKind = 'read' | 'mutating';

export interface CallContext {
  operation: string;
  method: ClutchMethod;
  kind: CallKind;
}

/** Business failures: Clutch answers them with `success: false` and one of these texts. */
export const CLUTCH_DECLINE_REASONS: ReadonlyMap<string, DeclineReason> = new Map<string, DeclineReason>([
  [ClutchErrorMessages.cardNotFound, 'CARD_NOT_FOUND'],
  [ClutchErrorMessages.invalidPin, 'INVALID_PIN'],
  [ClutchErrorMessages.cardInactive, 'CARD_INACTIVE'],
  [ClutchErrorMessages.insufficientFunds, 'INSUFFICIENT_FUNDS'],
  [ClutchErrorMessages.holdNotFound, 'HOLD_NOT_AVAILABLE'],
  [ClutchErrorMessages.holdClosed, 'HOLD_NOT_AVAILABLE'],
  [ClutchErrorMessages.cardSetNotFound, 'CARD_SET_NOT_FOUND'],
  [ClutchErrorMessages.cardSetExhausted, 'CARD_SET_EXHAUSTED'],
  [ClutchErrorMessages.currencyMismatch, 'CURRENCY_MISMATCH'],
  [ClutchErrorMessages.voidNotPossible, 'NOT_VOIDABLE'],
]);

const CREDENTIALS_HINT =
  'Clutch refused our credentials (HTTP 401): the client is misconfigured; check CLUTCH_API_KEY, ' +
  'CLUTCH_API_SECRET, CLUTCH_BRAND, CLUTCH_LOCATION and CLUTCH_TERMINAL against the Clutch portal';

function withDetails<E extends ProviderError>(error: E, ctx: CallContext, extra: ProviderErrorDetails): E {
  error.details = { provider: 'clutch', operation: ctx.operation, providerMethod: ctx.method, ...extra };
  return error;
}

/** The decline for a known business failure text, or undefined. */
export function declineReasonFor(errorMessage: string | undefined, method: ClutchMethod): DeclineReason | undefined {
  if (errorMessage === undefined) return undefined;
  if (errorMessage === ClutchErrorMessages.transactionNotFound) {
    // Only void and a redeem from a hold name a transaction; either way it cannot be acted on.
    if (method === 'void') return 'NOT_VOIDABLE';
    if (method === 'updateBalance') return 'HOLD_NOT_AVAILABLE';
    return undefined;
  }
  return CLUTCH_DECLINE_REASONS.get(errorMessage);
}

/**
 * `null` when the answer is a success; otherwise the typed failure. The `errorMessage` wins over the HTTP
 * status for business failures (some gateways answer a missing card with 404), the status wins otherwise.
 */
export function failureFromResponse(status: number, body: unknown, ctx: CallContext): ProviderError | null {
  const record = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  const errorMessage = typeof record?.errorMessage === 'string' ? record.errorMessage : undefined;
  const requestRef = typeof record?.requestRef === 'string' ? record.requestRef : undefined;
  const shownMessage = errorMessage === undefined ? undefined : maskSensitiveText(errorMessage);
  const details = { httpStatus: status, requestRef };

  if (status === 401 || errorMessage === ClutchErrorMessages.unauthorized) {
    return withDetails(new ProviderInvalidRequestError(CREDENTIALS_HINT, shownMessage), ctx, details);
  }
  if (status === 429 || errorMessage === ClutchErrorMessages.rateLimited) {
    return withDetails(new ProviderUnavailableError(`Clutch rate limit (HTTP ${status})`, shownMessage), ctx, details);
  }
  if (status >= 500 || errorMessage === ClutchErrorMessages.internal) {
    // A gateway that gave up waiting (504) may have let the call through: for a mutating call that is unknown.
    if (status === 504 && ctx.kind === 'mutating') {
      return withDetails(new ProviderOutcomeUnknownError(`Clutch gateway timeout (HTTP 504) on ${ctx.method}`, shownMessage), ctx, details);
    }
    return withDetails(new ProviderUnavailableError(`Clutch unavailable (HTTP ${status})`, shownMessage), ctx, details);
  }
  if (status === 408) {
    // The server gave up reading our request: it was not processed.
    return withDetails(new ProviderUnavailableError('Clutch request timeout (HTTP 408)', shownMessage), ctx, details);
  }

  const reason = declineReasonFor(errorMessage, ctx.method);
  if (record?.success === false || status >= 400) {
    if (reason) return withDetails(new ProviderDeclinedError(reason, shownMessage), ctx, details);
    if (errorMessage?.startsWith(ClutchErrorMessages.invalidRequestPrefix)) {
      return withDetails(new ProviderInvalidRequestError(`Clutch rejected the ${ctx.method} request as invalid`, shownMessage), ctx, details);
    }
    if (status >= 400) {
      const hint = status === 404 ? ' (check CLUTCH_BASE_URL)' : status === 403 ? ' (the key may not be allowed this method, brand, location or terminal)' : '';
      return withDetails(new ProviderInvalidRequestError(`Clutch refused the ${ctx.method} request (HTTP ${status})${hint}`, shownMessage), ctx, details);
    }
    // `success: false` with a text we do not know: nothing says it applied, nothing says retrying helps.
    return withDetails(new ProviderInvalidRequestError(`Clutch failure not recognised on ${ctx.method}`, shownMessage), ctx, details);
  }
  if (status >= 300) {
    return withDetails(new ProviderInvalidRequestError(`Clutch answered ${ctx.method} with a redirect (HTTP ${status}); check CLUTCH_BASE_URL`), ctx, details);
  }
  if (record?.success === true) return null;
  return unreadableResponse(ctx, `no success flag in the answer (HTTP ${status})`, details);
}

/**
 * A 2xx answer we cannot read. For a mutating call the provider may well have applied it, so the outcome
 * is unknown; a read is simply unavailable (and retried).
 */
export function unreadableResponse(ctx: CallContext, what: string, details: ProviderErrorDetails = {}): ProviderError {
  const message = `unreadable Clutch answer to ${ctx.method}: ${maskSensitiveText(what)}`;
  const error = ctx.kind === 'mutating' ? new ProviderOutcomeUnknownError(message) : new ProviderUnavailableError(message);
  return withDetails(error, ctx, details);
}

/** What we keep of a network failure: its code and text, never the request (it holds the card and PIN). */
export interface NetworkFailure {
  code?: string;
  message: string;
}

/** Failures before a single byte of the request could reach Clutch: nothing can have been applied. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

export function failureFromNetworkError(failure: NetworkFailure, ctx: CallContext): ProviderError {
  const code = failure.code;
  const text = maskSensitiveText(failure.message);
  const details = { networkCode: code };
  if (code !== undefined && NOT_SENT_CODES.has(code)) {
    return withDetails(new ProviderUnavailableError(`Clutch unreachable (${code}): ${text}`), ctx, details);
  }
  const what = code !== undefined && TIMEOUT_CODES.has(code) ? 'timed out' : 'connection lost';
  if (ctx.kind === 'read') {
    return withDetails(new ProviderUnavailableError(`Clutch ${ctx.method} ${what} (${code ?? 'no code'}): ${text}`), ctx, details);
  }
  // Timed out, reset, broken pipe, hang-up or anything else unexplained after the request may have gone out.
  return withDetails(
    new ProviderOutcomeUnknownError(`Clutch ${ctx.method} ${what} (${code ?? 'no code'}) after the request may have been applied: ${text}`),
    ctx,
    details,
  );
}
