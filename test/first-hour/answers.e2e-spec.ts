import axios from 'axios';
import { omsClient, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** The answers a new user meets in the first hour say what to do, and never send card data back. */
describe('first-hour answers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('first_hour', { PIN_MAX_FAILURES: '2', PIN_LOCKOUT_SECONDS: '120', RATE_LIMIT_PER_CARD_PER_MINUTE: '100' });
  });
  afterAll(() => stack?.stop());

  const holdJson = (cardNumber: string, pin = '1234') =>
    JSON.stringify({ orderId: 'ORD-FH', cardNumber, pin, amount: '10.00', currency: 'USD' });

  it.each([
    ['no Content-Type (curl -d sends a form)', 'application/x-www-form-urlencoded'],
    ['text/plain', 'text/plain'],
    ['none at all', undefined],
  ])('refuses a body sent as %s with 415, naming application/json, without echoing the card', async (_label, contentType) => {
    const card = await stack.admin.createCard('50.00', { pin: '1234' });
    const body = holdJson(card.cardNumber, '1234');
    const headers: Record<string, string> = { Authorization: 'Bearer local-dev-key', 'Idempotency-Key': `fh-${Math.random()}` };
    if (contentType) headers['Content-Type'] = contentType;
    const response = await axios.post(`${stack.adapter.url}/v1/authorizations`, body, {
      headers,
      validateStatus: () => true,
      // axios would add a Content-Type of its own to a string body; send exactly what is given
      transformRequest: [(data, h) => { if (!contentType) delete (h as Record<string, unknown>)['Content-Type']; return data; }],
    });
    expect(response.status).toBe(415);
    expect(response.data.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(response.data.error.message).toContain('Content-Type: application/json');
    const text = JSON.stringify(response.data);
    expect(text).not.toContain(card.cardNumber);
    expect(text).not.toContain('1234');
    // Nothing was held.
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
  });

  it('runs a POST without a body whatever Content-Type the client library added (axios: a form type)', async () => {
    const response = await stack.oms.post('/v1/settlement-runs', undefined, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ claimed: expect.any(Number), backlog: expect.any(Number) });
  });

  it('says that a missing Idempotency-Key is required', async () => {
    const card = await stack.admin.createCard('50.00', { pin: '1234' });
    const response = await stack.oms.post('/v1/authorizations', { orderId: 'ORD-FH', cardNumber: card.cardNumber, pin: '1234', amount: '10.00', currency: 'USD' });
    expect(response.status).toBe(400);
    expect(response.data.error.details.fields).toEqual([
      { field: 'Idempotency-Key', problems: [expect.stringContaining('header Idempotency-Key is required')] },
    ]);
  });

  it('tells an integrator who sent the amount as a JSON number to send a string', async () => {
    const card = await stack.admin.createCard('100.00', { pin: '1234' });
    const response = await stack.oms.post('/v1/authorizations', { orderId: 'ORD-FH', cardNumber: card.cardNumber, pin: '1234', amount: 60, currency: 'USD' }, withKey());
    expect(response.status).toBe(400);
    expect(response.data.error.details.fields).toEqual([
      { field: 'amount', problems: [expect.stringContaining('send a string like "60.00"')] },
    ]);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
  });

  it('answers CARD_LOCKED with a Retry-After header', async () => {
    const card = await stack.admin.createCard('50.00', { pin: '1234' });
    const attempt = (pin: string) =>
      stack.oms.post('/v1/authorizations', { orderId: 'ORD-FH', cardNumber: card.cardNumber, pin, amount: '1.00', currency: 'USD' }, withKey());
    const first = await attempt('0000');
    expect([first.status, first.data.declineReason ?? first.data]).toEqual([201, 'INVALID_PIN']);
    expect((await attempt('0001')).data.declineReason).toBe('INVALID_PIN');
    const locked = await attempt('1234');
    expect(locked.status).toBe(429);
    expect(locked.data.error.code).toBe('CARD_LOCKED');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(100);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(retryAfter).toBe(locked.data.error.details.retryAfterSeconds);
  });

  it('keeps a JSON body that is not valid JSON a 400 without the body in it', async () => {
    const card = await stack.admin.createCard('50.00', { pin: '1234' });
    const response = await omsClient(stack.adapter.url).post('/v1/authorizations', `{"cardNumber":"${card.cardNumber}","pin":"1234",`, {
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'fh-broken' },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.data)).not.toContain(card.cardNumber);
  });
});
