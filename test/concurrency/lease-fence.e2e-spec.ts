import { randomUUID } from 'node:crypto';
import { omsClient, sandboxAdmin, withKey } from '../harness/clients';
import { startProcesses } from '../harness/spawned-stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 15, item 8: writes under a lease are fenced. Adapter A is frozen (SIGSTOP) while its partial settlement's
 * redeem is at the provider, for longer than its chain lease and its card lease. Adapter B then reverses the
 * authorization: it takes the chain over, finds the redeem (from the card's state), records it, holds the
 * remainder anew and releases it. When A wakes up it gets its redeem's answer: without the fence it would record
 * the redeem a second time and place a second advanced hold for a reversed order. With it, A writes nothing.
 */
describe('a worker that lost its lease writes nothing', () => {
  let stack: Awaited<ReturnType<typeof startProcesses>>;
  beforeAll(async () => {
    stack = await startProcesses('lease_fence', {
      ROW_LEASE_SECONDS: '2',
      CLUTCH_TIMEOUT_MS: '2000',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
      RECONCILIATION_ENABLED: 'false',
    });
  }, 90_000);
  afterAll(() => stack?.stop());

  it('the frozen worker neither records the redeem again nor places a second advanced hold', async () => {
    const a = await stack.startAdapter();
    const b = await stack.startAdapter();
    const admin = sandboxAdmin(stack.sandboxUrl);
    const [oms, other] = [omsClient(a.url), omsClient(b.url)];

    const card = await admin.createCard('100.00');
    const hold = await oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '60.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const id = hold.data.authorizationId;

    await admin.setFaults({ latencyMs: 1200, methods: ['updateBalance'] });
    const settling = oms.post('/v1/settlements', { authorizationId: id, amount: '20.00', invoiceId: 'INV-1', final: false }, withKey());
    await sleep(500);
    process.kill(-a.process.child.pid!, 'SIGSTOP');
    try {
      await admin.clearFaults();
      // Past A's chain lease (2 s) and its card lease (3 × timeout + 5 s).
      await sleep(12_500);
      const reversal = await other.post(`/v1/authorizations/${id}/reversals`, { amount: '0.00' }, withKey());
      expect(reversal.status).toBe(200);
      expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '80.00', held: '0.00' });
    } finally {
      process.kill(-a.process.child.pid!, 'SIGCONT');
    }
    const settled = await settling;
    expect(settled.status).toBe(503);
    await sleep(1500);

    expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '80.00', held: '0.00' });
    const links = await stack.db.query<{ state: string; closed_reason: string | null }>(
      `SELECT state, closed_reason FROM payment_adapter.authorization_hold WHERE root_id = $1 ORDER BY created_at`,
      [id],
    );
    expect(links.map((l) => l.closed_reason)).toEqual(['SUPERSEDED', 'REVERSED']);
    const redeemed = await stack.db.query(`SELECT 1 FROM payment_adapter.payment_event WHERE authorization_id = $1 AND type = 'AUTHORIZATION_SUPERSEDED'`, [id]);
    expect(redeemed).toHaveLength(1);
    expect((await admin.ledgerCheck()).ok).toBe(true);
  }, 90_000);
});
