import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** The first folder up from here with a package.json: the repository, from test/harness and from dist/test/harness (the soak). */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return join(from, '..', '..');
  }
}

export const repoRoot = findRepoRoot(__dirname);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface SpawnedProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a command of the repo in its own process (as an operator would), capturing its output. */
export function spawnProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): SpawnedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal); // the whole process group: the launcher and its children
        } catch {
          // already gone
        }
      }
      return exited;
    },
  };
}

/** Polls `url` until it answers 200 or the time is up; returns the last status (0 when unreachable). */
export async function waitForStatus(url: string, timeoutMs: number, wanted = 200): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (Date.now() < deadline) {
    try {
      status = (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
      if (status === wanted) return status;
    } catch {
      status = 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return status;
}

/**
 * Resolves with the output once it contains `text`, or with what was printed when the time is up. A launcher
 * prints its banner after its own health poll succeeds, which can be after the test's poll has.
 */
export async function waitForOutput(spawned: SpawnedProcess, text: string, timeoutMs = 10000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!spawned.output().includes(text) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return spawned.output();
}
