import { maskSensitiveText } from '@gcpa/gift-card-provider';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Params } from 'nestjs-pino';
import { AdapterConfig } from '../config/adapter.config';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Structured JSON logs (pino): one line per request with request id, API key name, route, status and
 * duration. Card numbers, PINs and keys are masked in every line, whatever code wrote it.
 */
export function loggingParams(config: AdapterConfig): Params {
  return {
    pinoHttp: {
      level: config.LOG_LEVEL,
      // Fastify assigns the request id (see requestId() below); pino-http reuses it.
      genReqId: (request: IncomingMessage) => (request as { id?: string }).id ?? requestId(request),
      autoLogging: { ignore: (request: IncomingMessage) => request.url === '/metrics' },
      customProps: (request: IncomingMessage) => ({ keyName: (request as { apiKey?: { name: string } }).apiKey?.name }),
      customSuccessObject: (_request: IncomingMessage, response: ServerResponse, line: Record<string, unknown>) => ({ ...line, statusCode: response.statusCode }),
      customErrorObject: (_request: IncomingMessage, response: ServerResponse, _error: Error, line: Record<string, unknown>) => ({ ...line, statusCode: response.statusCode }),
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({ id: request.id, method: request.method, url: maskSensitiveText(request.url) }),
        res: () => undefined,
      },
      redact: { paths: ['req.headers.authorization', 'req.body', 'res.body', '*.cardNumber', '*.pin'], censor: '****' },
      formatters: { log: (object: Record<string, unknown>) => maskValues(object, 3) as Record<string, unknown> },
      hooks: {
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? maskSensitiveText(arg) : arg instanceof Error ? maskError(arg) : arg)),
          );
        },
      },
    },
  };
}

/** The caller's `X-Request-Id` when it is a sane token, else a new UUID. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function maskValues(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskSensitiveText(value);
  if (value instanceof Error) return maskError(value);
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskValues(v, depth - 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValues(v, depth - 1)]));
}

function maskError(error: Error): Error {
  const masked = new Error(maskSensitiveText(error.message));
  masked.name = error.name;
  masked.stack = maskSensitiveText(error.stack);
  return masked;
}
