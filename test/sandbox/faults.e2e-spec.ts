import { ClutchTransportMessages } from '@gcpa/clutch';
import { Logger } from '@nestjs/common';
import { createSandboxApp } from '../../apps/clutch-sandbox/src/bootstrap';
import { RunningApp, SANDBOX_CREDENTIALS, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, UUID, holdEntry, sandboxClient, usd, valueEntry } from './sandbox-client';

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
    expect(response.data).toEqual({ success: false, errorMessage: ClutchTransportMessages.internal, requestRef: expect.stringMatching(UUID) });
    await clutch.clearFaults();
    expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');
  });

  it('rateLimitRate answers 429 and applies nothing', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ rateLimitRate: 1 });
    const response = await redeemOne(card.cardNumber);
    expect(response.status).toBe(429);
    expect(response.data).toEqual({ success: false, errorMessage: ClutchTransportMessages.rateLimited, requestRef: expect.stringMatching(UUID) });
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
    // What a caller can see in Clutch's history: an entry of -1.00, without our reference.
    const history = await clutch.call('cardHistory', { cardNumber: card.cardNumber });
    expect(history.data.transactions[0]).toMatchObject({
      callType: 'UPDATE_BALANCE',
      balanceUpdates: [{ balanceType: 'Currency', balanceCode: 'USD', amount: -1 }],
    });
    expect(history.data.transactions[0].customRequestId).toBeUndefined();
  });

  it('applyThenErrorRate applies and commits the operation, then answers HTTP 500', async () => {
    const card = await clutch.createCard({ balance: '10.00' });
    await clutch.setFaults({ applyThenErrorRate: 1, methods: ['updateBalance'] });
    const response = await redeemOne(card.cardNumber);
    expect(response.status).toBe(500);
    expect(response.data).toEqual({ success: false, errorMessage: ClutchTransportMessages.internal, requestRef: expect.stringMatching(UUID) });
    expect(response.data.transactionId).toBeUndefined();
    // Applied on the ledger: a 5xx on a money call may have been applied.
    const detail = await clutch.card(card.cardNumber);
    expect(detail.balance).toBe('9.00');
    expect(detail.history[0]).toMatchObject({ action: 'redeem', amount: '1.00', customRequestId: 'fault-call' });
    const history = await clutch.call('cardHistory', { cardNumber: card.cardNumber });
    expect(history.status).toBe(200);
    expect(history.data.transactions[0]).toMatchObject({ transactionId: detail.history[0].transactionId, balanceUpdates: [{ amount: -1 }] });

    // A lost hold answer: the hold exists, and search shows its entry (how a client finds out).
    const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(4) });
    expect(hold.status).toBe(500);
    const heldId = (await clutch.card(card.cardNumber)).holds[0].holdId;
    expect((await clutch.search(card.cardNumber)).data.cards[0].balances).toEqual([valueEntry(5), holdEntry(4, heldId)]);
    // A lost release answer: the hold entry is gone.
    const release = await clutch.release(card.cardNumber, heldId);
    expect(release.status).toBe(500);
    expect((await clutch.search(card.cardNumber)).data.cards[0].balances).toEqual([valueEntry(9)]);
    // A refusal is still a refusal: nothing was applied, so nothing is hidden behind a 500.
    const refusal = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(100) });
    expect(refusal.status).toBe(400);
    expect(refusal.data).toMatchObject({ success: false, errorCode: expect.any(Number) });
    await clutch.clearFaults();
    expect((await clutch.card(card.cardNumber)).balance).toBe('9.00');
  });

  it('applyThenErrorRate on allocate: a card was allocated, the answer is a 500', async () => {
    const before = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM clutch_sandbox.card`);
    await clutch.setFaults({ applyThenErrorRate: 1, methods: ['allocate'] });
    const response = await clutch.call('allocate', { cardSetId: 'egift' });
    expect(response.status).toBe(500);
    expect(response.data.cardNumber).toBeUndefined();
    const after = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM clutch_sandbox.card`);
    expect(after[0].n).toBe(before[0].n + 1);
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
      applyThenErrorRate: 0,
      lateRate: 0,
      lateMs: 0,
      seed: 7,
      methods: null,
      hangMs: 30000,
    });
    expect((await clutch.http.get('/_sandbox/faults')).data).toEqual(set);
    const cleared = await clutch.clearFaults();
    expect(cleared.status).toBe(200);
    expect(cleared.data).toMatchObject({ latencyMs: 0, errorRate: 0 });
    for (const bad of [
      { errorRate: 2 },
      { errorRate: 0.6, dropRate: 0.6 },
      { applyThenErrorRate: 0.6, resetRate: 0.6 },
      { applyThenErrorRate: -0.1 },
      { lateRate: 0.6, errorRate: 0.6 },
      { lateMs: -1 },
      { latencyMs: -1 },
      { methods: ['refund'] },
      { methods: ['void'] },
      { seed: 'x' },
    ]) {
      const response = await clutch.http.put('/_sandbox/faults', bad);
      expect(response.status).toBe(400);
      expect(response.data.errorMessage).toMatch(/^Invalid request: /);
    }
    expect((await clutch.http.get('/_sandbox/faults')).data).toMatchObject({ errorRate: 0 });
    expect((await clutch.setFaults({ applyThenErrorRate: 0.5, methods: ['voidTransaction'] }))).toMatchObject({ applyThenErrorRate: 0.5, methods: ['voidTransaction'] });
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
    const applying = await startSandbox(database.url, { SANDBOX_FAULT_APPLY_THEN_ERROR_RATE: '1', SANDBOX_FAULT_METHODS: 'updateBalance' });
    try {
      const applyingClient = sandboxClient(applying.url);
      expect((await applyingClient.http.get('/_sandbox/faults')).data).toMatchObject({ applyThenErrorRate: 1, methods: ['updateBalance'] });
      const card = await applyingClient.createCard({ balance: '3.00' });
      expect((await applyingClient.issue(card.cardNumber, 1)).status).toBe(500);
      expect((await applyingClient.card(card.cardNumber)).balance).toBe('4.00');
    } finally {
      await applying.close();
    }
    await expect(
      createSandboxApp({ ...SANDBOX_CREDENTIALS, DATABASE_URL: database.url, SANDBOX_FAULT_ERROR_RATE: '0.7', SANDBOX_FAULT_DROP_RATE: '0.7' }),
    ).rejects.toThrow(/add up to at most 1/);
    await expect(
      createSandboxApp({ ...SANDBOX_CREDENTIALS, DATABASE_URL: database.url, SANDBOX_FAULT_APPLY_THEN_ERROR_RATE: '0.7', SANDBOX_FAULT_RESET_RATE: '0.7' }),
    ).rejects.toThrow(/add up to at most 1/);
  });
});
