import {
  ProviderDeclinedError,
  ProviderError,
  ProviderErrorDetails,
  ProviderInvalidRequestError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
  maskSensitiveText,
} from '@gcpa/gift-card-provider';
import { CLUTCH_ERRORS, ClutchTransportMessages, RefusalMeaning, refusalByMessage } from '../errors';
import { ClutchMethod } from '../protocol';

/**
 * Turns what came back from Clutch (an HTTP answer, or a network failure) into our typed failures.
 * Pure functions: the whole table is unit-tested without a server.
 */

/** Read-only calls are safe to repeat; a call that changes money and loses its answer has an unknown outcome. */
export type CallKind = 'read' | 'mutating';

export interface CallContext {
  operation: string;
  method: ClutchMethod;
  kind: CallKind;
}

/** Codes the operator added (`CLUTCH_ERROR_CODES`), consulted before the built-in table. */
export type ErrorCodeOverrides = ReadonlyMap<number, RefusalMeaning>;

const BUILT_IN_CODES: ReadonlyMap<number, RefusalMeaning> = new Map(Object.values(CLUTCH_ERRORS).map((row) => [row.code, row.meaning]));

const CREDENTIALS_HINT =
  'Clutch refused our credentials (HTTP 401): the client is misconfigured; check CLUTCH_API_KEY, ' +
  'CLUTCH_API_SECRET, CLUTCH_BRAND, CLUTCH_LOCATION and CLUTCH_TERMINAL against the Clutch portal';

function withDetails<E extends ProviderError>(error: E, ctx: CallContext, extra: ProviderErrorDetails): E {
  error.details = { provider: 'clutch', operation: ctx.operation, providerMethod: ctx.method, ...extra };
  return error;
}

/** What a refusal means: by its code first, by its text second; undefined when neither is known. */
export function refusalMeaning(
  errorCode: number | undefined,
  errorMessage: string | undefined,
  overrides: ErrorCodeOverrides = new Map(),
): RefusalMeaning | undefined {
  if (errorCode !== undefined) {
    const byCode = overrides.get(errorCode) ?? BUILT_IN_CODES.get(errorCode);
    if (byCode) return byCode;
  }
  return errorMessage === undefined ? undefined : refusalByMessage(errorMessage)?.meaning;
}

/**
 * `null` when the answer is a success; otherwise the typed failure. A refusal (HTTP 400, or any
 * `success: false`) is mapped from the table; its status says nothing more. 429 was not applied; any 5xx on
 * a call that changes money may have been applied.
 */
export function failureFromResponse(
  status: number,
  body: unknown,
  ctx: CallContext,
  overrides: ErrorCodeOverrides = new Map(),
): ProviderError | null {
  const record = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  const errorMessage = typeof record?.errorMessage === 'string' ? record.errorMessage : undefined;
  const errorCode = typeof record?.errorCode === 'number' && Number.isInteger(record.errorCode) ? record.errorCode : undefined;
  const requestRef = typeof record?.requestRef === 'string' ? record.requestRef : undefined;
  const shownMessage = errorMessage === undefined ? undefined : maskSensitiveText(errorMessage);
  const details: ProviderErrorDetails = { httpStatus: status, requestRef, errorCode };

  if (status === 401) return withDetails(new ProviderInvalidRequestError(CREDENTIALS_HINT, shownMessage), ctx, details);
  if (status === 429 || errorMessage === ClutchTransportMessages.rateLimited) {
    return withDetails(new ProviderUnavailableError(`Clutch rate limit (HTTP ${status})`, shownMessage), ctx, details);
  }
  if (status >= 500) {
    if (ctx.kind === 'mutating') {
      return withDetails(
        new ProviderOutcomeUnknownError(`Clutch answered ${ctx.method} with HTTP ${status}: it may have been applied`, shownMessage),
        ctx,
        details,
      );
    }
    return withDetails(new ProviderUnavailableError(`Clutch unavailable (HTTP ${status})`, shownMessage), ctx, details);
  }
  if (status === 408) {
    // The server gave up reading our request: it was not processed.
    return withDetails(new ProviderUnavailableError('Clutch request timeout (HTTP 408)', shownMessage), ctx, details);
  }
  if (record?.success === false || status >= 400) {
    const meaning = refusalMeaning(errorCode, errorMessage, overrides);
    if (meaning !== undefined && meaning !== 'INVALID_REQUEST') {
      return withDetails(new ProviderDeclinedError(meaning, shownMessage), ctx, details);
    }
    if (meaning === 'INVALID_REQUEST') {
      return withDetails(new ProviderInvalidRequestError(`Clutch rejected the ${ctx.method} request as invalid`, shownMessage), ctx, details);
    }
    const hint = status === 404 ? ' (check CLUTCH_BASE_URL)' : status === 403 ? ' (the key may not be allowed this method, brand, location or terminal)' : '';
    // An unknown code is not a decline: nothing says the card refused it. Flagged so it is logged for the table.
    return withDetails(
      new ProviderInvalidRequestError(
        `Clutch refused the ${ctx.method} request (HTTP ${status}, errorCode ${errorCode ?? 'none'}) with a failure not in our table${hint}`,
        shownMessage,
      ),
      ctx,
      { ...details, unrecognised: true },
    );
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
