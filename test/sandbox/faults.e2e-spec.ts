import { ClutchErrorMessages } from '@gcpa/clutch';
import { Logger } from '@nestjs/common';
import { createSandboxApp } from '../../apps/clutch-sandbox/src/bootstrap';
import { RunningApp, SANDBOX_CREDENTIALS, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, sandboxClient, usd } from './sandbox-client';

describe('Clutch sandbox: fault injection', () => {
  let database: TestDatabase;
  let sandbox: RunningApp;
  let clutch: SandboxClient;
  let loggedErrors: jest.SpyInstance;

  beforeAll(async () => {
    database = await createTestDatabase('sandbox_faults');
    sandbox = await startSandbox(database.url);
    clutch = sandboxClient(sandbox.url);
  });

  beforeEach(() => {
    loggedErrors = jest.spyOn(Logger.prototype, 'error');
  });

  afterEach(async () => {
    await clutch.clearFaults();
    // A fault is never a crash: nothing logged as an error, and the ledger stays consistent.
    expect(loggedErrors).not.toHaveBeenCalled();
    loggedErrors.mockRestore();
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  const redeemOne = (cardNumber: string, config = {}) =>
    clutch.call('updateBalance', { cardNumber, action: 'redeem', amount: usd(1) }, { customRequestId: 'fault-call' }, config);

  const transportError = async (call: Promise<unknown>): Promise<{ code?: string; message: string }> => {
    try {
      await call;
    } catch (error) {
      return error as { code?: string; message: string };
    }
    throw new Error('expected the call to fail without an HTTP answer');
  };

  it('errorRate answers 503 and applies nothing', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ errorRate: 1 });
    const response = await redeemOne(card.cardNumber);
    expect(response.status).toBe(503);
    expect(response.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.internal });
    await clutch.clearFaults();
    expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');
  });

  it('rateLimitRate answers 429 and applies nothing', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ rateLimitRate: 1 });
    const response = await redeemOne(card.cardNumber);
    expect(response.status).toBe(429);
    expect(response.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.rateLimited });
    await clutch.clearFaults();
    expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');
  });

  it('timeoutRate never answers and applies nothing', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ timeoutRate: 1, hangMs: 5000 });
    const clientTimeout = await transportError(redeemOne(card.cardNumber, { timeout: 300 }));
    expect(clientTimeout.code).toBe('ECONNABORTED');
    // Without a client timeout the sandbox drops the connection after hangMs.
    await clutch.setFaults({ timeoutRate: 1, hangMs: 200 });
    const started = Date.now();
    const dropped = await transportError(redeemOne(card.cardNumber));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(dropped.code).toBe('ECONNRESET');
    await clutch.clearFaults();
    const detail = await clutch.card(card.cardNumber);
    expect(detail.balance).toBe('10.00');
    expect(detail.history.filter((t) => t.customRequestId === 'fault-call')).toHaveLength(0);
  });

  it('dropRate applies and commits the operation, then drops the connection', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ dropRate: 1 });
    const error = await transportError(redeemOne(card.cardNumber));
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toMatch(/socket hang up/);
    await clutch.clearFaults();
    const detail = await clutch.card(card.cardNumber);
    expect(detail.balance).toBe('9.00');
    expect(detail.history[0]).toMatchObject({ action: 'redeem', amount: '1.00', customRequestId: 'fault-call' });
    // The caller recovers the outcome from the card's history.
    const history = await clutch.call('cardHistory', { cardNumber: card.cardNumber });
    expect(history.data.transactions[0]).toMatchObject({ customRequestId: 'fault-call', action: 'redeem' });
  });

  it('resetRate destroys the connection at once and applies nothing', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ resetRate: 1 });
    const error = await transportError(redeemOne(card.cardNumber));
    expect(error.code).toBe('ECONNRESET');
    await clutch.clearFaults();
    expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');
  });

  it('latency delays the answer by at least latencyMs', async () => {
    await clutch.setFaults({ latencyMs: 250, jitterMs: 50 });
    const started = Date.now();
    const response = await clutch.call('search', { filters: { cardNumber: '6000000000000001' } });
    expect(response.data.success).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('draws the same faults in the same order for the same seed', async () => {
    const card = await clutch.createCard({ balance: '100.00' });
    const run = async () => {
      await clutch.setFaults({ errorRate: 0.3, rateLimitRate: 0.3, seed: 1234 });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) {
        statuses.push((await clutch.call('search', { filters: { cardNumber: card.cardNumber } })).status);
      }
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 429, 503]));
    await clutch.setFaults({ errorRate: 0.3, rateLimitRate: 0.3, seed: 99 });
    const other: number[] = [];
    for (let i = 0; i < 24; i++) other.push((await clutch.call('search', { filters: { cardNumber: card.cardNumber } })).status);
    expect(other).not.toEqual(first);
  });

  it('limits faults to the methods named, and never touches /_sandbox or /health', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ errorRate: 1, methods: ['updateBalance'] });
    expect((await clutch.call('search', { filters: { cardNumber: card.cardNumber } })).status).toBe(200);
    expect((await redeemOne(card.cardNumber)).status).toBe(503);
    await clutch.setFaults({ errorRate: 1 });
    expect((await clutch.http.get(`/_sandbox/cards/${card.cardNumber}`)).status).toBe(200);
    expect((await clutch.http.get('/health')).status).toBe(200);
  });

  it('shows, replaces and clears the settings; refuses bad ones', async () => {
    const set = await clutch.setFaults({ latencyMs: 10, errorRate: 0.25, seed: 7 });
    expect(set).toEqual({
      latencyMs: 10,
      jitterMs: 0,
      errorRate: 0.25,
      rateLimitRate: 0,
      timeoutRate: 0,
      dropRate: 0,
      resetRate: 0,
      seed: 7,
      methods: null,
      hangMs: 30000,
    });
    expect((await clutch.http.get('/_sandbox/faults')).data).toEqual(set);
    const cleared = await clutch.clearFaults();
    expect(cleared.status).toBe(200);
    expect(cleared.data).toMatchObject({ latencyMs: 0, errorRate: 0 });
    for (const bad of [{ errorRate: 2 }, { errorRate: 0.6, dropRate: 0.6 }, { latencyMs: -1 }, { methods: ['refund'] }, { seed: 'x' }]) {
      const response = await clutch.http.put('/_sandbox/faults', bad);
      expect(response.status).toBe(400);
      expect(response.data.errorMessage).toMatch(/^Invalid request: /);
    }
    expect((await clutch.http.get('/_sandbox/faults')).data).toMatchObject({ errorRate: 0 });
  });

  it('takes its faults from the environment at start, and refuses bad ones', async () => {
    const faulty = await startSandbox(database.url, { SANDBOX_FAULT_RATE_LIMIT_RATE: '1', SANDBOX_FAULT_SEED: '5', SANDBOX_FAULT_METHODS: 'search' });
    try {
      const faultyClient = sandboxClient(faulty.url);
      expect((await faultyClient.call('search', { filters: { cardNumber: '6000000000000001' } })).status).toBe(429);
      expect((await faultyClient.http.get('/_sandbox/faults')).data).toMatchObject({ rateLimitRate: 1, seed: 5, methods: ['search'] });
    } finally {
      await faulty.close();
    }
    await expect(
      createSandboxApp({ ...SANDBOX_CREDENTIALS, DATABASE_URL: database.url, SANDBOX_FAULT_ERROR_RATE: '0.7', SANDBOX_FAULT_DROP_RATE: '0.7' }),
    ).rejects.toThrow(/add up to at most 1/);
  });
});
