import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError, validationFailed } from './domain-errors';
import { toErrorResponse } from './error.filter';

/** Deepest JSON nesting accepted. Our bodies nest three levels at most; class-transformer recurses without a bound. */
export const MAX_JSON_DEPTH = 32;

// C0 controls (NUL, tab, newline...), DEL and C1 controls: no id, amount, card number or PIN contains one, and
// PostgreSQL refuses NUL in text (a 500 before this check).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A UTF-16 surrogate that is not half of a pair (`"\ud800"` in JSON): PostgreSQL would store it as U+FFFD, and the
// OMS could no longer find what it named.
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with a string, or null when nothing is. */
export function textProblem(value: string): string | null {
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (a lone UTF-16 surrogate was sent)';
  return null;
}

/**
 * Every string in a parsed value (object keys included) that `textProblem` refuses, named by its path:
 * `orderId`, `cards.0.cardNumber`. A key that is itself bad is named with its bad characters as `?`.
 */
export function hostileStrings(value: unknown, path = ''): Array<{ field: string; problems: string[] }> {
  const here = (name: string) => (path ? `${path}.${name}` : name);
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? [{ field: path || 'body', problems: [`${path || 'body'} ${problem}`] }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => hostileStrings(item, here(String(index))));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const keyProblem = textProblem(key);
      const safeKey = keyProblem ? key.replace(new RegExp(`${CONTROL.source}|${LONE_SURROGATE.source}`, 'gu'), '?') : key;
      const own = keyProblem ? [{ field: here(safeKey), problems: [`field name ${keyProblem}`] }] : [];
      return [...own, ...hostileStrings(item, here(safeKey))];
    });
  }
  return [];
}

/**
 * Query parameters whose raw percent-encoding is not UTF-8 (`%ED%A0%80`, an encoded surrogate; `%FF`): the query
 * parser turns them into U+FFFD silently, so they are found in the raw URL.
 */
export function malformedQueryParameters(url: string): Array<{ field: string; problems: string[] }> {
  const start = url.indexOf('?');
  if (start < 0) return [];
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      return null;
    }
  };
  return url
    .slice(start + 1)
    .split('&')
    .filter(Boolean)
    .flatMap((pair) => {
      const [rawName, ...rest] = pair.split('=');
      const name = decode(rawName);
      const value = decode(rest.join('='));
      if (name !== null && value !== null) return [];
      const field = name ?? 'query';
      return [{ field, problems: [`${field} must be percent-encoded UTF-8`] }];
    });
}

/**
 * The deepest nesting of `{`/`[` in a JSON text, counted without parsing it (strings skipped), stopping as soon as
 * `limit` is passed. Returns a depth above `limit` when the text is too deep.
 */
export function jsonDepthExceeds(text: Buffer | string, limit: number): boolean {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > limit) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies are checked before they are parsed: bytes that are not UTF-8 (Node would turn them into U+FFFD) and
 * nesting deeper than `MAX_JSON_DEPTH` (a body 2,000 deep overflowed the stack in class-transformer: a 500) are
 * 400s. Then Fastify's own parser (with its prototype-poisoning protection) parses the body.
 */
export function installJsonBodyParser(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const defaultParser = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit }, (request: unknown, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
    try {
      utf8.decode(body);
    } catch {
      return done(validationFailed([{ field: 'body', problems: ['body must be UTF-8 encoded JSON'] }]));
    }
    if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
      return done(validationFailed([{ field: 'body', problems: [`body must not nest deeper than ${MAX_JSON_DEPTH} levels`] }]));
    }
    defaultParser(request as never, body.toString('utf8'), done);
  });
  // Registering a parser ourselves stops Nest from registering its defaults: keep its form parser as it was.
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit }, (_request: unknown, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
    done(null, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  });
}

/**
 * Refuses control characters and malformed UTF-16 in every string a handler could see (body fields, path
 * parameters, query parameters) with a 400 naming each field, before validation and before any handler: no such
 * string reaches PostgreSQL or the provider.
 */
export function refuseHostileText(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook(
    'preHandler',
    (
      request: { url: string; body?: unknown; params?: unknown; query?: unknown },
      reply: { status(code: number): { send(body: unknown): void } },
      done: () => void,
    ) => {
      const fields = [
        ...hostileStrings(request.params ?? {}),
        ...malformedQueryParameters(request.url),
        ...hostileStrings(request.query ?? {}),
        ...hostileStrings(request.body ?? {}),
      ];
      if (fields.length === 0) return done();
      const error: DomainError = validationFailed(fields);
      const { status, body } = toErrorResponse(error);
      reply.status(status).send(body);
    },
  );
}
