import { loadConfig } from '@gcpa/config';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { installHttpPolicies } from './observability/http';
import { quietStartup } from './observability/quiet-startup';
import { requestId } from './observability/logging';
import { AdapterConfig } from './config/adapter.config';
import { ErrorFilter, toErrorResponse } from './common/error.filter';
import { applyHttpResults } from './common/http-result';
import { addLocationHeaders } from './common/location';
import { validationPipe } from './common/validation';
import { requireJsonBodies } from './common/content-type';
import { installJsonBodyParser, refuseHostileText } from './common/hostile-input';
import { setupDocs } from './docs';

/**
 * Builds the adapter application without listening. `main.ts` and the end-to-end tests share it, so the
 * tests exercise the same pipes, filters and docs as production.
 */
export async function createAdapterApp(env: Record<string, string | undefined> = process.env): Promise<{
  app: NestFastifyApplication;
  config: AdapterConfig;
}> {
  const config = loadConfig(AdapterConfig, env);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), new FastifyAdapter({
      bodyLimit: config.BODY_LIMIT_BYTES,
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      trustProxy: config.trustProxy,
      genReqId: (request: unknown) => requestId(request as never),
      // The router's own refusals (a malformed URL, a path parameter above its length limit) in the contract's error shape.
      frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) => {
        const { status, body } = toErrorResponse(error);
        void reply.status(status).send(body);
      },
    }), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(quietStartup(app.get(Logger)));
  await installHttpPolicies(app);
  requireJsonBodies(app);
  installJsonBodyParser(app, config.BODY_LIMIT_BYTES);
  refuseHostileText(app);
  app.useGlobalPipes(validationPipe({ pinRequired: config.PIN_POLICY === 'required' }));
  app.useGlobalFilters(new ErrorFilter());
  applyHttpResults(app);
  addLocationHeaders(app);
  setupDocs(app);
  return { app, config };
}

export async function listen(app: INestApplication, config: AdapterConfig): Promise<string> {
  await app.listen(config.PORT, config.HOST);
  return app.getUrl();
}
