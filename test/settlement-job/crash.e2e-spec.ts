import { join } from 'node:path';
import { RunningApp, SANDBOX_CREDENTIALS, startAdapter } from '../harness/apps';
import { omsClient } from '../harness/clients';
import { freePort, repoRoot, SpawnedProcess, spawnProcess, waitForStatus } from '../harness/processes';
import { Stack, startStack } from '../harness/stack';
import { authorize, JOB_TEST_ENV, providerRedeems, runUntilDrained, settleLater, sleep } from './job-helpers';

/**
 * A job instance killed (SIGKILL) in the middle of a run: its claims come back when their lease expires, and
 * the next instance resolves what was in flight before going on. Needs `npm run build` (runs dist/).
 */
describe('settlement job: an instance killed in the middle of a run', () => {
  let stack: Stack;
  let victim: SpawnedProcess | undefined;
  let successor: RunningApp | undefined;
  const env = { ...JOB_TEST_ENV, SETTLEMENT_LEASE_SECONDS: '2', UNKNOWN_OUTCOME_GRACE_MS: '1000' };
  beforeAll(async () => {
    stack = await startStack('job_crash', env);
  });
  afterAll(async () => {
    await victim?.kill('SIGKILL');
    await successor?.close().catch(() => undefined);
    await stack?.stop();
  });

  it('leaves no settlement lost or settled twice', async () => {
    const orders = [];
    for (let i = 0; i < 6; i++) orders.push(await authorize(stack, '100.00', '60.00'));
    const amounts: Array<[string, boolean]> = [['10.00', false], ['15.00', false], ['20.00', false], ['15.00', true]];
    for (const [n, [amount, final]] of amounts.entries()) {
      for (const order of orders) await settleLater(stack.oms, order.authorizationId, amount, `INV-${n + 1}`, final);
    }

    const port = await freePort();
    victim = spawnProcess('node', [join(repoRoot, 'dist/apps/payment-adapter/src/main.js')], {
      env: {
        ...process.env,
        ...SANDBOX_CREDENTIALS,
        ...env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: stack.db.url,
        CLUTCH_BASE_URL: `${stack.sandbox.url}/merchant/`,
      },
    });
    expect(await waitForStatus(`http://127.0.0.1:${port}/health`, 30000)).toBe(200);

    // Slow provider: a run takes seconds, so the kill lands in the middle of it.
    await stack.admin.setFaults({ latencyMs: 250, jitterMs: 100, methods: ['updateBalance'] });
    void omsClient(`http://127.0.0.1:${port}`).post('/v1/settlement-runs').catch(() => undefined);
    for (let i = 0; i < 600; i++) {
      const [row] = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payment_adapter.settlement WHERE status = 'SETTLED'`);
      if (row.n >= 8) break;
      await sleep(25);
    }
    await victim.kill('SIGKILL');
    const [atKill] = await stack.db.query<{ settled: number; open: number }>(
      `SELECT count(*) FILTER (WHERE status = 'SETTLED')::int AS settled, count(*) FILTER (WHERE status <> 'SETTLED')::int AS open
         FROM payment_adapter.settlement`,
    );
    expect(atKill.settled).toBeGreaterThanOrEqual(8);
    expect(atKill.open).toBeGreaterThan(0); // killed in the middle, not after the end

    // Another instance, once the victim's leases have expired. The victim's chain locks expire after their
    // own lease (60 s); until then the chains it was working on wait.
    await stack.admin.clearFaults();
    await sleep(2500);
    successor = await startAdapter(stack.db.url, stack.sandbox.url, env);
    await runUntilDrained(omsClient(successor.url), 150000);

    const rows = await stack.db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM payment_adapter.settlement GROUP BY status`);
    expect(rows).toEqual([{ status: 'SETTLED', n: 24 }]);
    for (const order of orders) {
      const redeems = await providerRedeems(stack, order.cardNumber);
      expect(redeems.map((r) => r.amount)).toEqual(['10.00', '15.00', '20.00', '15.00']);
      expect(new Set(redeems.map((r) => r.customRequestId)).size).toBe(4);
      const card = await stack.admin.card(order.cardNumber);
      expect(card).toMatchObject({ balance: '40.00', held: '0.00' });
    }
    // Every redeem at the provider is the one recorded for its settlement.
    const recorded = await stack.db.query<{ id: string }>(
      `SELECT pc.id FROM payment_adapter.provider_call pc JOIN payment_adapter.payment_event e ON e.provider_call_id = pc.id
        WHERE pc.operation = 'REDEEM_FROM_HOLD' AND e.type = 'SETTLEMENT_REDEEMED'`,
    );
    const atProvider = (await Promise.all(orders.map((o) => providerRedeems(stack, o.cardNumber)))).flat().map((r) => r.customRequestId);
    expect(atProvider.sort()).toEqual(recorded.map((r) => r.id).sort());
    expect(await stack.db.query(`SELECT id FROM payment_adapter.provider_call WHERE outcome IN ('PENDING', 'UNKNOWN')`)).toEqual([]);
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  }, 240000);
});
