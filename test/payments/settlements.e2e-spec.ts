import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

describe('settlements with advanced holds', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('settle', { CLUTCH_TIMEOUT_MS: '5000' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  async function authorize(balance: string, amount: string) {
    const card = await stack.admin.createCard(balance);
    const response = await stack.oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
    expect(response.status).toBe(201);
    return { card, authorizationId: response.data.authorizationId as string };
  }
  const settle = (body: Record<string, unknown>, key = randomUUID()) => stack.oms.post('/v1/settlements', body, withKey(key));

  it('settles a full shipment at once and closes the authorization', async () => {
    const { card, authorizationId } = await authorize('100.00', '60.00');
    const response = await settle({ authorizationId, amount: '60.00', invoiceId: 'INV-1' });
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({ status: 'SETTLED', settledAmount: '60.00', advancedAuthorization: null });
    expect(response.data.authorization).toMatchObject({ state: 'CLOSED', closedReason: 'SETTLED', settledAmount: '60.00' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '40.00', held: '0.00' });
  });

  it('redeems a partial shipment and holds the remainder again; later settlements follow the chain', async () => {
    const { card, authorizationId } = await authorize('100.00', '60.00');
    const first = await settle({ authorizationId, amount: '25.00', invoiceId: 'INV-1' });
    expect(first.status).toBe(201);
    expect(first.data.authorization).toMatchObject({ authorizationId, state: 'CLOSED', closedReason: 'SUPERSEDED' });
    expect(first.data.advancedAuthorization).toMatchObject({ status: 'APPROVED', state: 'OPEN', approvedAmount: '35.00', previousAuthorizationId: authorizationId });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '75.00', held: '35.00' });

    // The OMS keeps quoting the first authorization.
    const second = await settle({ authorizationId, amount: '10.00', invoiceId: 'INV-2' });
    expect(second.data.advancedAuthorization).toMatchObject({ approvedAmount: '25.00' });
    const last = await settle({ authorizationId, amount: '25.00', invoiceId: 'INV-3', final: true });
    expect(last.data).toMatchObject({ status: 'SETTLED', settledAmount: '25.00', advancedAuthorization: null });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '40.00', held: '0.00' });

    const read = await stack.oms.get(`/v1/authorizations/${authorizationId}`);
    expect(read.data.chain).toHaveLength(3);
    expect(read.data.settlements.map((s: { status: string }) => s.status)).toEqual(['SETTLED', 'SETTLED', 'SETTLED']);
  });

  it('says so when the advanced hold comes back short (the card was spent elsewhere meanwhile)', async () => {
    const { card, authorizationId } = await authorize('100.00', '60.00');
    // Every provider call takes 1 s: the redeem lands at ~1 s, the re-hold at ~2 s. A purchase elsewhere sent
    // at ~0.5 s lands at ~1.5 s, after the redeem released the hold and before the advanced hold is placed.
    await stack.admin.setFaults({ latencyMs: 1000, jitterMs: 0, methods: ['updateBalance'] });
    const settlement = settle({ authorizationId, amount: '25.00', invoiceId: 'INV-1' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const spentElsewhere = await fetch(`${stack.sandbox.url}/merchant/updateBalance`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from('test-key:test-secret').toString('base64')}`,
        Brand: 'test-brand',
        Location: 'store-9',
        Terminal: 'pos-9',
      },
      body: JSON.stringify({ cardNumber: card.cardNumber, action: 'redeem', amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 60 } }),
    });
    expect((await spentElsewhere.json()).success).toBe(true);
    const response = await settlement;
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({ status: 'SETTLED', settledAmount: '25.00' });
    // 100 - 25 redeemed - 60 elsewhere = 15 left for a 35.00 remainder.
    expect(response.data.advancedAuthorization).toMatchObject({ status: 'PARTIALLY_APPROVED', requestedAmount: '35.00', approvedAmount: '15.00', remainingAmount: '20.00', state: 'OPEN' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '15.00', held: '15.00', available: '0.00' });
  });

  it('refuses to settle more than is held (422) and a closed authorization', async () => {
    const { authorizationId } = await authorize('100.00', '20.00');
    const tooMuch = await settle({ authorizationId, amount: '20.01', invoiceId: 'INV-1' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.data.error.code).toBe('AMOUNT_EXCEEDS_HELD');
    await stack.oms.post(`/v1/authorizations/${authorizationId}/reversals`, { amount: '0.00' }, withKey());
    const closed = await settle({ authorizationId, amount: '1.00', invoiceId: 'INV-2' });
    expect(closed.status).toBe(422);
    expect(closed.data.error.code).toBe('AUTHORIZATION_CLOSED');
  });

  it('never redeems more than is held under 10 concurrent settlements', async () => {
    const { card, authorizationId } = await authorize('100.00', '50.00');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => settle({ authorizationId, amount: '8.00', invoiceId: `INV-${i}` })),
    );
    const settled = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 422);
    expect(settled.length + refused.length).toBe(10);
    expect(settled).toHaveLength(6); // 6 x 8.00 = 48.00 of 50.00
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.balance).toBe('52.00');
    expect(ledger.held).toBe('2.00');
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });

  it('replays a settlement for the same key without a second redeem', async () => {
    const { card, authorizationId } = await authorize('100.00', '30.00');
    const key = randomUUID();
    const body = { authorizationId, amount: '10.00', invoiceId: 'INV-1' };
    const [a, b] = await Promise.all([settle(body, key), settle(body, key)]);
    const c = await settle(body, key);
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(b.data.settlementId).toBe(a.data.settlementId);
    expect(c.data.settlementId).toBe(a.data.settlementId);
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '90.00', held: '20.00' });
  });

  it('accepts a batch settlement as OPEN (202) without touching the provider', async () => {
    const { card, authorizationId } = await authorize('100.00', '30.00');
    const response = await settle({ authorizationId, amount: '10.00', invoiceId: 'INV-1', mode: 'batch' });
    expect(response.status).toBe(202);
    expect(response.data).toMatchObject({ status: 'OPEN' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '100.00', held: '30.00' });
  });

  it.each([
    [{ amount: '10.00', invoiceId: 'X' }, 'authorizationId'],
    [{ authorizationId: 'not-a-uuid', amount: '10.00', invoiceId: 'X' }, 'authorizationId'],
    [{ authorizationId: randomUUID(), amount: 10, invoiceId: 'X' }, 'amount'],
    [{ authorizationId: randomUUID(), amount: '1e3', invoiceId: 'X' }, 'amount'],
    [{ authorizationId: randomUUID(), amount: '10.00', invoiceId: 'X', extra: 1 }, 'extra'],
    [{ authorizationId: randomUUID(), amount: '10.00', invoiceId: 'X', mode: 'later' }, 'mode'],
  ])('names the bad field of %j in a 400', async (body, field) => {
    const response = await settle(body as Record<string, unknown>);
    expect(response.status).toBe(400);
    expect(response.data.error.code).toBe('VALIDATION_FAILED');
    expect(response.data.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
  });
});
