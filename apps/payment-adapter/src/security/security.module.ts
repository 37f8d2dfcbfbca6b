import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ExecutionContext, Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AdapterConfig } from '../config/adapter.config';
import { CardEnumerationGuard } from './card-enumeration.guard';
import { FAILED_LOOKUPS_PER_MINUTE, FAILURE_WINDOWS, FailedLookupInterceptor, FailedLookupLimiter, MemoryFailureWindows, RedisFailureWindows } from './failed-lookups';
import { PgPinAttemptsRepository, PinAttemptsRepository } from './pin-attempts.repository';
import { PIN_LOCKOUT_POLICY, PinLockoutService } from './pin-lockout.service';
import { GuardedThrottlerStorage, REDIS_CONNECTION, RedisConnectionModule } from './redis-connection';
import type Redis from 'ioredis';

/**
 * The per-card rate limit's bucket: the hashed card number (so that the limiter's memory holds no card numbers),
 * or for a request naming several cards, the hash of the set. Null when the request names no card: such requests
 * (a body without a card number is refused by validation anyway) are not rate-limited per card, rather than all
 * sharing one bucket that any client could fill for everybody.
 */
export function cardTracker(body: unknown): string | null {
  const record = (body ?? {}) as { cardNumber?: unknown; cards?: unknown };
  const cards = Array.isArray(record.cards) ? record.cards.map((card) => (card as { cardNumber?: unknown } | null)?.cardNumber) : [];
  const numbers = [...new Set([record.cardNumber, ...cards].filter((n): n is string => typeof n === 'string' && n.length > 0))].sort();
  return numbers.length === 0 ? null : createHash('sha256').update(numbers.join(',')).digest('hex');
}

const bodyOf = (context: ExecutionContext) => context.switchToHttp().getRequest<{ body?: unknown }>().body;

@Global()
@Module({
  imports: [
    RedisConnectionModule,
    ThrottlerModule.forRootAsync({
      imports: [RedisConnectionModule],
      inject: [AdapterConfig, REDIS_CONNECTION],
      useFactory: (c: AdapterConfig, redis: Redis | null) => ({
        throttlers: [
          { name: 'key', ttl: 60_000, limit: c.RATE_LIMIT_PER_KEY_PER_MINUTE, getTracker: (r: { apiKey?: { name: string } }) => r.apiKey?.name ?? 'anonymous' },
          {
            name: 'card',
            ttl: 60_000,
            limit: c.RATE_LIMIT_PER_CARD_PER_MINUTE,
            skipIf: (context: ExecutionContext) => cardTracker(bodyOf(context)) === null,
            getTracker: (r: { body?: unknown }) => cardTracker(r.body) ?? 'none',
          },
        ],
        // With REDIS_URL every instance counts in the same place; otherwise each counts in its own memory.
        ...(redis ? { storage: new GuardedThrottlerStorage(new ThrottlerStorageRedisService(redis)) } : {}),
      }),
    }),
  ],
  providers: [
    CardEnumerationGuard,
    { provide: PinAttemptsRepository, useClass: PgPinAttemptsRepository },
    PinLockoutService,
    {
      provide: PIN_LOCKOUT_POLICY,
      inject: [AdapterConfig],
      useFactory: (c: AdapterConfig) => ({ maxFailures: c.PIN_MAX_FAILURES, windowSeconds: 900, lockoutSeconds: c.PIN_LOCKOUT_SECONDS }),
    },
    {
      provide: FAILURE_WINDOWS,
      inject: [REDIS_CONNECTION],
      useFactory: (redis: Redis | null) => (redis ? new RedisFailureWindows(redis) : new MemoryFailureWindows()),
    },
    { provide: FAILED_LOOKUPS_PER_MINUTE, inject: [AdapterConfig], useFactory: (c: AdapterConfig) => c.RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE },
    FailedLookupLimiter,
    FailedLookupInterceptor,
  ],
  exports: [CardEnumerationGuard, PinLockoutService, ThrottlerModule, FailedLookupLimiter, FailedLookupInterceptor],
})
export class SecurityModule {}
