import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { BenchDatabase, createDatabase } from './lib/database';
import { API_KEY, BENCH_PIN, merchantHeaders } from './lib/stack';

const run = promisify(execFile);

export interface ThroughputStep {
  connections: number;
  pairsPerSecond: number;
  okPairs: number;
  failedPairs: number;
  errorRatio: number;
  holdLatencyP50Ms: number;
  holdLatencyP99Ms: number;
}

/**
 * Closed loop with autocannon: each connection sends a hold, then the reversal of that hold, again and again.
 * A pair counts when the hold was approved (201) and its reversal answered 200.
 */
export async function adapterStep(adapterUrl: string, cards: string[], connections: number, durationSeconds: number): Promise<ThroughputStep> {
  let ok = 0;
  let failed = 0;
  let next = 0;
  const headers = () => ({ 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, 'idempotency-key': randomUUID() });
  type Context = { id?: string };
  const result = await autocannon({
    url: adapterUrl,
    connections,
    duration: durationSeconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/v1/authorizations',
        setupRequest: (request: any, context: Context) => {
          context.id = undefined;
          const cardNumber = cards[next++ % cards.length];
          return { ...request, headers: headers(), body: JSON.stringify({ orderId: `bench-${randomUUID()}`, cardNumber, pin: BENCH_PIN, amount: '1.00', currency: 'USD' }) };
        },
        onResponse: (status: number, body: string, context: Context) => {
          if (status !== 201) return;
          try {
            const parsed = JSON.parse(body);
            if (parsed.status === 'APPROVED') context.id = parsed.authorizationId;
          } catch {
            // counted as failed at the reversal
          }
        },
      },
      {
        method: 'POST',
        setupRequest: (request: any, context: Context) => ({
          ...request,
          path: `/v1/authorizations/${context.id ?? 'missing'}/reversals`,
          headers: headers(),
          body: JSON.stringify({ amount: '0.00' }),
        }),
        onResponse: (status: number, _body: string, context: Context) => {
          if (context.id && status === 200) ok++;
          else failed++;
        },
      },
    ] as any,
  } as any);
  return stepOf(connections, durationSeconds, ok, failed, result);
}

/** A step's figures from its pair counts and autocannon's result. */
function stepOf(connections: number, durationSeconds: number, ok: number, failed: number, result: autocannon.Result): ThroughputStep {
  // Connection errors and timeouts never reach onResponse: count each as a failed pair.
  const lost = failed + result.errors + result.timeouts;
  const seconds = result.duration || durationSeconds;
  return {
    connections,
    pairsPerSecond: ok / seconds,
    okPairs: ok,
    failedPairs: lost,
    errorRatio: ok + lost === 0 ? 1 : lost / (ok + lost),
    holdLatencyP50Ms: result.latency.p50,
    holdLatencyP99Ms: result.latency.p99,
  };
}

/**
 * The same closed loop straight to the sandbox's merchant API (the two calls the adapter makes for a pair):
 * `updateBalance` hold of 1.00, then a redeem of 0 from that hold with `releaseHoldRemainder`. A pair counts when
 * both answered 200 with `success: true`. Same autocannon connections (keep-alive), same cards round-robin.
 */
export async function directStep(sandboxUrl: string, cards: string[], connections: number, durationSeconds: number): Promise<ThroughputStep> {
  let ok = 0;
  let failed = 0;
  let next = 0;
  const merchant = merchantHeaders();
  const headers = () => ({ 'content-type': 'application/json', ...merchant, customrequestid: randomUUID() });
  const amount = (value: number) => ({ balanceType: 'Currency', balanceCode: 'USD', amount: value });
  type Context = { hold?: string; card?: string };
  const result = await autocannon({
    url: sandboxUrl,
    connections,
    duration: durationSeconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/merchant/updateBalance',
        setupRequest: (request: any, context: Context) => {
          context.hold = undefined;
          context.card = cards[next++ % cards.length];
          return { ...request, headers: headers(), body: JSON.stringify({ cardNumber: context.card, action: 'hold', amount: amount(1), redeemMaxOnOverdraw: true, returnBalances: true }) };
        },
        onResponse: (status: number, body: string, context: Context) => {
          if (status !== 200) return;
          try {
            const parsed = JSON.parse(body);
            if (parsed.success === true) context.hold = parsed.transactionId;
          } catch {
            // counted as failed at the release
          }
        },
      },
      {
        method: 'POST',
        path: '/merchant/updateBalance',
        setupRequest: (request: any, context: Context) => ({
          ...request,
          headers: headers(),
          body: JSON.stringify({
            cardNumber: context.card,
            action: 'redeem',
            amount: amount(0),
            redeemFromHoldTransactionId: context.hold ?? 'missing',
            releaseHoldRemainder: true,
            returnBalances: true,
          }),
        }),
        onResponse: (status: number, body: string, context: Context) => {
          let success = false;
          try {
            success = status === 200 && JSON.parse(body).success === true;
          } catch {
            success = false;
          }
          if (context.hold && success) ok++;
          else failed++;
        },
      },
    ] as any,
  } as any);
  return stepOf(connections, durationSeconds, ok, failed, result);
}

export function pgbenchBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(`${dir}/pgbench`)) return `${dir}/pgbench`;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort().reverse()) if (existsSync(`${root}/${version}/bin/pgbench`)) return `${root}/${version}/bin/pgbench`;
  }
  throw new Error('pgbench not found on PATH nor under /usr/lib/postgresql/*/bin');
}

/** TPC-B (pgbench's default script) on its own throw-away database of the same server. */
export async function pgbenchTps(scale: number, clients: number, threads: number, seconds: number): Promise<{ tps: number; command: string }> {
  const binary = pgbenchBinary();
  const database: BenchDatabase = await createDatabase('pgbench');
  try {
    const url = database.url;
    await run(binary, ['-i', '-q', '-s', String(scale), url], { timeout: 300_000 });
    const args = ['-c', String(clients), '-j', String(threads), '-T', String(seconds), url];
    const { stdout } = await run(binary, args, { timeout: (seconds + 120) * 1000 });
    const match = /tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(stdout) ?? /tps = ([\d.]+)/.exec(stdout);
    if (!match) throw new Error(`cannot read the tps of pgbench:\n${stdout}`);
    return { tps: Number(match[1]), command: `pgbench -i -s ${scale}; pgbench -c ${clients} -j ${threads} -T ${seconds}` };
  } finally {
    await database.drop();
  }
}
