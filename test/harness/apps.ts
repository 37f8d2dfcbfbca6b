import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSandboxApp } from '../../apps/clutch-sandbox/src/bootstrap';
import { createAdapterApp } from '../../apps/payment-adapter/src/bootstrap';

export interface RunningApp {
  app: NestFastifyApplication;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** Sandbox credentials every test uses; the adapter is configured with the same ones. */
export const SANDBOX_CREDENTIALS = {
  CLUTCH_API_KEY: 'test-key',
  CLUTCH_API_SECRET: 'test-secret',
  CLUTCH_BRAND: 'test-brand',
  CLUTCH_LOCATION: 'test-location',
  CLUTCH_TERMINAL: 'test-terminal',
};

async function listenOnFreePort(app: NestFastifyApplication): Promise<RunningApp> {
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

/** The Clutch sandbox in this process, on a free port, with its ledger in `databaseUrl`. */
export async function startSandbox(databaseUrl: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const { app } = await createSandboxApp({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    ...SANDBOX_CREDENTIALS,
    ...env,
  });
  return listenOnFreePort(app);
}

/** The payment adapter in this process, on a free port, pointed at `sandboxUrl`. */
export async function startAdapter(
  databaseUrl: string,
  sandboxUrl: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  const { app } = await createAdapterApp({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    CLUTCH_BASE_URL: `${sandboxUrl}/merchant/`,
    ...SANDBOX_CREDENTIALS,
    ...env,
  });
  return listenOnFreePort(app);
}
