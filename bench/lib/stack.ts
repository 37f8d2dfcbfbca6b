import { join } from 'node:path';
import { BenchDatabase } from './database';
import { JsonClient, inParallel } from './http';
import { NodeProcess, freePort, repoRoot, spawnNode, waitHealthy } from './processes';

/** The same credentials on both sides (as test/harness/apps.ts SANDBOX_CREDENTIALS). */
export const CREDENTIALS = {
  CLUTCH_API_KEY: 'test-key',
  CLUTCH_API_SECRET: 'test-secret',
  CLUTCH_BRAND: 'test-brand',
  CLUTCH_LOCATION: 'test-location',
  CLUTCH_TERMINAL: 'test-terminal',
};
export const API_KEY = 'local-dev-key';

const SANDBOX_MAIN = join('dist', 'apps', 'clutch-sandbox', 'src', 'main.js');
const ADAPTER_MAIN = join('dist', 'apps', 'payment-adapter', 'src', 'main.js');

/** The environment both apps get from the bench: the caller's PATH and HOME, nothing else of its shell. */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...CREDENTIALS };
}

export interface RunningApp {
  process: NodeProcess;
  url: string;
  port: number;
}

async function startApp(name: string, script: string, env: NodeJS.ProcessEnv, port: number, nodeArgs: string[] = []): Promise<RunningApp> {
  const started = spawnNode(name, join(repoRoot, script), env, { nodeArgs });
  const url = `http://127.0.0.1:${port}`;
  const alive = () => started.child.exitCode === null && started.child.signalCode === null;
  if (!(await waitHealthy(`${url}/health`, 60_000, alive, 100))) {
    await started.stop();
    throw new Error(`${name} did not become healthy:\n${started.output().slice(-4000)}`);
  }
  return { process: started, url, port };
}

export async function startSandbox(database: BenchDatabase, env: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort();
  return startApp(
    'clutch-sandbox',
    SANDBOX_MAIN,
    { ...baseEnv(), DATABASE_URL: database.url, SANDBOX_PORT: String(port), SANDBOX_SEED_DEMO: 'false', ...env },
    port,
  );
}

export async function startAdapter(
  database: BenchDatabase,
  sandbox: RunningApp,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<RunningApp> {
  const port = await freePort();
  return startApp(
    'payment-adapter',
    ADAPTER_MAIN,
    { ...baseEnv(), DATABASE_URL: database.url, PORT: String(port), CLUTCH_BASE_URL: `${sandbox.url}/merchant/`, ...env },
    port,
    nodeArgs,
  );
}

/** The PIN of every bench card: the adapter requires a PIN on holds by default (PIN_POLICY=required). */
export const BENCH_PIN = '2580';

/** Creates `count` active sandbox cards with a balance no benchmark can exhaust; returns their numbers. */
export async function createCards(sandboxUrl: string, count: number): Promise<string[]> {
  const admin = new JsonClient(sandboxUrl);
  const cards: string[] = [];
  try {
    await inParallel(count, 8, async () => {
      const response = await admin.post('/_sandbox/cards', { balance: '10000000.00', currency: 'USD', pin: BENCH_PIN });
      if (response.status !== 201) throw new Error(`POST /_sandbox/cards answered ${response.status}: ${JSON.stringify(response.body)}`);
      cards.push(response.body.cardNumber);
    });
  } finally {
    admin.close();
  }
  return cards;
}

/** The merchant API headers of the sandbox account. */
export function merchantHeaders(): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(`${CREDENTIALS.CLUTCH_API_KEY}:${CREDENTIALS.CLUTCH_API_SECRET}`).toString('base64')}`,
    brand: CREDENTIALS.CLUTCH_BRAND,
    location: CREDENTIALS.CLUTCH_LOCATION,
    terminal: CREDENTIALS.CLUTCH_TERMINAL,
  };
}
