import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { DomainError } from './domain-errors';
import { unknownOutcomeFor } from './unrecoverable-state';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** Maps any thrown value to the contract's error status and body. Used by the filter and the idempotency store. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message, details: error.details } } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? error.message);
    return { status, body: { error: { code: CODES[status] ?? `HTTP_${status}`, message } } };
  }
  // Fastify's own errors (malformed JSON, body too large, wrong content type) carry a 4xx statusCode.
  const statusCode = (error as { statusCode?: number })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const message = statusCode === 400 ? `Invalid request body: ${(error as Error).message}` : (error as Error).message;
    return { status: statusCode, body: { error: { code: CODES[statusCode] ?? `HTTP_${statusCode}`, message } } };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: { code: 'INTERNAL_ERROR', message: 'An unexpected error occurred; nothing more is known.' } },
  };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // /health keeps terminus's own answer (which check failed and why): it is for operators, not the OMS.
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    // A database failure, a stale state or a duplicate after a takeover on a money-moving route: 503 UNKNOWN, never 500.
    const unknown = unknownOutcomeFor(exception, host.switchToHttp().getRequest());
    if (unknown) {
      this.logger.warn(`outcome not recorded, answered UNKNOWN: ${(exception as Error).name}: ${(exception as Error).message}`);
      exception = unknown;
    }
    const { status, body } = toErrorResponse(exception);
    // A refusal that names when to come back (RATE_LIMITED, CARD_LOCKED) says it in the standard header too.
    const retryAfter = exception instanceof DomainError ? exception.details?.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number' && retryAfter >= 0) reply.header('Retry-After', String(Math.ceil(retryAfter)));
    if (status >= 500 && !(exception instanceof DomainError)) {
      this.logger.error(`unexpected ${(exception as Error)?.name ?? 'error'}: ${(exception as Error)?.message}`);
    }
    reply.status(status).send(body);
  }
}

const isHealthReport = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && 'status' in body && 'details' in body && 'info' in body;
