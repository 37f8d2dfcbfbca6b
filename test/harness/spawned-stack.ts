import { join } from 'node:path';
import { SANDBOX_CREDENTIALS } from './apps';
import { createTestDatabase, TestDatabase } from './database';
import { freePort, repoRoot, spawnProcess, SpawnedProcess, waitForStatus } from './processes';

/**
 * The sandbox and the adapter as separate operating-system processes (from dist/, so run `npm run build`
 * first; `npm test` does), on a throw-away PostgreSQL database. For crash, shutdown and log tests.
 */
export async function startProcesses(label: string, adapterEnv: Record<string, string> = {}) {
  const db: TestDatabase = await createTestDatabase(label);
  const sandboxPort = await freePort();
  const sandbox = spawnProcess('node', [join(repoRoot, 'dist/apps/clutch-sandbox/src/main.js')], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, SANDBOX_PORT: String(sandboxPort), SANDBOX_SEED_DEMO: 'false', LOG_LEVEL: 'warn', ...SANDBOX_CREDENTIALS },
  });
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  if ((await waitForStatus(`${sandboxUrl}/health`, 30000)) !== 200) throw new Error(`sandbox did not start:\n${sandbox.output()}`);

  const adapters: SpawnedProcess[] = [];
  async function startAdapter(extraEnv: Record<string, string> = {}) {
    const port = await freePort();
    const adapter = spawnProcess('node', [join(repoRoot, 'dist/apps/payment-adapter/src/main.js')], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        PORT: String(port),
        CLUTCH_BASE_URL: `${sandboxUrl}/merchant/`,
        UNKNOWN_OUTCOME_GRACE_MS: '1000',
        UNKNOWN_ISSUE_GRACE_MS: '1000',
        CLUTCH_TIMEOUT_MS: '2000',
        ...SANDBOX_CREDENTIALS,
        ...adapterEnv,
        ...extraEnv,
      },
    });
    adapters.push(adapter);
    const url = `http://127.0.0.1:${port}`;
    if ((await waitForStatus(`${url}/health`, 30000)) !== 200) throw new Error(`adapter did not start:\n${adapter.output()}`);
    return { process: adapter, url };
  }

  return {
    db,
    sandboxUrl,
    sandbox,
    startAdapter,
    async stop() {
      await Promise.all([...adapters, sandbox].map((p) => p.kill('SIGKILL')));
      await db.drop();
    },
  };
}
