import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, spawnNode, waitHealthy } from './lib/processes';

/**
 * Seconds from `node scripts/start.mjs` (what `npm start` runs after its build) to a 200 from the adapter's
 * /health, on the embedded defaults (PGlite, no DATABASE_URL) in a fresh temporary directory: `cold` creates
 * the data directory, `warm` starts again on the one it left.
 */
export async function measureStartup(): Promise<{ coldSeconds: number; warmSeconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gcpa-bench-start-'));
  try {
    const coldSeconds = await startOnce(dir);
    const warmSeconds = await startOnce(dir);
    return { coldSeconds, warmSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startOnce(cwd: string): Promise<number> {
  const [port, sandboxPort] = [await freePort(), await freePort()];
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), SANDBOX_PORT: String(sandboxPort), LOG_LEVEL: 'warn' };
  const started = performance.now();
  const launcher = spawnNode('npm start', join(repoRoot, 'scripts', 'start.mjs'), env, { cwd });
  const alive = () => launcher.child.exitCode === null && launcher.child.signalCode === null;
  try {
    const healthy = await waitHealthy(`http://127.0.0.1:${port}/health`, 90_000, alive, 25);
    const seconds = (performance.now() - started) / 1000;
    if (!healthy) throw new Error(`npm start did not become healthy:\n${launcher.output().slice(-4000)}`);
    return seconds;
  } finally {
    await launcher.stop(15_000);
  }
}
