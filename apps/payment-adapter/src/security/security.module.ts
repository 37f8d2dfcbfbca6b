import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AdapterConfig } from '../config/adapter.config';
import { CardEnumerationGuard } from './card-enumeration.guard';
import { PIN_LOCKOUT_POLICY, PinLockoutService } from './pin-lockout.service';

const cardOf = (request: { body?: { cardNumber?: unknown } }) => {
  const number = request.body?.cardNumber;
  // Hashed so that the limiter's memory holds no card numbers.
  return typeof number === 'string' ? createHash('sha256').update(number).digest('hex') : 'no-card';
};

@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AdapterConfig],
      useFactory: (c: AdapterConfig) => ({
        throttlers: [
          { name: 'key', ttl: 60_000, limit: c.RATE_LIMIT_PER_KEY_PER_MINUTE, getTracker: (r: { apiKey?: { name: string } }) => r.apiKey?.name ?? 'anonymous' },
          { name: 'card', ttl: 60_000, limit: c.RATE_LIMIT_PER_CARD_PER_MINUTE, getTracker: cardOf },
        ],
      }),
    }),
  ],
  providers: [
    CardEnumerationGuard,
    PinLockoutService,
    {
      provide: PIN_LOCKOUT_POLICY,
      inject: [AdapterConfig],
      useFactory: (c: AdapterConfig) => ({ maxFailures: c.PIN_MAX_FAILURES, windowSeconds: 900, lockoutSeconds: c.PIN_LOCKOUT_SECONDS }),
    },
  ],
  exports: [CardEnumerationGuard, PinLockoutService, ThrottlerModule],
})
export class SecurityModule {}
