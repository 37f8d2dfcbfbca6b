import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

const fieldsOf = (response: { data: { error: { details?: { fields?: Array<{ field: string }> } } } }) =>
  (response.data.error.details?.fields ?? []).map((f) => f.field);

describe('PIN_POLICY=required (the default)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('pin_required', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  it('refuses a hold without a PIN with a 400 naming pin, and holds nothing', async () => {
    const card = await stack.admin.createCard('50.00', { pin: '2468' });
    const response = await stack.oms.post('/v1/authorizations', { orderId: 'ORD-NOPIN', cardNumber: card.cardNumber, amount: '10.00', currency: 'USD' }, withKey());
    expect(response.status).toBe(400);
    expect(response.data.error.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(response)).toEqual(['pin']);
    const nullPin = await stack.oms.post('/v1/authorizations', { orderId: 'ORD-NOPIN', cardNumber: card.cardNumber, pin: null, amount: '10.00', currency: 'USD' }, withKey());
    expect(fieldsOf(nullPin)).toEqual(['pin']);
    // A card without a PIN at the provider is no exception: the OMS must send one.
    const pinless = await stack.admin.createCard('50.00', { pin: null });
    expect((await stack.oms.post('/v1/authorizations', { orderId: 'ORD-NOPIN', cardNumber: pinless.cardNumber, amount: '10.00', currency: 'USD' }, withKey())).status).toBe(400);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
    expect((await stack.admin.card(card.cardNumber)).history.filter((h) => h.action !== 'issue')).toEqual([]);
    expect((await stack.admin.card(pinless.cardNumber)).held).toBe('0.00');
  });

  it('names the missing PIN together with every other bad field', async () => {
    const response = await stack.oms.post('/v1/authorizations', { orderId: 'ORD-NOPIN', cardNumber: '6000000000000001', amount: '1.5', currency: 'USD' }, withKey());
    expect(response.status).toBe(400);
    expect(fieldsOf(response).sort()).toEqual(['amount', 'pin']);
  });

  it('refuses a balance check without a PIN', async () => {
    const card = await stack.admin.createCard('50.00', { pin: '2468' });
    const response = await stack.oms.post('/v1/balance-inquiries', { cardNumber: card.cardNumber, currency: 'USD' });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(['pin']);
    const withPin = await stack.oms.post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin: '2468', currency: 'USD' });
    expect(withPin.status).toBe(200);
    expect(withPin.data.availableBalance).toBe('50.00');
  });

  it('places the advanced hold of a partial settlement itself, without a PIN', async () => {
    const card = await stack.admin.createCard('80.00', { pin: '1357' });
    const hold = await stack.oms.post('/v1/authorizations', { orderId: `ORD-${randomUUID()}`, cardNumber: card.cardNumber, pin: '1357', amount: '60.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount: '25.00', invoiceId: 'INV-1' }, withKey());
    expect(settled.status).toBe(201);
    expect(settled.data.advancedAuthorization).toMatchObject({ status: 'APPROVED', approvedAmount: '35.00' });
    const state = await stack.admin.card(card.cardNumber);
    expect(state).toMatchObject({ balance: '55.00', held: '35.00' });
  });
});

describe('PIN_POLICY=optional', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('pin_optional', { PIN_POLICY: 'optional', RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  it('leaves the PIN to the provider', async () => {
    const pinless = await stack.admin.createCard('50.00', { pin: null });
    const hold = await stack.oms.post('/v1/authorizations', { orderId: 'ORD-OPT', cardNumber: pinless.cardNumber, amount: '10.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    expect(hold.data.status).toBe('APPROVED');
    const balance = await stack.oms.post('/v1/balance-inquiries', { cardNumber: pinless.cardNumber, currency: 'USD' });
    expect(balance.status).toBe(200);
    expect(balance.data.availableBalance).toBe('40.00');
  });
});
