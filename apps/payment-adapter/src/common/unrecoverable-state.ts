import { UnitOfWorkLostError } from '@gcpa/database';
import { TypeORMError } from 'typeorm';
import { IllegalTransitionError } from '../authorizations/authorization-state';
import { DomainError, providerUnavailable } from './domain-errors';
import { LeaseLostError } from './lease-fence';

/**
 * The routes that move money (or may have moved it by the time they fail). A failure of the database, a state
 * changed under the request, or a duplicate insert after a takeover of its key can come after the provider
 * answered: what the provider did is not recorded yet, so the answer is "not processed, outcome unknown", and the
 * OMS retries with its key while the recovery sweep completes the call left PENDING/UNKNOWN.
 */
const MONEY_MOVING_ROUTES: ReadonlySet<string> = new Set([
  'POST /v1/authorizations',
  'POST /v1/authorizations/:id/reversals',
  'POST /v1/settlements',
  'POST /v1/settlements/:id/retry',
  'POST /v1/refunds',
  'POST /v1/gift-card-fulfillments',
  'POST /v1/transactions/:id/resolutions',
]);

/** SQLSTATE codes (`23505` unique violation, `40001` serialization failure, `57P01` terminated connection...). */
const SQLSTATE = /^[0-9A-Z]{5}$/;
const CONNECTION_LOST = /connection terminated|terminating connection|connection (?:is )?closed|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET/i;

/** A failure of the database (a query, a commit, the connection), a state machine refusing a stale copy, or a lease lost mid-way. */
export function isUnrecoverableState(error: unknown): boolean {
  if (error instanceof DomainError || !(error instanceof Error)) return false;
  if (error instanceof IllegalTransitionError || error instanceof TypeORMError || error instanceof LeaseLostError || error instanceof UnitOfWorkLostError) return true;
  const code = (error as { code?: unknown }).code;
  if (error.name === 'DatabaseError' || (typeof code === 'string' && SQLSTATE.test(code))) return true;
  return CONNECTION_LOST.test(error.message) || (typeof code === 'string' && CONNECTION_LOST.test(code));
}

/**
 * Rule 7 and "Unknown outcomes": on a money-moving route, such a failure is a 503 with `outcome: UNKNOWN` (retry
 * with the same key), never a 500. Undefined for any other error or route.
 */
export function unknownOutcomeFor(error: unknown, request: { method?: string; routeOptions?: { url?: string } } | undefined): DomainError | undefined {
  const route = `${request?.method ?? ''} ${request?.routeOptions?.url ?? ''}`;
  if (!MONEY_MOVING_ROUTES.has(route) || !isUnrecoverableState(error)) return undefined;
  return providerUnavailable(
    'The request could not record its outcome; it may have been applied at the provider and is being completed. Retry with the same Idempotency-Key and body',
    'UNKNOWN',
  );
}
