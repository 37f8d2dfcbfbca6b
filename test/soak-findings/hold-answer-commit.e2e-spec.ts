import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Found by the chaos soak: a SIGKILL after the provider answered a hold and the answer was recorded
 * (provider_call SUCCEEDED) but before the authorization was approved left the hold with no owner. Nothing
 * revisits a SUCCEEDED call, so the OMS's retry placed a second hold (declined: the first one held the
 * funds) and the first stayed open at the provider. The answer and the approval are now one commit.
 *
 * The crash is simulated by making that commit fail: a trigger refuses to open this order's authorization
 * until the test lifts the refusal.
 */
describe("a hold whose answer was received but whose approval did not commit", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('hold-answer-commit', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
    await stack.db.query(`CREATE TABLE payment_adapter.refuse_open (order_id text PRIMARY KEY)`);
    await stack.db.query(`CREATE FUNCTION payment_adapter.refuse_open() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.state = 'OPEN' AND EXISTS (SELECT 1 FROM payment_adapter.refuse_open r WHERE r.order_id = NEW.order_id) THEN
          RAISE EXCEPTION 'simulated crash before the approval committed';
        END IF;
        RETURN NEW;
      END $$`);
    await stack.db.query(`CREATE TRIGGER refuse_open BEFORE UPDATE ON payment_adapter.authorization_hold
      FOR EACH ROW EXECUTE FUNCTION payment_adapter.refuse_open()`);
  });
  afterAll(() => stack?.stop());

  it('is never left answered-but-unowned: the retry ends with one hold, owned by the authorization', async () => {
    const card = await stack.admin.createCard('50.00');
    const orderId = `O-${randomUUID()}`;
    await stack.db.query(`INSERT INTO payment_adapter.refuse_open (order_id) VALUES ($1)`, [orderId]);
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '40.00', currency: 'USD' };

    const first = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(first.status).toBe(503); // not processed, never a 500: the hold it did place is released again
    const calls = await stack.db.query<{ outcome: string }>(
      `SELECT c.outcome FROM payment_adapter.provider_call c JOIN payment_adapter.authorization_hold a ON a.id = c.authorization_id
        WHERE a.idempotency_key = $1 AND c.operation = 'HOLD'`,
      [`local-dev:${key}`], // resources are stored under the key scoped by the API key's name
    );
    expect(calls.map((c) => c.outcome)).not.toContain('SUCCEEDED');
    await stack.db.query(`DELETE FROM payment_adapter.refuse_open WHERE order_id = $1`, [orderId]);

    const retry = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'APPROVED', approvedAmount: '40.00', state: 'OPEN' });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.held).toBe('40.00');
    expect(ledger.holds.filter((h) => h.status === 'OPEN').map((h) => h.holdId)).toEqual([retry.data.providerReference]);
  });
});
