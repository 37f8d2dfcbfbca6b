import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** Control characters, lone surrogates, bytes that are not UTF-8 and deep nesting: 400s naming the field, never 500s. */
describe('hostile input', () => {
  let stack: Stack;
  let card: { cardNumber: string; pin?: string };
  beforeAll(async () => {
    stack = await startStack('hostile', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
    card = await stack.admin.createCard('100.00', { pin: '1357' });
  });
  afterAll(() => stack?.stop());

  const json = { headers: { 'Content-Type': 'application/json' } };
  const raw = (path: string, text: string | Buffer) =>
    stack.oms.post(path, text, { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }, transformRequest: (d) => d });
  const fieldsOf = (response: { data: { error: { details?: { fields?: Array<{ field: string }> } } } }) =>
    (response.data.error.details?.fields ?? []).map((f) => f.field);
  const hold = (orderId: string) => ({ orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '1.00', currency: 'USD' });
  const nothingMoved = async () => {
    const state = await stack.admin.card(card.cardNumber);
    expect(state.held).toBe('0.00');
    expect(state.balance).toBe('100.00');
  };

  it.each([
    ['NUL', 'ORD\u0000-1'],
    ['a newline', 'ORD\n-1'],
    ['DEL', 'ORD\u007f'],
    ['a C1 control', 'ORD\u0085'],
  ])('refuses %s in orderId', async (_what, orderId) => {
    const response = await stack.oms.post('/v1/authorizations', hold(orderId), withKey());
    expect(response.status).toBe(400);
    expect(response.data.error.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(response)).toEqual(['orderId']);
    await nothingMoved();
  });

  it('refuses a lone surrogate (it would be stored as U+FFFD) and keeps well-formed astral characters', async () => {
    const lone = await raw('/v1/authorizations', JSON.stringify(hold('ORD-X')).replace('ORD-X', 'ORD-\\ud800'));
    expect(lone.status).toBe(400);
    expect(fieldsOf(lone)).toEqual(['orderId']);
    const trailing = await raw('/v1/authorizations', JSON.stringify(hold('ORD-X')).replace('ORD-X', 'ORD-\\udc00x'));
    expect(trailing.status).toBe(400);
    await nothingMoved();
    const pair = await stack.oms.post('/v1/authorizations', hold(`ORD-${randomUUID()}-😀`), withKey());
    expect(pair.status).toBe(201);
    expect(pair.data.orderId).toMatch(/😀$/);
    const reversed = await stack.oms.post(`/v1/authorizations/${pair.data.authorizationId}/reversals`, { amount: '0.00' }, withKey());
    expect(reversed.status).toBe(200);
  });

  it('names every bad field, nested ones by their path', async () => {
    const settle = await stack.oms.post('/v1/settlements', { authorizationId: randomUUID(), amount: '1.00', invoiceId: 'INV\u0000' }, withKey());
    expect(settle.status).toBe(400);
    expect(fieldsOf(settle)).toEqual(['invoiceId']);
    const cards = await stack.oms.post(
      '/v1/balance-inquiries',
      { currency: 'USD', requestedAmount: '5.00', cards: [{ cardNumber: card.cardNumber, pin: card.pin }, { cardNumber: '6000\u00000000000001', pin: '1\u00002' }] },
      json,
    );
    expect(cards.status).toBe(400);
    expect(fieldsOf(cards)).toEqual(['cards.1.cardNumber', 'cards.1.pin']);
    const fulfil = await stack.oms.post('/v1/gift-card-fulfillments', { orderId: 'O', lineId: 'L\u0001', kind: 'ELECTRONIC', amount: '5.00', currency: 'USD' }, withKey());
    expect(fulfil.status).toBe(400);
    expect(fieldsOf(fulfil)).toEqual(['lineId']);
    const refund = await stack.oms.post('/v1/refunds', { orderId: 'O\u0000', cardNumber: card.cardNumber, amount: '1.00', currency: 'USD' }, withKey());
    expect(refund.status).toBe(400);
    expect(fieldsOf(refund)).toEqual(['orderId']);
    await nothingMoved();
  });

  it('refuses NUL and lone surrogates in path and query parameters', async () => {
    const path = await stack.oms.get('/v1/orders/ORD%00-1/payments');
    expect(path.status).toBe(400);
    expect(fieldsOf(path)).toEqual(['orderId']);
    const query = await stack.oms.get('/v1/settlements?orderId=ORD%00-1');
    expect(query.status).toBe(400);
    expect(fieldsOf(query)).toEqual(['orderId']);
    const surrogateQuery = await stack.oms.get('/v1/settlements?orderId=%ED%A0%80');
    expect(surrogateQuery.status).toBe(400);
    expect(fieldsOf(surrogateQuery)).toEqual(['orderId']);
    const surrogatePath = await stack.oms.get('/v1/orders/%ED%A0%80/payments');
    expect(surrogatePath.status).toBe(400);
    const surrogateId = await stack.oms.get('/v1/authorizations/%ED%A0%80');
    expect(surrogateId.status).toBe(400);
  });

  it('refuses a body that is not UTF-8', async () => {
    const text = JSON.stringify(hold('ORD-BYTES'));
    const bytes = Buffer.concat([Buffer.from(text.slice(0, 12)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(12))]);
    const response = await raw('/v1/authorizations', bytes);
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(['body']);
    await nothingMoved();
  });

  it('refuses a body nested 2,000 deep before it reaches the DTOs, and accepts ordinary nesting', async () => {
    const deep = `{"orderId":${'['.repeat(2000)}${']'.repeat(2000)},"cardNumber":"${card.cardNumber}","amount":"1.00","currency":"USD"}`;
    const response = await raw('/v1/authorizations', deep);
    expect(response.status).toBe(400);
    expect(response.data.error.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(response)).toEqual(['body']);
    const deepObject = await raw('/v1/balance-inquiries', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`);
    expect(deepObject.status).toBe(400);
    // Brackets inside strings are not nesting.
    const inString = await raw('/v1/authorizations', JSON.stringify(hold(`ORD-${'['.repeat(60)}`)));
    expect(inString.status).toBe(201);
    await stack.oms.post(`/v1/authorizations/${inString.data.authorizationId}/reversals`, { amount: '0.00' }, withKey());
  });
});
