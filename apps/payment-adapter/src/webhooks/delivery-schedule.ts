import { BackoffPolicy, retryDelayMs } from '../settlement-job/backoff';

export type NextDelivery = { status: 'PENDING'; nextAttemptAt: Date } | { status: 'FAILED' };

/**
 * After an attempt that was not answered 2xx (`attempts` made so far, 1 after the first): tried again after
 * an exponential backoff with jitter, never later than `retryUntil` (so the last try comes at the deadline),
 * and FAILED once an attempt at or after the deadline has failed too.
 */
export function afterFailedAttempt(
  attempts: number,
  now: Date,
  retryUntil: Date,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): NextDelivery {
  if (now.getTime() >= retryUntil.getTime()) return { status: 'FAILED' };
  const next = Math.min(now.getTime() + retryDelayMs(attempts, policy, random), retryUntil.getTime());
  return { status: 'PENDING', nextAttemptAt: new Date(next) };
}

/** A 2xx answer ends a delivery (lifecycle.md); anything else, a timeout or a refused connection is tried again. */
export function isDelivered(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}
