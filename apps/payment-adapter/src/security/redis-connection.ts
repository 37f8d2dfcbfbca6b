import { HttpStatus, Logger, Module, OnModuleDestroy, Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { DomainError } from '../common/domain-errors';
import { AdapterConfig } from '../config/adapter.config';

export const REDIS_CONNECTION = 'REDIS_CONNECTION';

/** Redis for shared counters could not be asked: the request is not processed (never a 500, never let through). */
export const countersUnavailable = () =>
  new DomainError(HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE', 'The rate-limit counters cannot be read right now; retry later', {
    outcome: 'NOT_APPLIED',
    retryable: true,
  });

/** Counts in Redis through `inner`; a Redis failure answers 503 instead of failing the request with a 500. */
export class GuardedThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly inner: ThrottlerStorage) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch {
      throw countersUnavailable();
    }
  }
}

/** Closes the one Redis connection of this instance (rate limits and failed look-ups) at shutdown. */
@Injectable()
export class RedisConnectionCloser implements OnModuleDestroy {
  constructor(@Inject(REDIS_CONNECTION) private readonly redis: Redis | null) {}

  onModuleDestroy(): void {
    this.redis?.disconnect(false);
  }
}

/**
 * The Redis connection of `REDIS_URL`, or null without it. A command waits for Redis at most a couple of retries
 * (no unbounded offline queue), and connection errors are logged once per change instead of thrown at the process.
 */
@Module({
  providers: [
    {
      provide: REDIS_CONNECTION,
      inject: [AdapterConfig],
      useFactory: (c: AdapterConfig): Redis | null => {
        if (!c.REDIS_URL) return null;
        const logger = new Logger('Redis');
        const redis = new Redis(c.REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 2000 });
        let lastError = '';
        redis.on('error', (error: Error) => {
          if (error.message !== lastError) logger.warn(`redis: ${error.message}`);
          lastError = error.message;
        });
        redis.on('ready', () => {
          lastError = '';
        });
        return redis;
      },
    },
    RedisConnectionCloser,
  ],
  exports: [REDIS_CONNECTION],
})
export class RedisConnectionModule {}
