import axios from 'axios';
import http from 'node:http';
import { randomInt, randomUUID } from 'node:crypto';
import { RunningApp, startAdapter } from '../harness/apps';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** A client of the adapter from its own loopback address (all of 127/8 is this machine), so each test has a fresh one. */
const fromAddress = (baseUrl: string, apiKey: string, address = `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(2, 255)}`) =>
  axios.create({
    baseURL: baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
    httpAgent: new http.Agent({ localAddress: address }),
    validateStatus: () => true,
  });

const UNKNOWN = () => `6999${String(randomInt(0, 1e9)).padStart(12, '0')}`;

describe('failed look-ups: their own velocity limit per API key and per client address (in memory)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('failed_lookups', {
      RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE: '3',
      RATE_LIMIT_PER_CARD_PER_MINUTE: '100',
      PIN_MAX_FAILURES: '100',
      API_KEYS: 'oms:oms-key,other:other-key,third:third-key,replay:replay-key',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());

  const hold = (client: ReturnType<typeof fromAddress>, cardNumber: string, pin = '1234') =>
    client.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber, pin, amount: '1.00', currency: 'USD' }, withKey());

  it('refuses a key after its failed look-ups with 429 and Retry-After, even for a real card, and holds nothing', async () => {
    const address = `127.0.${randomInt(1, 255)}.${randomInt(2, 255)}`;
    const oms = fromAddress(stack.adapter.url, 'oms-key', address);
    const card = await stack.admin.createCard('20.00');
    expect((await hold(oms, card.cardNumber, card.pin)).data.status).toBe('APPROVED'); // successes do not count
    for (let i = 0; i < 3; i++) expect((await hold(oms, UNKNOWN())).data).toMatchObject({ status: 'DECLINED', declineReason: 'CARD_NOT_FOUND' });
    const refused = await hold(oms, card.cardNumber, card.pin);
    expect(refused.status).toBe(429);
    expect(refused.data.error).toMatchObject({ code: 'RATE_LIMITED', details: { reason: 'FAILED_LOOKUPS' } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('1.00');
    const balance = await oms.post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' });
    expect(balance.status).toBe(429);

    // Another key from another address is not concerned; the same address is, whatever the key.
    const other = fromAddress(stack.adapter.url, 'other-key');
    expect((await hold(other, card.cardNumber, card.pin)).status).toBe(201);
    expect((await hold(fromAddress(stack.adapter.url, 'other-key', address), card.cardNumber, card.pin)).status).toBe(429);
  });

  it('counts wrong PINs on balance checks, per client address across keys', async () => {
    const address = `127.1.${randomInt(1, 255)}.${randomInt(2, 255)}`;
    const card = await stack.admin.createCard('20.00', { pin: '2468' });
    const check = (key: string, pin: string) =>
      fromAddress(stack.adapter.url, key, address).post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin, currency: 'USD' });
    expect((await check('third-key', '2468')).status).toBe(200);
    expect((await check('third-key', '0000')).data.error.code).toBe('INVALID_PIN');
    expect((await check('third-key', '0001')).data.error.code).toBe('INVALID_PIN');
    expect((await check('other-key', '0002')).data.error.code).toBe('INVALID_PIN');
    const refused = await check('other-key', '2468');
    expect(refused.status).toBe(429);
    expect(refused.data.error.details.reason).toBe('FAILED_LOOKUPS');
  });

  it('does not count a replay of a failed look-up again', async () => {
    const client = fromAddress(stack.adapter.url, 'replay-key');
    const body = { orderId: 'O-REPLAY', cardNumber: UNKNOWN(), pin: '1234', amount: '1.00', currency: 'USD' };
    const key = randomUUID();
    expect((await client.post('/v1/authorizations', body, withKey(key))).data.declineReason).toBe('CARD_NOT_FOUND');
    for (let i = 0; i < 3; i++) expect((await client.post('/v1/authorizations', body, withKey(key))).data.declineReason).toBe('CARD_NOT_FOUND');
    expect((await hold(client, UNKNOWN())).data.declineReason).toBe('CARD_NOT_FOUND');
    expect((await hold(client, UNKNOWN())).data.declineReason).toBe('CARD_NOT_FOUND');
    expect((await hold(client, UNKNOWN())).status).toBe(429);
  });
});

describe('failed look-ups and rate limits counted in Redis (REDIS_URL), shared by every instance', () => {
  let stack: Stack;
  let second: RunningApp;
  const name = `oms${randomUUID().slice(0, 8)}`;
  const env = {
    REDIS_URL: 'redis://127.0.0.1:6379',
    RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE: '2',
    RATE_LIMIT_PER_KEY_PER_MINUTE: '6',
    RATE_LIMIT_PER_CARD_PER_MINUTE: '100',
    API_KEYS: `${name}:${name}-key`,
    RECOVERY_ENABLED: 'false',
    SETTLEMENT_JOB_ENABLED: 'false',
  };
  beforeAll(async () => {
    stack = await startStack('failed_lookups_redis', env);
    second = await startAdapter(stack.db.url, stack.sandbox.url, { UNKNOWN_OUTCOME_GRACE_MS: '1000', ...env });
  });
  afterAll(async () => {
    await second?.close();
    await stack?.stop();
  });

  it('refuses on one instance what the other counted', async () => {
    const card = await stack.admin.createCard('20.00');
    const one = fromAddress(stack.adapter.url, `${name}-key`);
    const two = fromAddress(second.url, `${name}-key`);
    const lookUp = (client: typeof one, cardNumber: string, pin: string) => client.post('/v1/balance-inquiries', { cardNumber, pin, currency: 'USD' });
    expect((await lookUp(one, UNKNOWN(), '1234')).data.error.code).toBe('CARD_NOT_FOUND');
    expect((await lookUp(two, UNKNOWN(), '1234')).data.error.code).toBe('CARD_NOT_FOUND');
    const refused = await lookUp(one, card.cardNumber, card.pin);
    expect(refused.status).toBe(429);
    expect(refused.data.error.details.reason).toBe('FAILED_LOOKUPS');
    expect((await lookUp(two, card.cardNumber, card.pin)).status).toBe(429);
  });

  it('shares the per-key rate limit between instances', async () => {
    const keyName = `k${randomUUID().slice(0, 8)}`;
    const app = await startAdapter(stack.db.url, stack.sandbox.url, { ...env, API_KEYS: `${keyName}:${keyName}-key`, RATE_LIMIT_PER_KEY_PER_MINUTE: '4' });
    const app2 = await startAdapter(stack.db.url, stack.sandbox.url, { ...env, API_KEYS: `${keyName}:${keyName}-key`, RATE_LIMIT_PER_KEY_PER_MINUTE: '4' });
    try {
      const card = await stack.admin.createCard('50.00');
      const statuses: number[] = [];
      for (const url of [app.url, app2.url, app.url, app2.url, app.url]) {
        const response = await fromAddress(url, `${keyName}-key`).post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await app.close();
      await app2.close();
    }
  });
});

describe('the per-card rate limit without a card number', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('no_card_bucket', { RATE_LIMIT_PER_CARD_PER_MINUTE: '2', RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  it('puts requests without a card number in no shared bucket', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await stack.oms.post('/v1/balance-inquiries', { currency: 'USD' })).status);
    expect(statuses).toEqual([400, 400, 400, 400]);
    // Cards are still limited one by one.
    const card = await stack.admin.createCard('10.00');
    const check = () => stack.oms.post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' });
    expect([(await check()).status, (await check()).status, (await check()).status]).toEqual([200, 200, 429]);
  });
});

describe('rate-limit counters when Redis cannot be reached', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Port 1 refuses connections: every counter command fails.
    stack = await startStack('counters_down', { REDIS_URL: 'redis://127.0.0.1:1', RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  it('answers 503 (not processed), never a 500, and moves nothing', async () => {
    const card = await stack.admin.createCard('10.00');
    const balance = await stack.oms.post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' });
    expect(balance.status).toBe(503);
    expect(balance.data.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { outcome: 'NOT_APPLIED', retryable: true } });
    const hold = await stack.oms.post('/v1/authorizations', { orderId: 'O-DOWN', cardNumber: card.cardNumber, pin: card.pin, amount: '1.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(503);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
    // Routes without shared counters are not concerned.
    expect((await stack.oms.get(`/v1/authorizations/${randomUUID()}`)).status).toBe(404);
  });
});

describe('the client address behind a trusted proxy (TRUST_PROXY)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('trust_proxy', {
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE: '2',
      API_KEYS: 'a:a-key,b:b-key,c:c-key,d:d-key',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());

  const lookUp = (apiKey: string, forwardedFor: string, cardNumber: string, pin: string) =>
    axios.post(`${stack.adapter.url}/v1/balance-inquiries`, { cardNumber, pin, currency: 'USD' }, {
      headers: { Authorization: `Bearer ${apiKey}`, 'X-Forwarded-For': forwardedFor },
      validateStatus: () => true,
    });

  it('counts failed look-ups per forwarded client, so one client behind the proxy cannot block the others', async () => {
    const card = await stack.admin.createCard('10.00');
    expect((await lookUp('a-key', '10.0.0.1', UNKNOWN(), '1234')).data.error.code).toBe('CARD_NOT_FOUND');
    expect((await lookUp('b-key', '10.0.0.1', UNKNOWN(), '1234')).data.error.code).toBe('CARD_NOT_FOUND');
    expect((await lookUp('c-key', '10.0.0.1', card.cardNumber, card.pin)).status).toBe(429);
    expect((await lookUp('d-key', '10.0.0.2', card.cardNumber, card.pin)).status).toBe(200);
  });
});

describe('X-Forwarded-For from a client that is not a trusted proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('untrusted_proxy', {
      RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE: '2',
      API_KEYS: 'a:a-key,b:b-key,c:c-key',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());

  it('is ignored: a caller cannot escape the per-address count by inventing addresses', async () => {
    const card = await stack.admin.createCard('10.00');
    const client = (apiKey: string, forwardedFor: string) =>
      fromAddress(stack.adapter.url, apiKey, '127.0.0.9').post('/v1/balance-inquiries', { cardNumber: UNKNOWN(), pin: '1234', currency: 'USD' }, { headers: { 'X-Forwarded-For': forwardedFor } });
    expect((await client('a-key', '10.0.0.1')).data.error.code).toBe('CARD_NOT_FOUND');
    expect((await client('b-key', '10.0.0.2')).data.error.code).toBe('CARD_NOT_FOUND');
    const third = await fromAddress(stack.adapter.url, 'c-key', '127.0.0.9').post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' }, { headers: { 'X-Forwarded-For': '10.0.0.3' } });
    expect(third.status).toBe(429);
  });
});
