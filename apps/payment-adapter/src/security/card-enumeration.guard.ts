import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { DomainError } from '../common/domain-errors';

/**
 * Rate limits of the card-probing routes (balance inquiries, holds): per API key and per card number
 * (`@nestjs/throttler`, one named throttler each). Answers 429 with `Retry-After`.
 */
@Injectable()
export class CardEnumerationGuard extends ThrottlerGuard {
  protected async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const reply = context.switchToHttp().getResponse<{ header(name: string, value: string): void }>();
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    reply.header('Retry-After', String(seconds));
    throw new DomainError(HttpStatus.TOO_MANY_REQUESTS, 'RATE_LIMITED', 'Too many requests; retry after the time in Retry-After', {
      retryAfterSeconds: seconds,
    });
  }
}
