import { loadConfig } from '@gcpa/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SandboxModule } from './app.module';
import { SandboxConfig } from './config/sandbox.config';

/** Builds the sandbox without listening; `main.ts` and the tests share it. */
export async function createSandboxApp(env: Record<string, string | undefined> = process.env): Promise<{
  app: NestFastifyApplication;
  config: SandboxConfig;
}> {
  const config = loadConfig(SandboxConfig, env);
  const app = await NestFactory.create<NestFastifyApplication>(SandboxModule.forRoot(config), new FastifyAdapter(), {
    logger: config.LOG_LEVEL === 'silent' ? false : ['error', 'warn'],
    abortOnError: false,
  });
  app.enableShutdownHooks();
  return { app, config };
}
