/** How long a settlement waits before its next try after the provider was unavailable. */
export interface BackoffPolicy {
  /** The ceiling of the first retry's delay. */
  baseMs: number;
  /** No delay ever exceeds this. */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": the ceiling doubles with every attempt (capped at `maxMs`), and
 * the delay is half the ceiling plus a random part of the other half. A retry never comes at once, and
 * settlements that failed together (a provider outage) spread out instead of returning as one crowd.
 *
 * `attempt` counts the tries already made (1 after the first failure).
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = backoffCeilingMs(attempt, policy);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function backoffCeilingMs(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 40); // 2^40 times any base is already past any cap
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
}
