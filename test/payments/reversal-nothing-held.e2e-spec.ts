import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../../apps/clutch-sandbox/src/faults/fault-dice';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** A seed whose first draw lands in [0.5, 1) (drop) and second in [0, 0.5) (error) for error 0.5 + drop 0.5. */
function seedDropThenError(): number {
  for (let seed = 1; ; seed++) {
    const draw = mulberry32(seed);
    if (draw() >= 0.5 && draw() < 0.5) return seed;
  }
}

/**
 * A reversal says "done" only when the provider holds nothing for the authorization, and closes it for good:
 * a hold retried under its key afterwards answers the closed authorization instead of holding for a
 * cancelled order (issue 15, items 5, 6 and the repeated-reversal answer).
 */
describe('reversals: nothing left held, closed for good', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('reversal_held', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  it('answers 503 UNKNOWN while a lost hold could not be released, 200 once it is, and a retried hold answers the closed authorization', async () => {
    const card = await stack.admin.createCard('80.00');
    const orderId = `O-${randomUUID()}`;
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD' };
    // The hold applies and its answer is dropped; the release of the found hold gets a 503.
    await stack.admin.setFaults({ dropRate: 0.5, errorRate: 0.5, methods: ['updateBalance'], seed: seedDropThenError() });
    const lost = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(lost.status).toBe(503);
    const [authorization] = await stack.db.query<{ id: string }>(`SELECT id FROM payment_adapter.authorization_hold WHERE order_id = $1`, [orderId]);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('30.00');

    // The order is cancelled while the provider still refuses the release.
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['updateBalance'] });
    const refused = await stack.oms.post(`/v1/authorizations/${authorization.id}/reversals`, { amount: '0.00' }, withKey());
    expect(refused.status).toBe(503);
    expect(refused.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    expect((await stack.admin.card(card.cardNumber)).held).toBe('30.00');

    await stack.admin.clearFaults();
    const reversed = await stack.oms.post(`/v1/authorizations/${authorization.id}/reversals`, { amount: '0.00' }, withKey());
    expect(reversed.status).toBe(200);
    expect(reversed.data).toMatchObject({ authorizationId: authorization.id, state: 'CLOSED', closedReason: 'REVERSED' });
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');

    // The OMS retries the cancelled order's hold under its key: the closed authorization, nothing held.
    const retried = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(retried.status).toBe(201);
    expect(retried.data).toMatchObject({ authorizationId: authorization.id, state: 'CLOSED', closedReason: 'REVERSED' });
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  it('a repeated reversal of a chain answers its REVERSED link, not the first SUPERSEDED one', async () => {
    const card = await stack.admin.createCard('100.00');
    const held = await stack.oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '50.00', currency: 'USD' }, withKey());
    const first = held.data.authorizationId;
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: first, amount: '10.00', invoiceId: 'INV-1' }, withKey());
    expect(settled.status).toBe(201);
    const advanced = settled.data.advancedAuthorization.authorizationId;
    const once = await stack.oms.post(`/v1/authorizations/${first}/reversals`, { amount: '0.00' }, withKey());
    expect(once.data).toMatchObject({ authorizationId: advanced, closedReason: 'REVERSED' });
    const again = await stack.oms.post(`/v1/authorizations/${first}/reversals`, { amount: '0.00' }, withKey());
    expect(again.status).toBe(200);
    expect(again.data).toMatchObject({ authorizationId: advanced, closedReason: 'REVERSED' });
  });
});
