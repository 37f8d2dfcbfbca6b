import type { OpenAPIObject } from '@nestjs/swagger';

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
  security?: unknown[];
};

/** The error every 4xx/5xx answer carries (rule 7), as one schema. */
export const ERROR_ENVELOPE = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          example: 'VALIDATION_FAILED',
          description:
            'VALIDATION_FAILED, BAD_REQUEST (400); UNAUTHORIZED (401); FORBIDDEN (403); NOT_FOUND (404); IDEMPOTENCY_CONFLICT, ' +
            'REQUEST_IN_PROGRESS, AUTHORIZATION_BUSY, REFUND_BUSY, FULFILLMENT_BUSY (409); UNSUPPORTED_MEDIA_TYPE (415); a business rule or the ' +
            "provider's decline reason (422); RATE_LIMITED, CARD_LOCKED (429); PROVIDER_ERROR (502); PROVIDER_UNAVAILABLE, PROVIDER_OUTCOME_UNKNOWN (503)",
        },
        message: { type: 'string', example: 'Invalid request: amount' },
        details: {
          type: 'object',
          additionalProperties: true,
          description: 'fields (400: every bad field and its problems), outcome and retryable (503), retryAfterSeconds (429), providerMessage (502)',
          example: { fields: [{ field: 'amount', problems: ['amount must be a JSON string, not a number (floats lose cents): send a string like "60.00"'] }] },
        },
      },
    },
  },
};

const DEFAULT_ERRORS: Record<string, string> = {
  '400': 'VALIDATION_FAILED: every bad field (body, path, query, Idempotency-Key header) named in details.fields; nothing was done',
  '401': 'UNAUTHORIZED: no API key, or an unknown one (Authorization: Bearer <key>)',
  '403': "FORBIDDEN: the key's scope does not allow this operation",
  '404': 'NOT_FOUND: no such resource',
  '409': 'IDEMPOTENCY_CONFLICT: the key was used with another body; REQUEST_IN_PROGRESS / *_BUSY: the same request or resource is being processed, retry shortly with the same key',
  '415': 'UNSUPPORTED_MEDIA_TYPE: send the body as JSON with Content-Type: application/json',
  '502': 'PROVIDER_ERROR: the provider refused our request as malformed (details.providerMessage)',
  '503': 'PROVIDER_UNAVAILABLE (details.outcome NOT_APPLIED) or PROVIDER_OUTCOME_UNKNOWN (UNKNOWN): not processed, retry with the same Idempotency-Key',
};

/** Operations that call the provider, and so can answer 502 and 503. */
const PROVIDER_OPERATIONS = new Set([
  'post /v1/authorizations',
  'post /v1/authorizations/{id}/reversals',
  'post /v1/settlements',
  'post /v1/balance-inquiries',
  'post /v1/refunds',
  'post /v1/gift-card-fulfillments',
]);

/** Operations whose 201/202 names what it created in Location. */
const CREATING_OPERATIONS = new Set(['post /v1/authorizations', 'post /v1/settlements', 'post /v1/refunds', 'post /v1/gift-card-fulfillments']);

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } };

/**
 * Completes what decorators leave implicit, the same way for every operation: the error envelope on every error
 * answer, and the statuses any operation of its kind can answer (401/403 with a key, 400 with input, 415 with a
 * body, 409 with an Idempotency-Key, 404 with an id, 502/503 when it calls the provider), Retry-After on 429,
 * Location on what creates a resource.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.schemas = { ...(document.components.schemas ?? {}), ErrorEnvelope: ERROR_ENVELOPE as never };
  optionalFieldsStayOptional(document);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item as Record<string, Operation>)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const operation = value;
      const key = `${method} ${path}`;
      const parameters = operation.parameters ?? [];
      const wanted: string[] = [];
      if (operation.security && operation.security.length > 0) wanted.push('401', '403');
      if (parameters.length > 0 || operation.requestBody) wanted.push('400');
      if (operation.requestBody) wanted.push('415');
      if (parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) wanted.push('409');
      if (parameters.some((p) => p.in === 'path')) wanted.push('404');
      if (PROVIDER_OPERATIONS.has(key)) wanted.push('502', '503');
      for (const status of wanted) operation.responses[status] ??= { description: DEFAULT_ERRORS[status] };
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) {
          response.content ??= errorContent;
          response.description ??= DEFAULT_ERRORS[status] ?? 'An error';
        }
        if (status === '429') {
          response.headers = { ...response.headers, 'Retry-After': { description: 'Seconds until a new attempt may pass', schema: { type: 'integer' } } };
        }
        if ((status === '201' || status === '202') && CREATING_OPERATIONS.has(key)) {
          response.headers = { ...response.headers, Location: { description: 'Where the created resource is read', schema: { type: 'string', example: '/v1/settlements/808d5e0b-7f3c-4a2e-9d1b-6c4a3f2e1d0c' } } };
        }
      }
    }
  }
  return document;
}

/**
 * A request field with a server-side default (allowPartial, final, mode) is optional for the client, but
 * generators read `default` as "always present" (openapi-typescript makes it required). In request bodies the
 * default is said in the description instead.
 */
function optionalFieldsStayOptional(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, { properties?: Record<string, { default?: unknown; description?: string }> }>;
  const requestSchemas = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item as Record<string, { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } }>)) {
      const ref = operation?.requestBody?.content?.['application/json']?.schema?.$ref;
      if (ref) requestSchemas.add(ref.replace('#/components/schemas/', ''));
    }
  }
  for (const name of requestSchemas) {
    for (const property of Object.values(schemas[name]?.properties ?? {})) {
      if (property.default === undefined) continue;
      property.description = `${property.description ? `${property.description}. ` : ''}Default: ${JSON.stringify(property.default)}.`;
      delete property.default;
    }
  }
}
