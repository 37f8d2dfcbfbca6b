import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { toErrorResponse } from './error.filter';
import { DomainError } from './domain-errors';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** True when the request carries a body (a length above zero, or a chunked one). */
function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return headers['transfer-encoding'] !== undefined;
}

const isJson = (contentType: string | undefined) => !!contentType && /^application\/json\s*(;|$)/i.test(contentType.trim());

export const unsupportedMediaType = (given: string | undefined) =>
  new DomainError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    given
      ? `Content-Type ${given.split(';')[0].trim().slice(0, 100)} is not accepted: send the body as JSON with the header Content-Type: application/json`
      : 'The request has a body but no Content-Type: send the body as JSON with the header Content-Type: application/json',
    { expected: 'application/json' },
  );

/**
 * A body request that is not JSON is refused before its body is read, with a 415 that says what to send.
 * Without this, curl's default form encoding was parsed as a form whose one field name was the whole JSON
 * document, and the 400 that followed named that field: the card number and PIN, sent back in the answer.
 */
export function requireJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook(
    'onRequest',
    (
      request: { method: string; headers: Record<string, string | string[] | undefined> },
      reply: { status(code: number): { send(body: unknown): void } },
      done: () => void,
    ) => {
      if (!BODY_METHODS.has(request.method)) return done();
      if (!hasBody(request.headers)) {
        // Nothing to parse: a bodyless POST (POST /v1/settlement-runs) runs whatever Content-Type a client library
        // added by default (axios sends a form type), instead of failing on a parser for a body that is not there.
        delete request.headers['content-type'];
        return done();
      }
      const contentType = request.headers['content-type'];
      const given = Array.isArray(contentType) ? contentType[0] : contentType;
      if (isJson(given)) return done();
      const { status, body } = toErrorResponse(unsupportedMediaType(given));
      reply.status(status).send(body);
    },
  );
}
