import type { RefusalMeaning } from '../errors';

/** How to reach one Clutch account. Plain values: the adapter builds them from its configuration. */
export interface ClutchClientOptions {
  /** `https://api.clutch.com/merchant/` in production; the sandbox's `/merchant/` locally. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  brand: string;
  location: string;
  terminal: string;
  /** Per call, connection to last byte. A mutating call that times out has an unknown outcome. */
  timeoutMs: number;
  breaker?: {
    /** Consecutive unavailable/unknown outcomes that open the circuit. Default 5. */
    consecutiveFailures?: number;
    /** How long the circuit stays open before one trial call. Default 10 000 ms. */
    halfOpenAfterMs?: number;
  };
  /** Extra attempts for read-only calls (search, cardHistory). Default 2 (3 attempts in all). */
  readRetries?: number;
  /** First backoff delay between read attempts, doubled each time (with jitter). Default 50 ms. */
  readRetryInitialDelayMs?: number;
  /** Timeout of the health probe; default the smaller of `timeoutMs` and 2 000 ms. */
  healthTimeoutMs?: number;
  /** Keep-alive sockets per host. Default 64. */
  maxSockets?: number;
  /** Failure codes learned from a real account (`CLUTCH_ERROR_CODES`), read before the built-in table. */
  errorCodes?: ReadonlyMap<number, RefusalMeaning>;
  /**
   * How far Clutch's clock may be from ours: history entries this much older than a lost call still count as
   * possibly its own. Default 10 000 ms.
   */
  clockSkewMs?: number;
  /** The caller's request id, sent as `X-Request-Id` on each call so a provider's logs can be matched to ours. */
  currentRequestId?: () => string | undefined;
}

export interface ResolvedClutchClientOptions extends ClutchClientOptions {
  consecutiveFailures: number;
  halfOpenAfterMs: number;
  readRetries: number;
  readRetryInitialDelayMs: number;
  healthTimeoutMs: number;
  maxSockets: number;
  errorCodes: ReadonlyMap<number, RefusalMeaning>;
  clockSkewMs: number;
}

export function resolveClutchClientOptions(options: ClutchClientOptions): ResolvedClutchClientOptions {
  for (const key of ['baseUrl', 'apiKey', 'apiSecret', 'brand', 'location', 'terminal'] as const) {
    if (!options[key]) throw new TypeError(`Clutch client: ${key} is required`);
  }
  if (!(options.timeoutMs > 0)) throw new TypeError('Clutch client: timeoutMs must be positive');
  return {
    ...options,
    consecutiveFailures: options.breaker?.consecutiveFailures ?? 5,
    halfOpenAfterMs: options.breaker?.halfOpenAfterMs ?? 10_000,
    readRetries: options.readRetries ?? 2,
    readRetryInitialDelayMs: options.readRetryInitialDelayMs ?? 50,
    healthTimeoutMs: options.healthTimeoutMs ?? Math.min(options.timeoutMs, 2000),
    maxSockets: options.maxSockets ?? 64,
    errorCodes: options.errorCodes ?? new Map(),
    clockSkewMs: options.clockSkewMs ?? 10_000,
  };
}
