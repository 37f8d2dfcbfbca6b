import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';
import { authorize, JOB_TEST_ENV, providerRedeems, runJob, runUntilDrained, settleLater, settlementRows, sleep, voidHoldBehindOurBack } from './job-helpers';

/** Permanent failures end FAILED with their reason; an operator lists them and puts one back. */
describe('settlement job: failures and the operator endpoints', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('job_failures', { ...JOB_TEST_ENV, SETTLEMENT_MAX_ATTEMPTS: '3' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  const providerRedeemsOf = (cardNumber: string) => providerRedeems(stack, cardNumber);
  const reverse = (authorizationId: string) => stack.oms.post(`/v1/authorizations/${authorizationId}/reversals`, { amount: '0.00' }, withKey());

  it('fails the open settlements of a reversed authorization with AUTHORIZATION_CLOSED', async () => {
    const order = await authorize(stack, '100.00', '50.00');
    const first = await settleLater(stack.oms, order.authorizationId, '10.00', 'INV-1');
    const second = await settleLater(stack.oms, order.authorizationId, '10.00', 'INV-2');
    expect((await reverse(order.authorizationId)).status).toBe(200);
    const report = await runJob(stack.oms);
    expect(report.settled).toBe(0);
    const rows = await settlementRows(stack, order.authorizationId);
    expect(rows.map((r) => [r.id, r.status, r.failure_reason])).toEqual([
      [first, 'FAILED', 'AUTHORIZATION_CLOSED'],
      [second, 'FAILED', 'AUTHORIZATION_CLOSED'],
    ]);
    expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: '100.00', held: '0.00' });
  });

  it('fails a settlement claimed by a job instance when the order is cancelled, with AUTHORIZATION_CLOSED', async () => {
    const order = await authorize(stack, '100.00', '50.00');
    const first = await settleLater(stack.oms, order.authorizationId, '10.00', 'INV-1');
    const second = await settleLater(stack.oms, order.authorizationId, '15.00', 'INV-2');
    // Another instance has just claimed the first settlement (its lease is running) when the reversal comes.
    await stack.db.query(
      `UPDATE payment_adapter.settlement SET lease_owner = gen_random_uuid(), lease_until = now() + interval '60 seconds' WHERE id = $1`,
      [first],
    );
    expect((await reverse(order.authorizationId)).status).toBe(200);
    const rows = await settlementRows(stack, order.authorizationId);
    expect(rows.map((r) => [r.id, r.status, r.failure_reason])).toEqual([
      [first, 'FAILED', 'AUTHORIZATION_CLOSED'],
      [second, 'FAILED', 'AUTHORIZATION_CLOSED'],
    ]);
    expect(await stack.db.query(`SELECT id FROM payment_adapter.settlement WHERE id = $1 AND lease_owner IS NOT NULL`, [first])).toEqual([]);
    expect(await runJob(stack.oms)).toMatchObject({ claimed: 0, settled: 0 });
    expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: '100.00', held: '0.00' });
    expect(await providerRedeemsOf(order.cardNumber)).toEqual([]);
  });

  it('settles what was claimed before a cancellation and releases the rest: nothing stays held', async () => {
    const order = await authorize(stack, '100.00', '50.00');
    const first = await settleLater(stack.oms, order.authorizationId, '10.00', 'INV-1');
    const second = await settleLater(stack.oms, order.authorizationId, '15.00', 'INV-2');
    // Each redeem and hold takes 700 ms: the reversal arrives while the job works on the first settlement.
    await stack.admin.setFaults({ latencyMs: 700, jitterMs: 0, methods: ['updateBalance'] });
    const run = runJob(stack.oms);
    for (let i = 0; i < 200; i++) {
      const [row] = await stack.db.query<{ status: string }>(`SELECT status FROM payment_adapter.settlement WHERE id = $1`, [first]);
      if (row.status === 'PROCESSING') break;
      await sleep(10);
    }
    expect((await reverse(order.authorizationId)).status).toBe(200);
    await run;
    await runUntilDrained(stack.oms);
    const rows = await settlementRows(stack, order.authorizationId);
    expect(rows[0]).toMatchObject({ id: first, status: 'SETTLED' });
    // The second one either got the chain before the reversal (settled) or after it (closed); never left open.
    expect(rows[1].id).toBe(second);
    expect([['SETTLED', null], ['FAILED', 'AUTHORIZATION_CLOSED']]).toContainEqual([rows[1].status, rows[1].failure_reason]);
    const settled = rows[1].status === 'SETTLED' ? 25 : 10;
    expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: `${100 - settled}.00`, held: '0.00' });
    expect((await providerRedeemsOf(order.cardNumber)).length).toBe(rows[1].status === 'SETTLED' ? 2 : 1);
  });

  it('fails a settlement after SETTLEMENT_MAX_ATTEMPTS while the provider refuses every call (429); retry puts it back and it settles', async () => {
    const order = await authorize(stack, '100.00', '40.00');
    const id = await settleLater(stack.oms, order.authorizationId, '40.00', 'INV-1', true);
    // 429: refused, so certainly not applied (a 5xx on a money call would be an unknown outcome).
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['updateBalance'] });
    const reports = await runUntilDrained(stack.oms, 30000);
    expect(reports.reduce((n, r) => n + r.failed, 0)).toBe(1);
    const [row] = await settlementRows(stack, order.authorizationId);
    expect(row).toMatchObject({ id, status: 'FAILED', failure_reason: 'PROVIDER_UNAVAILABLE', attempts: 3 });
    const events = await stack.db.query<{ type: string; provider_message: string }>(
      `SELECT type, provider_message FROM payment_adapter.payment_event WHERE settlement_id = $1 ORDER BY id`,
      [id],
    );
    expect(events.map((e) => e.type)).toEqual([
      'SETTLEMENT_REQUESTED',
      ...['SETTLEMENT_CLAIMED', 'SETTLEMENT_RETRY_LATER'],
      ...['SETTLEMENT_CLAIMED', 'SETTLEMENT_RETRY_LATER'],
      ...['SETTLEMENT_CLAIMED', 'SETTLEMENT_RETRY_LATER'],
      'SETTLEMENT_FAILED',
    ]);
    expect(events[events.length - 1].provider_message).toContain('gave up after 3 attempts');

    // The operator's view: FAILED settlements with their reason, no card numbers.
    const failed = await stack.oms.get('/v1/settlements', { params: { status: 'FAILED', orderId: order.orderId } });
    expect(failed.status).toBe(200);
    expect(failed.data.items).toEqual([expect.objectContaining({ settlementId: id, status: 'FAILED', failureReason: 'PROVIDER_UNAVAILABLE', attempts: 3 })]);
    expect(JSON.stringify(failed.data)).not.toContain(order.cardNumber);

    await stack.admin.clearFaults();
    const key = randomUUID();
    const retried = await stack.oms.post(`/v1/settlements/${id}/retry`, {}, withKey(key));
    expect(retried.status).toBe(200);
    expect(retried.data).toMatchObject({ settlementId: id, status: 'OPEN', attempts: 0, failureReason: null });
    // The same key replays the answer; a new key on a settlement that is no longer FAILED is refused.
    const replay = await stack.oms.post(`/v1/settlements/${id}/retry`, {}, withKey(key));
    expect(replay.status).toBe(200);
    expect(replay.data).toEqual(retried.data);
    const again = await stack.oms.post(`/v1/settlements/${id}/retry`, {}, withKey());
    expect(again.status).toBe(422);
    expect(again.data.error.code).toBe('SETTLEMENT_NOT_FAILED');

    await runUntilDrained(stack.oms);
    expect((await settlementRows(stack, order.authorizationId))[0]).toMatchObject({ status: 'SETTLED', attempts: 1, failure_reason: null });
    expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: '60.00', held: '0.00' });
  });

  it('fails a declined redeem at once (no retry) with the provider reason', async () => {
    const order = await authorize(stack, '100.00', '30.00');
    const id = await settleLater(stack.oms, order.authorizationId, '30.00', 'INV-1', true);
    // The hold disappears at the provider behind our back (voided, where the sandbox lets holds be): the redeem is declined.
    await voidHoldBehindOurBack(stack, order.cardNumber);
    const report = await runJob(stack.oms);
    expect(report).toMatchObject({ settled: 0, retried: 0, failed: 1 });
    const [row] = await settlementRows(stack, order.authorizationId);
    expect(row).toMatchObject({ id, status: 'FAILED', attempts: 1 });
    expect(row.failure_reason).toBe('HOLD_NOT_AVAILABLE');
  });

  it('lists settlements page by page with a cursor, and validates the query', async () => {
    const order = await authorize(stack, '100.00', '50.00');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await settleLater(stack.oms, order.authorizationId, '1.00', `INV-${i}`));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await stack.oms.get('/v1/settlements', { params: { orderId: order.orderId, status: 'OPEN', limit: 2, cursor } });
      expect(response.status).toBe(200);
      expect(response.data.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.data.items.map((s: { settlementId: string }) => s.settlementId));
      cursor = response.data.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(seen).toEqual(ids);
    const bad = await stack.oms.get('/v1/settlements', { params: { status: 'LOST', limit: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.data.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['limit', 'status']);
    expect((await stack.oms.post(`/v1/settlements/${randomUUID()}/retry`, {}, withKey())).status).toBe(404);
    await reverse(order.authorizationId);
  });
});
