import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Issue 15, item 9: a provider's answer and what it means commit together. Here the commit of the effect fails
 * once (a trigger refuses it, as a database failing at that moment would) after the provider has applied the
 * call. The call must not be left answered while its effect is missing (nothing would revisit it): either the
 * request itself learns the outcome again, or the call stays in the recovery sweep's queue, and the sweep
 * completes it. Nobody retries the request here.
 */
describe('an answer and its effect commit together', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('effects_with_answers', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false', UNKNOWN_OUTCOME_GRACE_MS: '1000' });
    await stack.db.query(`CREATE SEQUENCE payment_adapter.injected_failures`);
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.db.query(`DROP TRIGGER IF EXISTS fail_once ON payment_adapter.refund; DROP TRIGGER IF EXISTS fail_once ON payment_adapter.authorization_hold`));

  /** The next write matching `when` on `table` fails once (a sequence: its count survives the rollback). */
  async function failOnce(table: string, when: string) {
    await stack.db.query(`SELECT setval('payment_adapter.injected_failures', 1, false)`);
    await stack.db.query(
      `CREATE OR REPLACE FUNCTION payment_adapter.fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF nextval('payment_adapter.injected_failures') = 1 THEN RAISE EXCEPTION 'injected failure of the effect''s commit'; END IF;
         RETURN NEW;
       END $$`,
    );
    await stack.db.query(`CREATE TRIGGER fail_once BEFORE UPDATE ON payment_adapter.${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION payment_adapter.fail_once()`);
  }

  async function sweepUntil(done: () => Promise<boolean>) {
    for (let i = 0; i < 30 && !(await done()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await stack.oms.post('/v1/recovery-runs');
    }
  }

  async function settledOrder(card: { cardNumber: string; pin: string }, amount: string) {
    const orderId = `O-${randomUUID()}`;
    const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount, invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    return { orderId, settlementId: settled.data.settlementId as string };
  }

  it('a refund issued at the provider ends SUCCEEDED, issued once', async () => {
    const card = await stack.admin.createCard('50.00');
    const { orderId, settlementId } = await settledOrder(card, '30.00');
    await failOnce('refund', `NEW.status = 'SUCCEEDED' AND OLD.status <> 'SUCCEEDED'`);

    const refund = await stack.oms.post('/v1/refunds', { orderId, settlementId, amount: '10.00', currency: 'USD' }, withKey());
    expect([201, 503]).toContain(refund.status);
    const refundId = refund.status === 201 ? refund.data.refundId : refund.data.details?.refundId;
    const status = async () => {
      const [row] = await stack.db.query<{ status: string }>(`SELECT status FROM payment_adapter.refund WHERE order_id = $1`, [orderId]);
      return row.status;
    };
    await sweepUntil(async () => (await status()) === 'SUCCEEDED');
    expect(await status()).toBe('SUCCEEDED');
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '30.00', held: '0.00' });
    if (refundId) expect((await stack.oms.get(`/v1/refunds/${refundId}`)).data).toMatchObject({ status: 'SUCCEEDED' });
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });

  it('a reversal released at the provider ends with the authorization closed REVERSED', async () => {
    const card = await stack.admin.createCard('50.00');
    const hold = await stack.oms.post(
      '/v1/authorizations',
      { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '20.00', currency: 'USD' },
      withKey(),
    );
    expect(hold.status).toBe(201);
    const id = hold.data.authorizationId;
    await failOnce('authorization_hold', `NEW.closed_reason = 'REVERSED'`);

    const reversal = await stack.oms.post(`/v1/authorizations/${id}/reversals`, { amount: '0.00' }, withKey());
    expect([200, 503]).toContain(reversal.status);
    const state = async () => (await stack.oms.get(`/v1/authorizations/${id}`)).data;
    await sweepUntil(async () => (await state()).closedReason === 'REVERSED');
    expect(await state()).toMatchObject({ state: 'CLOSED', closedReason: 'REVERSED' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '50.00', held: '0.00' });
  });
});
