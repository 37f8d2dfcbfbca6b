import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, spawnProcess, waitForOutput, waitForStatus } from '../harness/processes';

/**
 * The zero-setup quickstart: `npm start` with no database server and no Clutch account. PGlite cannot load
 * inside Jest, so this runs the real launcher in a temporary directory and talks to it over HTTP.
 */
describe('npm start on embedded defaults', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'gcpa-start-'));
  const cleanEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'CLUTCH_BASE_URL', 'API_KEYS', 'NODE_ENV', 'DATA_DIR']) delete cleanEnv[key];

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  async function startOnce() {
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const launcher = spawnProcess('node', [join(repoRoot, 'scripts/start.mjs')], {
      cwd: workDir,
      env: { ...cleanEnv, PORT: String(port), SANDBOX_PORT: String(sandboxPort) },
    });
    const started = Date.now();
    const status = await waitForStatus(`http://127.0.0.1:${port}/health`, 40000);
    return { launcher, port, sandboxPort, status, seconds: (Date.now() - started) / 1000 };
  }

  it('answers /health with 200 on a new data directory, then again on the existing one', async () => {
    const cold = await startOnce();
    try {
      expect(cold.status).toBe(200);
      const health = (await (await fetch(`http://127.0.0.1:${cold.port}/health`)).json()) as { details: unknown };
      expect(health.details).toMatchObject({ database: { status: 'up' }, provider: { status: 'up' } });
      expect((await fetch(`http://127.0.0.1:${cold.sandboxPort}/health`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${cold.port}/docs-json`)).status).toBe(200);
      expect(existsSync(join(workDir, '.data', 'payment_adapter'))).toBe(true);
      expect(existsSync(join(workDir, '.data', 'clutch_sandbox'))).toBe(true);
      const banner = await waitForOutput(cold.launcher, 'Gift card payment adapter is ready');
      expect(banner).toContain('local-dev-key');
      expect(banner).toContain(`http://127.0.0.1:${cold.port}/docs`);
    } finally {
      await cold.launcher.kill();
    }

    const warm = await startOnce();
    try {
      expect(warm.status).toBe(200);
    } finally {
      await warm.launcher.kill();
    }
  });

  it('refuses a bad configuration with a message naming the variable', async () => {
    const launcher = spawnProcess('node', [join(repoRoot, 'scripts/start.mjs')], {
      cwd: workDir,
      env: { ...cleanEnv, PORT: 'abc', SANDBOX_PORT: String(await freePort()) },
    });
    const code = await Promise.race([launcher.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30000))]);
    await launcher.kill();
    expect(code).not.toBe('timeout');
    expect(code).not.toBe(0);
    expect(launcher.output()).toMatch(/Invalid configuration:[\s\S]*PORT/);
  });
});
