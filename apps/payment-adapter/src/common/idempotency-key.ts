import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * The request's `Idempotency-Key` header, for the service. A custom decorator rather than `@Headers(...)`:
 * Swagger documents every `@Headers` parameter, and the operation already declares the header once
 * (`IdempotencyHeader()`), so `@Headers` made it appear twice and "Try it out" sent it merged and refused.
 */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['idempotency-key'],
);
