import { HttpStatus } from '@nestjs/common';

/**
 * Errors the payments rules throw. One filter turns each into the contract's JSON:
 * `{ error: { code, message, details? } }` with the status below.
 */
export class DomainError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validationFailed = (fields: Array<{ field: string; problems: string[] }>) =>
  new DomainError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', `Invalid request: ${fields.map((f) => f.field).join(', ')}`, {
    fields,
  });

export const notFound = (what: string, id: string) =>
  new DomainError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `${what} ${id} does not exist`);

export const businessRule = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError(HttpStatus.UNPROCESSABLE_ENTITY, code, message, details);

export const idempotencyConflict = (message: string) => new DomainError(HttpStatus.CONFLICT, 'IDEMPOTENCY_CONFLICT', message);

/** The provider could not be asked, or its answer was lost: not processed, safe to retry with the same key. */
export const providerUnavailable = (message: string, outcome: 'NOT_APPLIED' | 'UNKNOWN', providerMessage?: string) =>
  new DomainError(HttpStatus.SERVICE_UNAVAILABLE, outcome === 'UNKNOWN' ? 'PROVIDER_OUTCOME_UNKNOWN' : 'PROVIDER_UNAVAILABLE', message, {
    outcome,
    retryable: true,
    ...(providerMessage ? { providerMessage } : {}),
  });

/** The provider refused our request as malformed or misconfigured. */
export const providerFailure = (message: string, providerMessage?: string) =>
  new DomainError(HttpStatus.BAD_GATEWAY, 'PROVIDER_ERROR', message, providerMessage ? { providerMessage } : undefined);
