import { Stack, startStack } from '../harness/stack';
import { authorize, JOB_TEST_ENV, providerRedeems, runUntilDrained, settleLater, settlementRows, total } from './job-helpers';

/** Rule 3: the job drains a backlog of partial batch settlements through the sync code path. */
describe('settlement job: draining a backlog', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('job_drain', { ...JOB_TEST_ENV, SETTLEMENT_MAX_ATTEMPTS: '30', SETTLEMENT_BATCH_SIZE: '3', SETTLEMENT_CONCURRENCY: '3' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  /** Four shipments per order: 10, 15 and 20 partial, then the last 15 final (60.00 held of 100.00). */
  const SHIPMENTS: Array<[string, boolean]> = [['10.00', false], ['15.00', false], ['20.00', false], ['15.00', true]];

  async function backlog(orders: number) {
    const created = [];
    for (let i = 0; i < orders; i++) created.push(await authorize(stack, '100.00', '60.00'));
    // Interleaved across orders, as an OMS invoicing shipments would send them.
    const settlements = new Map<string, string[]>(created.map((o) => [o.authorizationId, []]));
    for (const [n, [amount, final]] of SHIPMENTS.entries()) {
      for (const order of created) settlements.get(order.authorizationId)!.push(await settleLater(stack.oms, order.authorizationId, amount, `INV-${n + 1}`, final));
    }
    return { created, settlements };
  }

  async function expectSettledInOrder(order: { cardNumber: string; authorizationId: string }, settlementIds: string[]) {
    const read = await stack.oms.get(`/v1/authorizations/${order.authorizationId}`);
    expect(read.status).toBe(200);
    const chain = read.data.chain as Array<Record<string, string>>;
    // The root and one advanced hold per partial shipment, each superseded by the next; the last one settled.
    expect(chain.map((a) => a.closedReason)).toEqual(['SUPERSEDED', 'SUPERSEDED', 'SUPERSEDED', 'SETTLED']);
    expect(chain.map((a) => a.approvedAmount)).toEqual(['60.00', '50.00', '35.00', '15.00']);
    expect(chain.map((a) => a.settledAmount)).toEqual(['10.00', '15.00', '20.00', '15.00']);
    for (let i = 1; i < chain.length; i++) expect(chain[i].previousAuthorizationId).toBe(chain[i - 1].authorizationId);

    const rows = await settlementRows(stack, order.authorizationId);
    expect(rows.map((r) => r.id)).toEqual(settlementIds);
    expect(rows.map((r) => r.status)).toEqual(['SETTLED', 'SETTLED', 'SETTLED', 'SETTLED']);
    // Settlement n was served by link n and placed link n + 1: strictly in creation order.
    expect(rows.map((r) => r.served_authorization_id)).toEqual(chain.map((a) => a.authorizationId));
    expect(rows.map((r) => r.advanced_authorization_id)).toEqual([...chain.slice(1).map((a) => a.authorizationId), null]);

    const card = await stack.admin.card(order.cardNumber);
    expect(card).toMatchObject({ balance: '40.00', held: '0.00', available: '40.00' });
    expect(card.holds.filter((h) => h.status === 'OPEN')).toEqual([]);
    const redeems = await providerRedeems(stack, order.cardNumber);
    expect(redeems.map((r) => r.amount)).toEqual(['10.00', '15.00', '20.00', '15.00']);
    expect(new Set(redeems.map((r) => r.customRequestId)).size).toBe(4);
  }

  it('settles every order in shipment order, with the advanced-hold chain and exact balances', async () => {
    const { created, settlements } = await backlog(5);
    const reports = await runUntilDrained(stack.oms);
    expect(total(reports, 'settled')).toBe(20);
    expect(total(reports, 'failed')).toBe(0);
    expect(reports[reports.length - 1].backlog).toBe(0);
    for (const order of created) await expectSettledInOrder(order, settlements.get(order.authorizationId)!);
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);

    // Nothing left: another run claims nothing.
    const again = await runUntilDrained(stack.oms);
    expect(again[0]).toMatchObject({ claimed: 0, settled: 0, backlog: 0 });
  });

  it('keeps the unshipped remainder held when the last settlement is not final', async () => {
    const order = await authorize(stack, '100.00', '60.00');
    await settleLater(stack.oms, order.authorizationId, '10.00', 'INV-1');
    await settleLater(stack.oms, order.authorizationId, '20.00', 'INV-2');
    await runUntilDrained(stack.oms);
    expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: '70.00', held: '30.00' });
    const read = await stack.oms.get(`/v1/authorizations/${order.authorizationId}`);
    expect(read.data.chain.map((a: { state: string }) => a.state)).toEqual(['CLOSED', 'CLOSED', 'OPEN']);
    expect(read.data.chain[2]).toMatchObject({ heldAmount: '30.00', status: 'APPROVED' });
  });

  it('retries transient provider errors (503) with backoff until every settlement is settled', async () => {
    const { created, settlements } = await backlog(3);
    // A third of redeems and holds fail with 503 (nothing applied); reads stay healthy.
    await stack.admin.setFaults({ errorRate: 0.35, seed: 7, methods: ['updateBalance'] });
    const reports = await runUntilDrained(stack.oms, 90000);
    await stack.admin.clearFaults();
    expect(total(reports, 'retried')).toBeGreaterThan(0);
    expect(total(reports, 'failed')).toBe(0);
    for (const order of created) await expectSettledInOrder(order, settlements.get(order.authorizationId)!);
    const attempts = await stack.db.query<{ attempts: number }>(
      `SELECT attempts FROM payment_adapter.settlement WHERE root_authorization_id = ANY($1)`,
      [created.map((o) => o.authorizationId)],
    );
    expect(Math.max(...attempts.map((a) => a.attempts))).toBeGreaterThan(1);
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });
});
