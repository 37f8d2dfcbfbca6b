import { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Operations whose 201/202 creates a resource: the route, the id field of the answer, and where it is read. */
const CREATED: Record<string, { idField: string; path: string }> = {
  '/v1/authorizations': { idField: 'authorizationId', path: '/v1/authorizations/' },
  '/v1/settlements': { idField: 'settlementId', path: '/v1/settlements/' },
  '/v1/refunds': { idField: 'refundId', path: '/v1/refunds/' },
  '/v1/gift-card-fulfillments': { idField: 'fulfillmentId', path: '/v1/gift-card-fulfillments/' },
};

/** The Location of what a `POST` answer created, or null (not a creating route, not a 201/202, no id). */
export function locationOf(method: string, route: string | undefined, status: number, body: unknown): string | null {
  if (method !== 'POST' || (status !== 201 && status !== 202) || !route) return null;
  const created = CREATED[route];
  const id = created && body && typeof body === 'object' ? (body as Record<string, unknown>)[created.idField] : undefined;
  return typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id) ? `${created.path}${id}` : null;
}

/**
 * `Location` on every 201/202 that creates a resource (the contract's "Extensions"), replays included: it is
 * derived from the answer itself, after HttpResult has set the status (so register after applyHttpResults).
 */
export function addLocationHeaders(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook(
    'preSerialization',
    async (
      request: { method: string; routeOptions?: { url?: string } },
      reply: { statusCode: number; header(name: string, value: string): void },
      payload: unknown,
    ) => {
      const location = locationOf(request.method, request.routeOptions?.url, reply.statusCode, payload);
      if (location) reply.header('Location', location);
      return payload;
    },
  );
}
