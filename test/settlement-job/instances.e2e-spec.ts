import { RunningApp, startAdapter } from '../harness/apps';
import { omsClient } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';
import { authorize, JOB_TEST_ENV, providerRedeems, runJob, runUntilDrained, settleLater, sleep, total } from './job-helpers';

/** Several instances of the service share one backlog through claims; each settlement is settled once. */
describe('settlement job: three instances on one backlog', () => {
  let stack: Stack;
  const others: RunningApp[] = [];
  const env = { ...JOB_TEST_ENV, SETTLEMENT_BATCH_SIZE: '4', SETTLEMENT_CONCURRENCY: '3' };
  beforeAll(async () => {
    stack = await startStack('job_instances', env);
    for (let i = 0; i < 2; i++) others.push(await startAdapter(stack.db.url, stack.sandbox.url, { UNKNOWN_OUTCOME_GRACE_MS: '1000', ...env }));
  });
  afterAll(async () => {
    for (const app of others) await app.close().catch(() => undefined);
    await stack?.stop();
  });

  it('settles each item exactly once: settlement rows, provider ledger and each redeem reference', async () => {
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await authorize(stack, '100.00', '60.00'));
    const amounts: Array<[string, boolean]> = [['10.00', false], ['15.00', false], ['20.00', false], ['15.00', true]];
    for (const [n, [amount, final]] of amounts.entries()) {
      for (const order of orders) await settleLater(stack.oms, order.authorizationId, amount, `INV-${n + 1}`, final);
    }
    await stack.admin.setFaults({ latencyMs: 15, jitterMs: 15, methods: ['updateBalance'] });

    const clients = [stack.oms, ...others.map((app) => omsClient(app.url))];
    // Each instance runs the job at the same time, again and again, until the backlog is gone.
    const perInstance = await Promise.all(
        clients.map(async (oms) => {
          const mine = [];
          for (let i = 0; i < 200; i++) {
            const report = await runJob(oms);
            mine.push(report);
            if (report.backlog === 0) break;
            await sleep(20);
          }
          return mine;
        }),
    );
    const reports = perInstance.flat();
    await stack.admin.clearFaults();
    expect((await runUntilDrained(stack.oms))[0]).toMatchObject({ claimed: 0, backlog: 0 });

    // Counted once across the three instances, and more than one instance did some of the work.
    expect(total(reports, 'settled')).toBe(32);
    expect(total(reports, 'failed')).toBe(0);
    expect(perInstance.filter((mine) => total(mine, 'settled') > 0).length).toBeGreaterThanOrEqual(2);
    const rows = await stack.db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM payment_adapter.settlement GROUP BY status`,
    );
    expect(rows).toEqual([{ status: 'SETTLED', n: 32 }]);

    // One successful redeem call per settlement, and each of them once at the provider.
    const calls = await stack.db.query<{ id: string; settlement_id: string }>(
      `SELECT id, settlement_id FROM payment_adapter.provider_call WHERE operation = 'REDEEM_FROM_HOLD' AND outcome IN ('SUCCEEDED', 'APPLIED')`,
    );
    expect(calls).toHaveLength(32);
    expect(new Set(calls.map((c) => c.settlement_id)).size).toBe(32);
    const references: string[] = [];
    for (const order of orders) {
      const redeems = await providerRedeems(stack, order.cardNumber);
      expect(redeems.map((r) => r.amount)).toEqual(['10.00', '15.00', '20.00', '15.00']);
      references.push(...redeems.map((r) => r.customRequestId));
      expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: '40.00', held: '0.00' });
    }
    expect(references.sort()).toEqual(calls.map((c) => c.id).sort());
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);

    // Leases are given back when the work is done.
    const leased = await stack.db.query(`SELECT id FROM payment_adapter.settlement WHERE lease_owner IS NOT NULL`);
    expect(leased).toEqual([]);
  });
});
