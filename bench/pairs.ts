import { randomUUID } from 'node:crypto';
import { JsonClient } from './lib/http';
import { API_KEY, BENCH_PIN, merchantHeaders } from './lib/stack';

/** One "pair": a hold of 1.00 on a card followed by its release. Resolves true when both steps succeeded. */
export type Pair = (cardNumber: string) => Promise<boolean>;

/** Through the adapter: POST /v1/authorizations, then POST /v1/authorizations/{id}/reversals {amount: "0.00"}. */
export function adapterPair(client: JsonClient): Pair {
  return async (cardNumber) => {
    const hold = await client.post(
      '/v1/authorizations',
      { orderId: `bench-${randomUUID()}`, cardNumber, pin: BENCH_PIN, amount: '1.00', currency: 'USD' },
      { authorization: `Bearer ${API_KEY}`, 'idempotency-key': randomUUID() },
    );
    if (hold.status !== 201 || hold.body?.status !== 'APPROVED') return false;
    const reversal = await client.post(
      `/v1/authorizations/${hold.body.authorizationId}/reversals`,
      { amount: '0.00' },
      { authorization: `Bearer ${API_KEY}`, 'idempotency-key': randomUUID() },
    );
    return reversal.status === 200;
  };
}

/** Straight to the sandbox: updateBalance hold, then a redeem of 0 from the hold with releaseHoldRemainder. */
export function directPair(client: JsonClient): Pair {
  const headers = merchantHeaders();
  const amount = (value: number) => ({ balanceType: 'Currency', balanceCode: 'USD', amount: value });
  return async (cardNumber) => {
    const hold = await client.post(
      '/merchant/updateBalance',
      { cardNumber, action: 'hold', amount: amount(1), redeemMaxOnOverdraw: true, returnBalances: true },
      { ...headers, customrequestid: randomUUID() },
    );
    if (hold.status !== 200 || hold.body?.success !== true) return false;
    const release = await client.post(
      '/merchant/updateBalance',
      { cardNumber, action: 'redeem', amount: amount(0), redeemFromHoldTransactionId: hold.body.transactionId, releaseHoldRemainder: true, returnBalances: true },
      { ...headers, customrequestid: randomUUID() },
    );
    return release.status === 200 && release.body?.success === true;
  };
}

export interface FixedRateResult {
  latenciesMs: number[];
  ok: number;
  failed: number;
  /** Pairs that could not start on time because `maxInFlight` were still running. */
  skipped: number;
}

/**
 * Open loop: starts one pair every 1/rate s for `durationMs` (whatever the answers' pace), cards round-robin,
 * and measures each pair from its start to the end of its second step.
 */
export async function runFixedRate(pair: Pair, cards: string[], ratePerSecond: number, durationMs: number, maxInFlight = 200): Promise<FixedRateResult> {
  const result: FixedRateResult = { latenciesMs: [], ok: 0, failed: 0, skipped: 0 };
  const total = Math.floor((ratePerSecond * durationMs) / 1000);
  const intervalMs = 1000 / ratePerSecond;
  const running = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (running.size >= maxInFlight) {
      result.skipped++;
      continue;
    }
    const t0 = performance.now();
    const task: Promise<void> = pair(cards[i % cards.length])
      .then((ok) => {
        if (ok) {
          result.ok++;
          result.latenciesMs.push(performance.now() - t0);
        } else result.failed++;
      })
      .catch(() => {
        result.failed++;
      })
      .finally(() => running.delete(task));
    running.add(task);
  }
  await Promise.all(running);
  return result;
}
