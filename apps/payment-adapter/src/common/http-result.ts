import { INestApplication } from '@nestjs/common';

/**
 * A response whose status depends on the outcome (a batch settlement is 202, a sync one 201; a replayed
 * business error keeps its 422). Controllers and the idempotency store return it; a Fastify hook applies it.
 */
export class HttpResult {
  constructor(
    readonly status: number,
    readonly body: unknown,
    /** What the idempotency store keeps for replays when it must differ from `body` (secrets shown once). */
    readonly storedBody?: unknown,
  ) {}
}

export function applyHttpResults(app: INestApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('preSerialization', async (_request: unknown, reply: { code(status: number): void }, payload: unknown) => {
    if (!(payload instanceof HttpResult)) return payload;
    reply.code(payload.status);
    return payload.body;
  });
}
