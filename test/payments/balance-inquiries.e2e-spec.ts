import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

describe('balance inquiries', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('balance');
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  const inquire = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    stack.oms.post('/v1/balance-inquiries', body, { headers });

  it('applies the balance to the requested amount', async () => {
    const card = await stack.admin.createCard('100.00', { pin: '1234' });
    const response = await inquire({ cardNumber: card.cardNumber, pin: '1234', currency: 'USD', requestedAmount: '60.00' });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      cardLast4: card.cardNumber.slice(-4),
      currency: 'USD',
      availableBalance: '100.00',
      applicableAmount: '60.00',
      remainingAmount: '0.00',
    });
  });

  it('says what is left for another tender when the card is short', async () => {
    const card = await stack.admin.createCard('25.00');
    const response = await inquire({ cardNumber: card.cardNumber, pin: card.pin, currency: 'USD', requestedAmount: '60.00' });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ availableBalance: '25.00', applicableAmount: '25.00', remainingAmount: '35.00' });
  });

  it('applies the whole available balance without a requested amount', async () => {
    const card = await stack.admin.createCard('42.50');
    const response = await inquire({ cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ availableBalance: '42.50', applicableAmount: '42.50', remainingAmount: '0.00' });
  });

  it('counts held funds as unavailable', async () => {
    const card = await stack.admin.createCard('50.00');
    const hold = await stack.oms.post('/v1/authorizations', { orderId: 'O-B1', cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const response = await inquire({ cardNumber: card.cardNumber, pin: card.pin, currency: 'USD', requestedAmount: '30.00' });
    expect(response.data).toMatchObject({ availableBalance: '20.00', applicableAmount: '20.00', remainingAmount: '10.00' });
  });

  it('accepts an Idempotency-Key and replays the first answer with it', async () => {
    const card = await stack.admin.createCard('10.00');
    const key = withKey().headers;
    const first = await inquire({ cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' }, key);
    expect(first.status).toBe(200);
    const again = await inquire({ cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' }, key);
    expect(again.status).toBe(200);
    expect(again.data).toEqual(first.data);
  });

  it('declines a wrong PIN with 422 INVALID_PIN', async () => {
    const card = await stack.admin.createCard('100.00', { pin: '1234' });
    const response = await inquire({ cardNumber: card.cardNumber, pin: '9999', currency: 'USD' });
    expect(response.status).toBe(422);
    expect(response.data.error.code).toBe('INVALID_PIN');
  });

  it('declines an unknown card with 422 CARD_NOT_FOUND', async () => {
    const response = await inquire({ cardNumber: '6999999999999990', pin: '1234', currency: 'USD' });
    expect(response.status).toBe(422);
    expect(response.data.error.code).toBe('CARD_NOT_FOUND');
  });

  it('declines an inactive card and a card in another currency', async () => {
    const inactive = await stack.admin.createCard('10.00', { active: false });
    const a = await inquire({ cardNumber: inactive.cardNumber, pin: inactive.pin, currency: 'USD' });
    expect(a.status).toBe(422);
    expect(a.data.error.code).toBe('CARD_INACTIVE');

    const euros = await stack.admin.createCard('10.00', { currency: 'EUR' });
    const b = await inquire({ cardNumber: euros.cardNumber, pin: euros.pin, currency: 'USD' });
    expect(b.status).toBe(422);
    expect(b.data.error.code).toBe('CURRENCY_MISMATCH');
  });

  it('answers 503 when the provider is unavailable', async () => {
    const card = await stack.admin.createCard('10.00');
    await stack.admin.setFaults({ errorRate: 1, methods: ['search'] });
    const response = await inquire({ cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' });
    expect(response.status).toBe(503);
    expect(response.data.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { outcome: 'NOT_APPLIED', retryable: true } });
  });

  it.each([
    [{ currency: 'USD' }, ['cardNumber']],
    [{ cardNumber: '12ab', currency: 'USD', requestedAmount: 'ten' }, ['cardNumber', 'pin', 'requestedAmount']],
    [{ cardNumber: 'CARD', currency: 'USD', requestedAmount: '1e3' }, ['requestedAmount']],
    [{ cardNumber: 'CARD', currency: 'USD', requestedAmount: 12.5 }, ['requestedAmount']],
    [{ cardNumber: 'CARD', currency: 'USD', requestedAmount: '1.0' }, ['requestedAmount']],
    [{ cardNumber: 'CARD', currency: 'JPY', requestedAmount: '1.5' }, ['requestedAmount']],
    [{ cardNumber: 'CARD', currency: 'XYZ', requestedAmount: '1.00' }, ['currency']],
    [{ cardNumber: 'CARD', currency: 'USD', pin: 12 }, ['pin']],
    [{ cardNumber: 'CARD', currency: 'USD', extra: true }, ['extra']],
  ])('names every bad field of %j in a 400', async (template, fields) => {
    const card = await stack.admin.createCard('10.00');
    const before = await stack.admin.card(card.cardNumber);
    // 'CARD' stands for a real card, so that a request that got through would be visible at the provider.
    const body = { ...template, ...('cardNumber' in template && template.cardNumber === 'CARD' ? { cardNumber: card.cardNumber, pin: 'pin' in template ? template.pin : card.pin } : {}) };
    const response = await inquire(body);
    expect(response.status).toBe(400);
    expect(response.data.error.code).toBe('VALIDATION_FAILED');
    const named = response.data.error.details.fields.map((f: { field: string }) => f.field);
    expect(named.sort()).toEqual([...fields].sort());
    expect(await stack.admin.card(card.cardNumber)).toEqual(before);
  });

  it('answers 401 without an API key', async () => {
    const response = await stack.oms.post('/v1/balance-inquiries', { cardNumber: '6000000000000001', currency: 'USD' }, { headers: { Authorization: '' } });
    expect(response.status).toBe(401);
  });
});
