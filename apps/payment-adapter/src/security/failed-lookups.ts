import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { catchError, from, mergeMap, Observable } from 'rxjs';
import { DomainError } from '../common/domain-errors';
import { countersUnavailable } from './redis-connection';

/** Answers that tell a caller a card number or PIN was wrong: what someone enumerating cards learns from. */
export const FAILED_LOOKUP_REASONS = new Set(['CARD_NOT_FOUND', 'INVALID_PIN']);

const WINDOW_MS = 60_000;

/** A count per key in a fixed window: shared by every instance in Redis, or in this process's memory. */
export interface FailureWindows {
  /** Adds one to `key`'s window (opened by the first failure) and returns the count and the ms left of it. */
  add(key: string, windowMs: number): Promise<{ count: number; msLeft: number }>;
  read(key: string): Promise<{ count: number; msLeft: number }>;
  close(): Promise<void>;
}

export class MemoryFailureWindows implements FailureWindows {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  async add(key: string, windowMs: number) {
    const now = Date.now();
    this.forgetEnded(now);
    const window = this.windows.get(key) ?? { count: 0, endsAt: now + windowMs };
    window.count += 1;
    this.windows.set(key, window);
    return { count: window.count, msLeft: window.endsAt - now };
  }

  async read(key: string) {
    const now = Date.now();
    const window = this.windows.get(key);
    return window && window.endsAt > now ? { count: window.count, msLeft: window.endsAt - now } : { count: 0, msLeft: 0 };
  }

  async close() {
    this.windows.clear();
  }

  private forgetEnded(now: number) {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

export class RedisFailureWindows implements FailureWindows {
  constructor(private readonly redis: Redis) {}

  async add(key: string, windowMs: number) {
    // The window opens with the first failure (SET NX with its expiry); INCR keeps the expiry.
    const results = await this.redis.multi().set(key, '0', 'PX', windowMs, 'NX').incr(key).pttl(key).exec().catch(() => {
      throw countersUnavailable();
    });
    const count = Number(results?.[1]?.[1] ?? 0);
    const msLeft = Number(results?.[2]?.[1] ?? windowMs);
    return { count, msLeft: msLeft > 0 ? msLeft : windowMs };
  }

  async read(key: string) {
    const [count, msLeft] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]).catch(() => {
      throw countersUnavailable();
    });
    return { count: Number(count ?? 0), msLeft: Math.max(0, msLeft) };
  }

  async close() {
    // The connection is shared with the rate limits and closed with it (RedisConnectionCloser).
  }
}

export const FAILURE_WINDOWS = 'FAILURE_WINDOWS';
export const FAILED_LOOKUPS_PER_MINUTE = 'FAILED_LOOKUPS_PER_MINUTE';

/**
 * Failed card look-ups (unknown card, wrong PIN) per API key and per client address: beyond the limit in a minute,
 * every card-probing request from that key or address is refused (429, Retry-After) until the window ends, so a
 * caller cannot tell which guess would have been right. Successful look-ups do not count.
 */
@Injectable()
export class FailedLookupLimiter implements OnModuleDestroy {
  constructor(
    @Inject(FAILURE_WINDOWS) private readonly windows: FailureWindows,
    @Inject(FAILED_LOOKUPS_PER_MINUTE) private readonly limit: number,
  ) {}

  private keysOf(apiKeyName: string, address: string | undefined) {
    return [`gcpa:failed-lookups:key:${apiKeyName}`, ...(address ? [`gcpa:failed-lookups:address:${address}`] : [])];
  }

  async assertAllowed(apiKeyName: string, address: string | undefined): Promise<void> {
    const reads = await Promise.all(this.keysOf(apiKeyName, address).map((key) => this.windows.read(key)));
    const over = reads.filter((r) => r.count >= this.limit);
    if (over.length === 0) return;
    const seconds = Math.max(1, Math.ceil(Math.max(...over.map((r) => r.msLeft)) / 1000));
    throw new DomainError(HttpStatus.TOO_MANY_REQUESTS, 'RATE_LIMITED', 'Too many failed card look-ups; retry after the time in Retry-After', {
      reason: 'FAILED_LOOKUPS',
      retryAfterSeconds: seconds,
    });
  }

  async recordFailure(apiKeyName: string, address: string | undefined): Promise<void> {
    await Promise.all(this.keysOf(apiKeyName, address).map((key) => this.windows.add(key, WINDOW_MS)));
  }

  async onModuleDestroy(): Promise<void> {
    await this.windows.close();
  }
}

/** True when an answer says the card was unknown or its PIN wrong: a declined hold (201) or a 422. */
export function isFailedLookup(outcome: { result?: unknown; error?: unknown }): boolean {
  if (outcome.error instanceof DomainError) return FAILED_LOOKUP_REASONS.has(outcome.error.code);
  const declineReason = (outcome.result as { declineReason?: unknown } | null | undefined)?.declineReason;
  return typeof declineReason === 'string' && FAILED_LOOKUP_REASONS.has(declineReason);
}

/** On the card-probing routes: refuses a key or address over its failed look-ups, counts the failures. */
@Injectable()
export class FailedLookupInterceptor implements NestInterceptor {
  constructor(private readonly limiter: FailedLookupLimiter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<{ apiKey?: { name: string }; ip?: string }>();
    const apiKeyName = request.apiKey?.name ?? 'anonymous';
    const address = request.ip;
    return from(this.limiter.assertAllowed(apiKeyName, address)).pipe(
      mergeMap(() => next.handle()),
      mergeMap(async (result) => {
        if (isFailedLookup({ result })) await this.limiter.recordFailure(apiKeyName, address);
        return result;
      }),
      catchError(async (error) => {
        if (isFailedLookup({ error })) await this.limiter.recordFailure(apiKeyName, address);
        throw error;
      }),
    );
  }
}
