import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Found by the chaos soak: a redeem whose answer was lost was found at the provider (its call marked APPLIED),
 * then the adapter was SIGKILLed before the settlement was recorded. The retry only looked at calls still
 * UNKNOWN (and at SUCCEEDED ones), so it redeemed again from a hold that was gone: the settlement ended FAILED
 * (HOLD_NOT_AVAILABLE) while the provider had redeemed it, money taken and never accounted for.
 *
 * The same gap for a hold found after its answer was lost: nobody revisited it, and the retry held again.
 *
 * The crash is simulated by making the next commit fail: triggers refuse to mark this order's settlement
 * SETTLED, or to record the release of its lost hold, until the test lifts the refusal.
 */
describe('a provider call whose lost answer was found but whose meaning was not recorded', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('found-redeem-commit', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
    await stack.db.query(`CREATE TABLE payment_adapter.refuse_settled (order_id text PRIMARY KEY)`);
    await stack.db.query(`CREATE FUNCTION payment_adapter.refuse_settled() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'SETTLED' AND EXISTS (SELECT 1 FROM payment_adapter.refuse_settled r WHERE r.order_id = NEW.order_id) THEN
          RAISE EXCEPTION 'simulated crash before the settlement committed';
        END IF;
        RETURN NEW;
      END $$`);
    await stack.db.query(`CREATE TRIGGER refuse_settled BEFORE UPDATE ON payment_adapter.settlement
      FOR EACH ROW EXECUTE FUNCTION payment_adapter.refuse_settled()`);
    await stack.db.query(`CREATE FUNCTION payment_adapter.refuse_release() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.operation = 'RELEASE_HOLD' AND EXISTS (SELECT 1 FROM payment_adapter.refuse_settled r WHERE r.order_id = NEW.order_id) THEN
          RAISE EXCEPTION 'simulated crash before the release';
        END IF;
        RETURN NEW;
      END $$`);
    await stack.db.query(`CREATE TRIGGER refuse_release BEFORE INSERT ON payment_adapter.provider_call
      FOR EACH ROW EXECUTE FUNCTION payment_adapter.refuse_release()`);
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  it('is recorded SETTLED on the retry from the found redeem, without redeeming again', async () => {
    const card = await stack.admin.createCard('50.00');
    const orderId = `O-${randomUUID()}`;
    const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD' }, withKey());
    expect(hold.data.status).toBe('APPROVED');

    await stack.db.query(`INSERT INTO payment_adapter.refuse_settled (order_id) VALUES ($1)`, [orderId]);
    // The redeem is applied and committed at the provider, its answer dropped: the adapter finds it by look-up.
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance'] });
    const key = randomUUID();
    const body = { authorizationId: hold.data.authorizationId, amount: '12.00', invoiceId: 'INV-1', final: true };
    const crashed = await stack.oms.post('/v1/settlements', body, withKey(key));
    expect(crashed.status).toBeGreaterThanOrEqual(500); // the "crash": nothing after the look-up committed
    await stack.admin.clearFaults();
    await stack.db.query(`DELETE FROM payment_adapter.refuse_settled WHERE order_id = $1`, [orderId]);

    const retry = await stack.oms.post('/v1/settlements', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'SETTLED', settledAmount: '12.00' });
    const ledger = await stack.admin.card(card.cardNumber);
    const redeems = ledger.history.filter((t) => t.action === 'redeem' && t.amount !== '0.00');
    expect(redeems.map((t) => t.amount)).toEqual(['12.00']);
    expect(ledger).toMatchObject({ balance: '38.00', held: '0.00' });
  });

  it('a hold found after its answer was lost is owned by the authorization on the retry, never held twice', async () => {
    const card = await stack.admin.createCard('50.00');
    const orderId = `O-${randomUUID()}`;
    await stack.db.query(`INSERT INTO payment_adapter.refuse_settled (order_id) VALUES ($1)`, [orderId]);
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance'] });
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '40.00', currency: 'USD' };
    const crashed = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(crashed.status).toBeGreaterThanOrEqual(500);
    await stack.admin.clearFaults();
    await stack.db.query(`DELETE FROM payment_adapter.refuse_settled WHERE order_id = $1`, [orderId]);

    const retry = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'APPROVED', approvedAmount: '40.00', state: 'OPEN' });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.held).toBe('40.00');
    expect(ledger.holds.filter((h) => h.status === 'OPEN').map((h) => h.holdId)).toEqual([retry.data.providerReference]);
  });
});
