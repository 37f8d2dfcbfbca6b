import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

describe('authorizations (holds) and reversals', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('auth');
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  const hold = (body: Record<string, unknown>, key = randomUUID()) => stack.oms.post('/v1/authorizations', body, withKey(key));

  it('approves a hold in full and reserves it at the provider', async () => {
    const card = await stack.admin.createCard('100.00', { pin: '1234' });
    const response = await hold({ orderId: 'O-1', cardNumber: card.cardNumber, pin: '1234', amount: '60.00', currency: 'USD' });
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({ status: 'APPROVED', state: 'OPEN', requestedAmount: '60.00', approvedAmount: '60.00', remainingAmount: '0.00', cardLast4: card.cardNumber.slice(-4) });
    expect(JSON.stringify(response.data)).not.toContain(card.cardNumber);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger).toMatchObject({ balance: '100.00', held: '60.00', available: '40.00' });
  });

  it('approves partially when the card is short, and declines without partial approval', async () => {
    const card = await stack.admin.createCard('30.00');
    const partial = await hold({ orderId: 'O-2', cardNumber: card.cardNumber, pin: card.pin, amount: '50.00', currency: 'USD' });
    expect(partial.status).toBe(201);
    expect(partial.data).toMatchObject({ status: 'PARTIALLY_APPROVED', approvedAmount: '30.00', remainingAmount: '20.00' });

    const other = await stack.admin.createCard('30.00');
    const declined = await hold({ orderId: 'O-3', cardNumber: other.cardNumber, pin: other.pin, amount: '50.00', currency: 'USD', allowPartial: false });
    expect(declined.status).toBe(201);
    expect(declined.data).toMatchObject({ status: 'DECLINED', state: 'CLOSED', declineReason: 'INSUFFICIENT_FUNDS', approvedAmount: '0.00' });
    expect(await stack.admin.card(other.cardNumber)).toMatchObject({ held: '0.00', available: '30.00' });
  });

  it('declines a wrong PIN and an unknown card without holding anything', async () => {
    const card = await stack.admin.createCard('30.00', { pin: '1111' });
    const wrongPin = await hold({ orderId: 'O-4', cardNumber: card.cardNumber, pin: '2222', amount: '5.00', currency: 'USD' });
    expect(wrongPin.data).toMatchObject({ status: 'DECLINED', declineReason: 'INVALID_PIN' });
    const unknown = await hold({ orderId: 'O-4', cardNumber: '6999999999999999', pin: '1234', amount: '5.00', currency: 'USD' });
    expect(unknown.data).toMatchObject({ status: 'DECLINED', declineReason: 'CARD_NOT_FOUND' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '0.00' });
  });

  it('replays the first answer for the same key and body, and refuses the same key with another body', async () => {
    const card = await stack.admin.createCard('100.00');
    const key = randomUUID();
    const body = { orderId: 'O-5', cardNumber: card.cardNumber, pin: card.pin, amount: '10.00', currency: 'USD' };
    const first = await hold(body, key);
    const replay = await hold(body, key);
    expect(replay.status).toBe(201);
    expect(replay.data).toEqual(first.data);
    const conflict = await hold({ ...body, amount: '11.00' }, key);
    expect(conflict.status).toBe(409);
    expect(conflict.data.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '10.00' });
  });

  it('makes one provider hold for 20 concurrent duplicates', async () => {
    const card = await stack.admin.createCard('100.00');
    const key = randomUUID();
    const body = { orderId: 'O-6', cardNumber: card.cardNumber, pin: card.pin, amount: '7.00', currency: 'USD' };
    const responses = await Promise.all(Array.from({ length: 20 }, () => hold(body, key)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(responses.map((r) => r.data.authorizationId)).size).toBe(1);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.held).toBe('7.00');
    expect(ledger.holds.filter((h) => h.status === 'OPEN')).toHaveLength(1);
  });

  it('reverses a hold (amount 0), twice without harm, and refuses a non-zero reversal', async () => {
    const card = await stack.admin.createCard('50.00');
    const created = await hold({ orderId: 'O-7', cardNumber: card.cardNumber, pin: card.pin, amount: '20.00', currency: 'USD' });
    const id = created.data.authorizationId;
    const nonZero = await stack.oms.post(`/v1/authorizations/${id}/reversals`, { amount: '1.00' }, withKey());
    expect(nonZero.status).toBe(422);
    expect(nonZero.data.error.code).toBe('REVERSAL_AMOUNT_NOT_ZERO');

    const reversed = await stack.oms.post(`/v1/authorizations/${id}/reversals`, { amount: '0.00' }, withKey());
    expect(reversed.status).toBe(200);
    expect(reversed.data).toMatchObject({ state: 'CLOSED', closedReason: 'REVERSED', heldAmount: '0.00' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '0.00', balance: '50.00' });

    const again = await stack.oms.post(`/v1/authorizations/${id}/reversals`, { amount: '0.00' }, withKey());
    expect(again.status).toBe(200);
    expect(again.data).toMatchObject({ state: 'CLOSED', closedReason: 'REVERSED' });
  });

  it('leaves nothing held when the provider applies a hold and drops the answer', async () => {
    const card = await stack.admin.createCard('80.00');
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance'], seed: 1 });
    const response = await hold({ orderId: 'O-8', cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD' });
    await stack.admin.clearFaults();
    expect(response.status).toBe(503);
    expect(response.data.error.details.outcome).toBe('UNKNOWN');
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger).toMatchObject({ held: '0.00', balance: '80.00' });
    expect(ledger.holds.some((h) => h.status === 'OPEN')).toBe(false);
  });

  it('answers 401 without a key and 404 for an unknown authorization', async () => {
    const anonymous = await stack.oms.get(`/v1/authorizations/${randomUUID()}`, { headers: { Authorization: '' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.data.error.code).toBe('UNAUTHORIZED');
    const missing = await stack.oms.get(`/v1/authorizations/${randomUUID()}`);
    expect(missing.status).toBe(404);
  });
});
