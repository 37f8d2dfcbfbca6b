import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root (this file runs from dist/bench/lib). */
export const repoRoot = join(__dirname, '..', '..', '..');

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

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM to the process group, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `node <nodeArgs> <script>` from the repository in its own process group, capturing its output. */
export function spawnNode(name: string, script: string, env: NodeJS.ProcessEnv, options: { cwd?: string; nodeArgs?: string[] } = {}): NodeProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd ?? repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000); // bounded: a noisy process cannot eat the memory
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    name,
    child,
    pid: child.pid!,
    output: () => output,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Polls `url` until it answers 200; false when `timeoutMs` passes or `alive()` turns false. */
export async function waitHealthy(url: string, timeoutMs: number, alive: () => boolean = () => true, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await sleep(intervalMs);
  }
  return false;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resident set size and its high-water mark of a process, in MiB, from /proc (Linux). */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN when unreadable. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14 and 15)
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds spent by the adapter, the sandbox, the PostgreSQL backends serving them (`backendPids`, from
 * pg_stat_activity of the bench database: their pools' long-lived connections) and the bench itself while
 * `work` runs.
 */
export async function cpuDuring<T>(pids: { adapter: number; sandbox: number }, backendPids: number[], work: () => Promise<T>) {
  const sample = () => ({
    adapter: cpuSecondsOf(pids.adapter),
    sandbox: cpuSecondsOf(pids.sandbox),
    postgres: backendPids.map(cpuSecondsOf).filter(Number.isFinite).reduce((a, b) => a + b, 0),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  });
  const before = sample();
  const value = await work();
  const after = sample();
  return {
    value,
    cpuSeconds: {
      adapter: after.adapter - before.adapter,
      sandbox: after.sandbox - before.sandbox,
      postgres: after.postgres - before.postgres,
      bench: after.bench - before.bench,
    },
  };
}
