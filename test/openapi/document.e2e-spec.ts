import { Stack, startStack } from '../harness/stack';

type Json = Record<string, any>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of `/docs-json`, as `METHOD path` with its definition. */
export function operationsOf(document: Json): Array<{ key: string; operation: Json }> {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation: operation as Json })),
  );
}

/** What a generated client needs and a person trying it out needs: problems found, one line each. */
export function documentProblems(document: Json): string[] {
  const problems: string[] = [];
  for (const { key, operation } of operationsOf(document)) {
    const responses = (operation.responses ?? {}) as Json;
    const success = Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status));
    if (success.length === 0) problems.push(`${key}: no 2xx response`);
    for (const [status, response] of success) {
      const schema = response.content?.['application/json']?.schema;
      if (!schema || !(schema.$ref || schema.type || schema.allOf || schema.oneOf)) problems.push(`${key}: ${status} has no schema`);
    }
    const seen = new Set<string>();
    for (const parameter of (operation.parameters ?? []) as Json[]) {
      const id = `${parameter.in}:${String(parameter.name).toLowerCase()}`;
      if (seen.has(id)) problems.push(`${key}: parameter ${parameter.name} (${parameter.in}) declared twice`);
      seen.add(id);
    }
    if (operation.requestBody && !operation.requestBody.content?.['application/json']?.schema) problems.push(`${key}: request body without a schema`);
    for (const [status, response] of Object.entries(responses)) {
      if (Number(status) < 400 || key.includes(' /health')) continue;
      if (response.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ErrorEnvelope') problems.push(`${key}: ${status} is not the error envelope`);
    }
  }
  return problems;
}

describe('the OpenAPI document at /docs-json', () => {
  let stack: Stack;
  let document: Json;
  beforeAll(async () => {
    stack = await startStack('openapi_doc');
    const response = await fetch(`${stack.adapter.url}/docs-json`);
    expect(response.status).toBe(200);
    document = await response.json();
  });
  afterAll(() => stack?.stop());

  it('has a 2xx schema for every operation, no duplicated parameter, and the error envelope on every error', () => {
    expect(operationsOf(document).length).toBeGreaterThanOrEqual(20);
    expect(documentProblems(document)).toEqual([]);
  });

  it('finds the problems it is meant to find', () => {
    const broken = {
      paths: {
        '/v1/x': {
          post: {
            parameters: [
              { name: 'Idempotency-Key', in: 'header' },
              { name: 'idempotency-key', in: 'header' },
            ],
            responses: { '201': { description: 'no schema' }, '400': { description: 'bare' } },
          },
          get: { responses: { '404': { description: 'only an error' } } },
        },
      },
    };
    expect(documentProblems(broken)).toEqual([
      'POST /v1/x: 201 has no schema',
      'POST /v1/x: parameter idempotency-key (header) declared twice',
      'POST /v1/x: 400 is not the error envelope',
      'GET /v1/x: no 2xx response',
      'GET /v1/x: 404 is not the error envelope',
    ]);
  });

  it('declares one required Idempotency-Key on every operation that moves money', () => {
    for (const key of ['POST /v1/authorizations', 'POST /v1/authorizations/{id}/reversals', 'POST /v1/settlements', 'POST /v1/refunds', 'POST /v1/gift-card-fulfillments']) {
      const { operation } = operationsOf(document).find((o) => o.key === key)!;
      const headers = (operation.parameters as Json[]).filter((p) => p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key');
      expect([key, headers.map((h) => [h.name, h.required])]).toEqual([key, [['Idempotency-Key', true]]]);
    }
  });

  it('lists the statuses a hold can answer, with Retry-After on 429 and Location on 201', () => {
    const { operation } = operationsOf(document).find((o) => o.key === 'POST /v1/authorizations')!;
    expect(Object.keys(operation.responses).sort()).toEqual(['201', '400', '401', '403', '409', '415', '429', '502', '503']);
    expect(operation.responses['429'].headers['Retry-After']).toBeDefined();
    expect(operation.responses['201'].headers.Location).toBeDefined();
    expect(operation.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/AuthorizationResponse');
    expect(operation.requestBody.content['application/json'].examples.hold.value).toMatchObject({ amount: '60.00' });
  });

  it('describes the key as an opaque bearer key and names a server', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.bearer.bearerFormat).not.toMatch(/jwt/i);
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(document.components.schemas.ErrorEnvelope.properties.error.required).toEqual(['code', 'message']);
  });

  it('gives properties examples, so that "Try it out" and generated clients show real values', () => {
    const authorization = document.components.schemas.AuthorizationResponse;
    expect(authorization.properties.approvedAmount.example).toBe('60.00');
    const missing = Object.entries(document.components.schemas as Json)
      .filter(([name]) => name.endsWith('Response'))
      .flatMap(([name, schema]) =>
        Object.entries((schema.properties ?? {}) as Json)
          .filter(([, property]) => property.example === undefined && !property.$ref && !property.allOf && property.type !== 'array' && property.type !== 'object')
          .map(([field]) => `${name}.${field}`),
      );
    expect(missing).toEqual([]);
  });
});
