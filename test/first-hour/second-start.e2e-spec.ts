import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, spawnProcess, waitForOutput, waitForStatus } from '../harness/processes';

/** A second `npm start` says why it cannot run and leaves the first one (and its data directory) alone. */
jest.setTimeout(300_000); // two cold starts of two processes on embedded PostgreSQL, on a busy machine

describe('a second npm start', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'gcpa-second-'));
  const cleanEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'CLUTCH_BASE_URL', 'API_KEYS', 'NODE_ENV', 'DATA_DIR', 'HOST']) delete cleanEnv[key];
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  const launch = (port: number, sandboxPort: number, extra: Record<string, string> = {}) =>
    spawnProcess('node', [join(repoRoot, 'scripts/start.mjs')], {
      cwd: workDir,
      env: { ...cleanEnv, PORT: String(port), SANDBOX_PORT: String(sandboxPort), ...extra },
    });
  const exitWithin = (launcher: ReturnType<typeof launch>, ms: number) =>
    Promise.race([launcher.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

  it('refuses on a taken port and on a locked data directory, before opening anything', async () => {
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const first = launch(port, sandboxPort);
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health`, 120000)).toBe(200);
      const lock = join(workDir, '.data', '.lock');
      expect(readFileSync(lock, 'utf8').trim()).toBe(String(first.child.pid));
      // The banner comes last, after the start-up logs. (Only a request log of the test's own health poll may land after it.)
      await waitForOutput(first, 'Gift card payment adapter is ready');
      await new Promise((r) => setTimeout(r, 300));
      const output = first.output();
      const banner = output.indexOf('Gift card payment adapter is ready');
      expect(banner).toBeGreaterThan(output.lastIndexOf('listening on'));
      const logsAfter = output.slice(banner).split('\n').filter((line) => line.startsWith('{'));
      expect(logsAfter.filter((line) => !line.includes('"msg":"request completed"'))).toEqual([]);
      expect(first.output()).not.toContain('RouterExplorer'); // Nest's route-by-route start-up lines are debug

      const samePorts = launch(port, sandboxPort);
      expect(await exitWithin(samePorts, 30000)).toBe(1);
      expect(samePorts.output()).toContain(`port ${port} (the adapter) is already in use`);
      expect(samePorts.output()).not.toContain('is ready');
      expect(samePorts.output()).not.toContain('listening');

      const sameData = launch(await freePort(), await freePort());
      expect(await exitWithin(sameData, 30000)).toBe(1);
      expect(sameData.output()).toContain(`is in use by another \`npm start\` (pid ${first.child.pid})`);
      expect(sameData.output()).not.toContain('listening');

      // The first one is untouched.
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      await first.kill();
    }
    // Its lock went with it, so the next start runs.
    expect(existsSync(join(workDir, '.data', '.lock'))).toBe(false);
  });

  it('takes over a lock left by a launcher that no longer runs', async () => {
    mkdirSync(join(workDir, '.data'), { recursive: true });
    writeFileSync(join(workDir, '.data', '.lock'), '999999\n');
    const port = await freePort();
    const again = launch(port, await freePort());
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health`, 120000)).toBe(200);
    } finally {
      await again.kill();
    }
  });
});
