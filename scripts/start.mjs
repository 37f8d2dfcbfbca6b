// `npm start`: the adapter, plus the Clutch sandbox when no CLUTCH_BASE_URL is given, with one banner.
// Each app runs in its own process (as in production), on embedded PostgreSQL unless DATABASE_URL is set.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const port = env.PORT || '3000';
const sandboxPort = env.SANDBOX_PORT || '3100';
const withSandbox = !env.CLUTCH_BASE_URL;
const children = [];
let stopping = false;

function start(name, entry, childEnv) {
  const child = fork(join(root, 'dist', entry), [], { env: childEnv, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`${name} stopped (${signal ?? `exit code ${code}`}); stopping everything.\n`);
    stop(code || 1);
  });
  return child;
}

function stop(code) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 200).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(() =>
    process.exit(code),
  );
}

async function waitHealthy(url, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return false;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function demoCards(sandboxUrl) {
  try {
    const response = await fetch(`${sandboxUrl}/_sandbox/cards?demo=true`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return [];
    const body = await response.json();
    return Array.isArray(body) ? body : (body.cards ?? []);
  } catch {
    return [];
  }
}

/** Resolves when `port` is free on `host`; a second `npm start` is refused here, before anything is opened. */
function portFree(port, host) {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', (error) => resolvePort(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? false : true));
    probe.listen(Number(port), host, () => probe.close(() => resolvePort(true)));
  });
}

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

/**
 * One launcher per embedded data directory: two processes opening the same PGlite files corrupt them. The lock
 * is a file holding the owner's pid, created exclusively; one left by a process that no longer runs is stale
 * and taken over. Returns a message when another live launcher holds it.
 */
function lockDataDir(dataDir) {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      process.on('exit', () => {
        try {
          if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) rmSync(lockFile);
        } catch {
          // already gone
        }
      });
      return null;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        return `${dataDir} is in use by another \`npm start\` (pid ${owner}); stop it first, or set DATA_DIR to another directory.`;
      }
      rmSync(lockFile, { force: true }); // stale: its launcher is gone
    }
  }
  return `could not lock ${dataDir}`;
}

function refuse(message) {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// Checked before anything starts or touches the data directory: a second start says why and leaves the first alone.
const host = env.HOST || '127.0.0.1';
for (const [name, value, variable] of [['the adapter', port, 'PORT'], ...(withSandbox ? [['the sandbox', sandboxPort, 'SANDBOX_PORT']] : [])]) {
  if (/^\d+$/.test(value) && !(await portFree(value, host))) {
    refuse(`port ${value} (${name}) is already in use, perhaps by another \`npm start\`; stop it, or set ${variable} to a free port.`);
  }
}
if (!env.DATABASE_URL) {
  const problem = lockDataDir(resolve(env.DATA_DIR || './.data'));
  if (problem) refuse(problem);
}

const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
if (withSandbox) start('clutch-sandbox', 'apps/clutch-sandbox/src/main.js', { ...env, SANDBOX_PORT: sandboxPort });
start('payment-adapter', 'apps/payment-adapter/src/main.js', {
  ...env,
  PORT: port,
  ...(withSandbox ? { CLUTCH_BASE_URL: `${sandboxUrl}/merchant/` } : {}),
});

const adapterUrl = `http://127.0.0.1:${port}`;
const healthy = (await Promise.all([
  waitHealthy(`${adapterUrl}/health`),
  withSandbox ? waitHealthy(`${sandboxUrl}/health`) : true,
])).every(Boolean);
if (!healthy) {
  if (!stopping) process.stderr.write('The service did not become healthy within 60 s; see the messages above.\n');
  stop(1);
} else {
  const keys = env.API_KEYS ? '(from API_KEYS)' : 'local-dev-key   (development default; set API_KEYS to replace it)';
  const lines = [
    '',
    '  Gift card payment adapter is ready',
    `    API          ${adapterUrl}/v1`,
    `    Docs         ${adapterUrl}/docs   (OpenAPI JSON: ${adapterUrl}/docs-json)`,
    `    Health       ${adapterUrl}/health`,
    `    Console      ${adapterUrl}/console   (operator key${env.API_KEYS ? ' from API_KEYS' : ': local-operator-key'})`,
    `    API key      ${keys}`,
    `    Provider     ${withSandbox ? `Clutch sandbox at ${sandboxUrl} (admin API: ${sandboxUrl}/_sandbox)` : env.CLUTCH_BASE_URL}`,
    `    Database     ${env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : `embedded PostgreSQL in ${env.DATA_DIR || './.data'}`}`,
  ];
  if (withSandbox) {
    const cards = await demoCards(sandboxUrl);
    for (const card of cards) {
      lines.push(`    Demo card    ${card.cardNumber}  PIN ${card.pin ?? '-'}  ${card.balance ?? ''} ${card.currency ?? ''}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}
