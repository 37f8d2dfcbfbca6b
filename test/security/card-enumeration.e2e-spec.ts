import { randomUUID } from 'node:crypto';
import { omsClient, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

describe('card enumeration defences', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('enum', {
      RATE_LIMIT_PER_CARD_PER_MINUTE: '3',
      RATE_LIMIT_PER_KEY_PER_MINUTE: '12',
      PIN_MAX_FAILURES: '3',
      PIN_LOCKOUT_SECONDS: '60',
      API_KEYS: 'oms:oms-key,other:other-key,csr:csr-key:read',
    });
  });
  afterAll(() => stack?.stop());

  const hold = (key: string, cardNumber: string, pin?: string) =>
    omsClient(stack.adapter.url, key).post('/v1/authorizations', { orderId: 'O-1', cardNumber, pin, amount: '1.00', currency: 'USD' }, withKey());

  it('limits holds per card with 429 and Retry-After', async () => {
    const card = await stack.admin.createCard('50.00');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await hold('oms-key', card.cardNumber, card.pin)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await hold('oms-key', card.cardNumber, card.pin);
    expect(limited.status).toBe(429);
    expect(limited.data.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The refused attempts held nothing.
    expect((await stack.admin.card(card.cardNumber)).held).toBe('3.00');
  });

  it('limits each API key on its own', async () => {
    const cards = await Promise.all(Array.from({ length: 14 }, () => stack.admin.createCard('5.00')));
    const statuses = [];
    for (const card of cards.slice(0, 13)) statuses.push((await hold('other-key', card.cardNumber, card.pin)).status);
    expect(statuses.slice(0, 12).every((s) => s === 201)).toBe(true);
    expect(statuses[12]).toBe(429);
    expect((await hold('oms-key', cards[13].cardNumber, cards[13].pin)).status).toBe(201);
  });

  it('locks a card after repeated wrong PINs, even with the right PIN', async () => {
    const card = await stack.admin.createCard('50.00', { pin: '1234' });
    const api = omsClient(stack.adapter.url, 'oms-key');
    const attempt = (pin: string) =>
      api.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin, amount: '1.00', currency: 'USD' }, withKey());
    // The per-card rate limit is 3 a minute here, so the lockout shows on the third wrong PIN's follow-up.
    expect((await attempt('0000')).data.declineReason).toBe('INVALID_PIN');
    expect((await attempt('0001')).data.declineReason).toBe('INVALID_PIN');
    expect((await attempt('0002')).data.declineReason).toBe('INVALID_PIN');
    const locked = await attempt('1234');
    expect(locked.status).toBe(429);
    expect(['CARD_LOCKED', 'RATE_LIMITED']).toContain(locked.data.error.code);
    const rows = await stack.db.query<{ locked: boolean }>(`SELECT locked_until > now() AS locked FROM payment_adapter.card_lockout`);
    expect(rows.some((r) => r.locked)).toBe(true);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
  });

  it('refuses money movement to a read-only key (403) and anything to a wrong key (401)', async () => {
    const card = await stack.admin.createCard('5.00');
    const readOnly = await hold('csr-key', card.cardNumber, card.pin);
    expect(readOnly.status).toBe(403);
    expect(readOnly.data.error.code).toBe('FORBIDDEN');
    expect((await hold('not-a-key', card.cardNumber, card.pin)).status).toBe(401);
    expect((await omsClient(stack.adapter.url, 'local-dev-key').get(`/v1/authorizations/${randomUUID()}`)).status).toBe(401);
    expect((await omsClient(stack.adapter.url, 'csr-key').get(`/v1/authorizations/${randomUUID()}`)).status).toBe(404);
  });
});

describe('card enumeration defences on balance inquiries', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('enumbal', { RATE_LIMIT_PER_CARD_PER_MINUTE: '100', PIN_MAX_FAILURES: '2', API_KEYS: 'csr:csr-key:read' });
  });
  afterAll(() => stack?.stop());

  it('lets a read-only key check a balance, and locks the card after wrong PINs', async () => {
    const card = await stack.admin.createCard('50.00', { pin: '1234' });
    const csr = omsClient(stack.adapter.url, 'csr-key');
    const check = (pin: string) => csr.post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin, currency: 'USD' });
    expect((await check('1234')).status).toBe(200);
    expect((await check('0000')).data.error.code).toBe('INVALID_PIN');
    expect((await check('0001')).data.error.code).toBe('INVALID_PIN');
    const locked = await check('1234');
    expect(locked.status).toBe(429);
    expect(locked.data.error.code).toBe('CARD_LOCKED');
  });
});
