import helmet from '@fastify/helmet';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Metrics } from './metrics';
import { enterRequest } from './request-context';

/** HTTP hardening and per-route metrics on the Fastify instance. */
export async function installHttpPolicies(app: NestFastifyApplication): Promise<void> {
  await app.register(helmet, {
    // The docs page (Swagger UI) needs inline styles and scripts; everything else is same-origin only.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: [`'self'`],
        styleSrc: [`'self'`, `'unsafe-inline'`],
        imgSrc: [`'self'`, 'data:', 'validator.swagger.io'],
        scriptSrc: [`'self'`, `'unsafe-inline'`],
      },
    },
  });
  const metrics = app.get(Metrics);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request: { id: string }, reply: { header(name: string, value: string): void }, done: () => void) => {
    reply.header('X-Request-Id', request.id);
    enterRequest(request.id);
    done();
  });
  fastify.addHook('onResponse', async (request: { method: string; routeOptions?: { url?: string } }, reply: { statusCode: number; elapsedTime: number }) => {
      metrics.httpRequests.observe(
        { method: request.method, route: request.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
}
