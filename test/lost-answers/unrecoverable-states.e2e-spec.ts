import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 15, item 11: a request that cannot record what the provider answered (the database failed after the
 * call, a duplicate insert after a takeover) answers 503 with `outcome: UNKNOWN`, never 500, so the OMS retries
 * with its key; the recovery sweep completes the work from the call left PENDING, and the retry answers it.
 *
 * "The database failed after the provider answered" is a trigger that refuses every write of the outcome of
 * this test's calls of one operation (the call stays PENDING, as when the connection is gone), until lifted.
 */
const unitOfWork = process.env.UNIT_OF_WORK !== 'false';

describe('unrecoverable states answer 503 UNKNOWN and the sweep completes them', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('unrecoverable', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false', UNIT_OF_WORK: String(unitOfWork) });
    await stack.db.query(`CREATE TABLE payment_adapter.refuse_outcome (order_id text, operation text)`);
    await stack.db.query(`CREATE FUNCTION payment_adapter.refuse_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.outcome = 'PENDING' AND NEW.outcome <> 'PENDING' AND EXISTS (
             SELECT 1 FROM payment_adapter.refuse_outcome r WHERE r.order_id = NEW.order_id AND r.operation = NEW.operation) THEN
          RAISE EXCEPTION 'simulated database failure after the provider answered';
        END IF;
        RETURN NEW;
      END $$`);
    await stack.db.query(`CREATE TRIGGER refuse_outcome BEFORE UPDATE ON payment_adapter.provider_call
      FOR EACH ROW EXECUTE FUNCTION payment_adapter.refuse_outcome()`);
    // A takeover's race: this test's authorization inserts wait, so two requests with one key both insert.
    await stack.db.query(`CREATE TABLE payment_adapter.slow_insert (order_id text)`);
    await stack.db.query(`CREATE FUNCTION payment_adapter.slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM payment_adapter.slow_insert s WHERE s.order_id = NEW.order_id) THEN PERFORM pg_sleep(1.5); END IF;
        RETURN NEW;
      END $$`);
    await stack.db.query(`CREATE TRIGGER slow_insert BEFORE INSERT ON payment_adapter.authorization_hold
      FOR EACH ROW EXECUTE FUNCTION payment_adapter.slow_insert()`);
  }, 60000);
  afterAll(() => stack?.stop());

  const refuse = (orderId: string, operation: string) =>
    stack.db.query(`INSERT INTO payment_adapter.refuse_outcome (order_id, operation) VALUES ($1, $2)`, [orderId, operation]);
  const lift = (orderId: string) => stack.db.query(`DELETE FROM payment_adapter.refuse_outcome WHERE order_id = $1`, [orderId]);
  const calls = (orderId: string, operation: string) =>
    stack.db.query<{ id: string; outcome: string }>(
      `SELECT id, outcome FROM payment_adapter.provider_call WHERE order_id = $1 AND operation = $2 ORDER BY created_at`,
      [orderId, operation],
    );

  function expectUnknown(response: { status: number; data: { error?: { code: string; details?: Record<string, unknown> } } }) {
    expect(response.status).toBe(503);
    expect(response.data.error).toMatchObject({ code: 'PROVIDER_OUTCOME_UNKNOWN', details: { outcome: 'UNKNOWN', retryable: true } });
  }

  /** Sweeps until no call of the order is PENDING or UNKNOWN (a PENDING call is due after 3 x the 1 s grace). */
  async function sweepUntilResolved(orderId: string, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = await stack.db.query(
        `SELECT id FROM payment_adapter.provider_call WHERE order_id = $1 AND outcome IN ('PENDING', 'UNKNOWN')`,
        [orderId],
      );
      if (open.length === 0) return;
      if (Date.now() > deadline) throw new Error(`not resolved: ${JSON.stringify(await stack.db.query(`SELECT operation, outcome FROM payment_adapter.provider_call WHERE order_id = $1`, [orderId]))}`);
      expect((await stack.oms.post('/v1/recovery-runs')).status).toBe(200);
      await sleep(500);
    }
  }

  async function authorize(balance: string, amount: string) {
    const card = await stack.admin.createCard(balance);
    const orderId = `O-${randomUUID()}`;
    const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    return { card, orderId, authorizationId: hold.data.authorizationId as string };
  }

  it('a hold whose answer could not be recorded: 503 UNKNOWN; the sweep adopts it and the retry answers it', async () => {
    const card = await stack.admin.createCard('100.00');
    const orderId = `O-${randomUUID()}`;
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD' };
    await refuse(orderId, 'HOLD');
    const failed = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expectUnknown(failed);
    expect((await calls(orderId, 'HOLD')).map((c) => c.outcome)).toEqual(['PENDING']);
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '30.00' }); // applied at the provider
    await lift(orderId);

    await sweepUntilResolved(orderId);
    const retry = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'APPROVED', approvedAmount: '30.00', heldAmount: '30.00' });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.holds.filter((h) => h.status === 'OPEN')).toEqual([expect.objectContaining({ holdId: retry.data.providerReference, amount: '30.00' })]);
    expect(ledger).toMatchObject({ balance: '100.00', held: '30.00' });
  });

  it('a sync settlement whose redeem could not be recorded: 503 UNKNOWN; the sweep settles it once', async () => {
    const { card, orderId, authorizationId } = await authorize('100.00', '50.00');
    const key = randomUUID();
    const body = { authorizationId, amount: '20.00', invoiceId: 'INV-1', final: false };
    await refuse(orderId, 'REDEEM_FROM_HOLD');
    const failed = await stack.oms.post('/v1/settlements', body, withKey(key));
    expectUnknown(failed);
    expect((await calls(orderId, 'REDEEM_FROM_HOLD')).map((c) => c.outcome)).toEqual(['PENDING']);
    await lift(orderId);

    await sweepUntilResolved(orderId);
    const [settlement] = await stack.db.query<{ status: string }>(`SELECT status FROM payment_adapter.settlement WHERE order_id = $1`, [orderId]);
    expect(settlement.status).toBe('SETTLED');
    const retry = await stack.oms.post('/v1/settlements', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'SETTLED', settledAmount: '20.00', advancedAuthorization: { approvedAmount: '30.00' } });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.history.filter((t) => t.action === 'redeem' && t.amount !== '0.00').map((t) => t.amount)).toEqual(['20.00']);
    expect(ledger).toMatchObject({ balance: '80.00', held: '30.00' });
  });

  it('a reversal whose release could not be recorded: 503 UNKNOWN; the sweep closes the authorization', async () => {
    const { card, orderId, authorizationId } = await authorize('100.00', '40.00');
    const key = randomUUID();
    await refuse(orderId, 'RELEASE_HOLD');
    const failed = await stack.oms.post(`/v1/authorizations/${authorizationId}/reversals`, { amount: '0.00' }, withKey(key));
    expectUnknown(failed);
    await lift(orderId);

    await sweepUntilResolved(orderId);
    const retry = await stack.oms.post(`/v1/authorizations/${authorizationId}/reversals`, { amount: '0.00' }, withKey(key));
    expect(retry.status).toBe(200);
    expect(retry.data).toMatchObject({ state: 'CLOSED', closedReason: 'REVERSED', heldAmount: '0.00' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '100.00', held: '0.00' });
    expect(await calls(orderId, 'RELEASE_HOLD')).toHaveLength(1);
  });

  it('a refund whose issue could not be recorded: 503 UNKNOWN; the sweep completes it and the retry answers it', async () => {
    const { card, orderId, authorizationId } = await authorize('100.00', '40.00');
    const settled = await stack.oms.post('/v1/settlements', { authorizationId, amount: '40.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    const key = randomUUID();
    const body = { orderId, settlementId: settled.data.settlementId, amount: '15.00', currency: 'USD' };
    await refuse(orderId, 'ISSUE');
    const failed = await stack.oms.post('/v1/refunds', body, withKey(key));
    expectUnknown(failed);
    expect((await calls(orderId, 'ISSUE')).map((c) => c.outcome)).toEqual(['PENDING']);
    await lift(orderId);

    await sweepUntilResolved(orderId);
    const retry = await stack.oms.post('/v1/refunds', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'SUCCEEDED', refundedAmount: '15.00' });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.history.filter((t) => t.action === 'issue' && t.isReturnRelated).map((t) => t.amount)).toEqual(['15.00']);
    expect(ledger).toMatchObject({ balance: '75.00', held: '0.00' });
  });

  it('a duplicate insert after a takeover of the key: 503 UNKNOWN; the retry answers the one authorization', async () => {
    const card = await stack.admin.createCard('100.00');
    const orderId = `O-${randomUUID()}`;
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '25.00', currency: 'USD' };
    await stack.db.query(`INSERT INTO payment_adapter.slow_insert (order_id) VALUES ($1)`, [orderId]);
    const first = stack.oms.post('/v1/authorizations', body, withKey(key));
    // The first request is inserting its authorization; its key's lease runs out, and a retry takes the key over.
    for (let i = 0; ; i++) {
      const taken = await stack.db.query(
        `UPDATE payment_adapter.idempotency_key SET locked_until = now() - interval '1 second' WHERE key = $1 AND status = 'IN_PROGRESS' RETURNING key`,
        [key],
      );
      if (taken.length > 0) break;
      if (i > 200) throw new Error('the first request never took its key');
      await sleep(10);
    }
    const takeover = await stack.oms.post('/v1/authorizations', body, withKey(key));
    const answered = await first;
    expect(answered.status).toBe(201);
    if (unitOfWork) {
      // The key's row commits with the authorization's insert (one unit of work): a takeover sees the key only
      // once the authorization is there, so it never inserts a second one; it waits for the chain and answers it.
      expect(takeover.status).toBe(201);
      expect(takeover.data.authorizationId).toBe(answered.data.authorizationId);
    } else {
      expectUnknown(takeover);
    }
    await stack.db.query(`DELETE FROM payment_adapter.slow_insert WHERE order_id = $1`, [orderId]);

    const retry = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data.authorizationId).toBe(answered.data.authorizationId);
    const rows = await stack.db.query(`SELECT id FROM payment_adapter.authorization_hold WHERE order_id = $1`, [orderId]);
    expect(rows).toHaveLength(1);
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '25.00' });
  });
});
