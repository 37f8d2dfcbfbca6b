import { CLUTCH_ERRORS, ClutchRefusal } from '@gcpa/clutch';
import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, holdEntry, sandboxClient, usd, valueEntry } from './sandbox-client';

const DEFAULT_CODES = Object.fromEntries(Object.entries(CLUTCH_ERRORS).map(([reason, row]) => [reason, row.code])) as Record<ClutchRefusal, number>;
const DEFAULT_BEHAVIOUR = { overBalanceHold: 'refuse', holdTtlSeconds: null, errorCodes: DEFAULT_CODES, allocateIdempotent: false, voidHolds: false };

describe('Clutch sandbox: admin API', () => {
  let database: TestDatabase;
  let sandbox: RunningApp;
  let clutch: SandboxClient;

  beforeAll(async () => {
    database = await createTestDatabase('sandbox_admin');
    sandbox = await startSandbox(database.url);
    clutch = sandboxClient(sandbox.url);
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  it('seeds the demo cards at start, once', async () => {
    const response = await clutch.http.get('/_sandbox/cards?demo=true');
    expect(response.status).toBe(200);
    expect(response.data.cards).toEqual([
      { cardNumber: '6000000000000001', pin: '1234', currency: 'USD', balance: '100.00', active: true },
      { cardNumber: '6000000000000002', pin: '5678', currency: 'USD', balance: '25.00', active: true },
      { cardNumber: '6000000000000003', pin: '4321', currency: 'USD', balance: '0.00', active: false },
    ]);
    // A second sandbox on the same database does not seed them again.
    const second = await startSandbox(database.url);
    await second.close();
    const rows = await database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM clutch_sandbox.ledger_transaction WHERE card_number = '6000000000000001'`,
    );
    expect(rows[0].n).toBe(1);
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  it('activates the physical demo card and loads it', async () => {
    const activated = await clutch.call('allocate', { cardNumber: '6000000000000003' });
    expect(activated.data.success).toBe(true);
    const issue = await clutch.call('updateBalance', { cardNumber: '6000000000000003', action: 'issue', amount: usd(15) });
    expect(issue.data.success).toBe(true);
    expect(await clutch.card('6000000000000003')).toMatchObject({ active: true, balance: '15.00' });
    expect((await clutch.search('6000000000000003', { pin: '4321', includeInactive: false })).data.cards).toEqual([
      { cardNumber: '6000000000000003', cardSetId: 'egift', activationDate: expect.any(String), balances: [valueEntry(15)] },
    ]);
  });

  it('creates a card and shows its balance, holds and history with amounts as strings', async () => {
    const created = await clutch.http.post('/_sandbox/cards', { balance: '42.00', currency: 'USD', pin: '0042' });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({
      cardNumber: expect.stringMatching(/^6\d{15}$/),
      pin: '0042',
      currency: 'USD',
      balance: '42.00',
      active: true,
    });
    const cardNumber = created.data.cardNumber;
    const hold = await clutch.call('updateBalance', { cardNumber, action: 'hold', amount: usd(10.5) }, { customRequestId: 'admin-hold' });
    expect(await clutch.balances(cardNumber)).toEqual([valueEntry(31.5), holdEntry(10.5, hold.data.transactionId)]);
    const detail = await clutch.card(cardNumber);
    expect(detail).toMatchObject({
      cardNumber,
      currency: 'USD',
      balance: '42.00',
      held: '10.50',
      available: '31.50',
      active: true,
      pin: '0042',
      holds: [{ holdId: hold.data.transactionId, amount: '10.50', originalAmount: '10.50', status: 'OPEN' }],
    });
    // The admin view keeps what Clutch's history does not show: our customRequestId.
    expect(detail.history.map((t) => [t.action, t.amount, t.customRequestId])).toEqual([
      ['hold', '10.50', 'admin-hold'],
      ['issue', '42.00', null],
    ]);
  });

  it('creates cards with a chosen number, currency, set and state', async () => {
    const jpy = await clutch.http.post('/_sandbox/cards', { balance: '5000', currency: 'JPY', cardNumber: '6123456789012345', active: false });
    expect(jpy.status).toBe(201);
    expect(jpy.data).toMatchObject({ cardNumber: '6123456789012345', currency: 'JPY', balance: '5000', active: false, pin: null });
    const taken = await clutch.http.post('/_sandbox/cards', { balance: '1.00', cardNumber: '6123456789012345' });
    expect(taken.status).toBe(409);

    const set = await clutch.http.post('/_sandbox/card-sets', { id: 'gbp-nopin', hasPin: false, currency: 'GBP' });
    expect(set.status).toBe(201);
    expect(set.data).toEqual({ id: 'gbp-nopin', hasPin: false, currency: 'GBP' });
    expect((await clutch.http.post('/_sandbox/card-sets', { id: 'gbp-nopin', hasPin: false, currency: 'GBP' })).status).toBe(200);
    expect((await clutch.http.post('/_sandbox/card-sets', { id: 'gbp-nopin', hasPin: true, currency: 'GBP' })).status).toBe(409);
    const gbp = await clutch.http.post('/_sandbox/cards', { balance: '3.5', cardSetId: 'gbp-nopin' });
    expect(gbp.data).toMatchObject({ currency: 'GBP', balance: '3.50' });
  });

  it('refuses bad admin input with 400 and unknown cards with 404', async () => {
    for (const body of [
      { balance: '-1.00' },
      { balance: '1.001' },
      { balance: 'ten' },
      { currency: 'XYZ' },
      { pin: '12' },
      { active: 'yes' },
      { cardNumber: 'abc' },
    ]) {
      const response = await clutch.http.post('/_sandbox/cards', body);
      expect(response.status).toBe(400);
      expect(response.data.errorMessage).toMatch(/^Invalid request: /);
    }
    expect((await clutch.http.post('/_sandbox/cards', { cardSetId: 'nope' })).status).toBe(404);
    const unknown = await clutch.http.get('/_sandbox/cards/6999999999999999');
    expect(unknown.status).toBe(404);
    expect(unknown.data).toMatchObject({ success: false });
  });

  describe('behaviour', () => {
    afterEach(async () => {
      await clutch.resetBehaviour();
    });

    it('shows the defaults: the conservative readings of what Clutch has not shown', async () => {
      const response = await clutch.http.get('/_sandbox/behaviour');
      expect(response.status).toBe(200);
      expect(response.data).toEqual(DEFAULT_BEHAVIOUR);
      expect(response.data.errorCodes).toMatchObject({ invalidPin: 10, noCardNumber: 6, insufficientFunds: 903 });
    });

    it('replaces the behaviour with PUT (what is left out takes its default) and resets it with DELETE', async () => {
      const set = await clutch.setBehaviour({ overBalanceHold: 'holdShort', holdTtlSeconds: 30, errorCodes: { insufficientFunds: 51 }, voidHolds: true });
      expect(set).toEqual({
        overBalanceHold: 'holdShort',
        holdTtlSeconds: 30,
        errorCodes: { ...DEFAULT_CODES, insufficientFunds: 51 },
        allocateIdempotent: false,
        voidHolds: true,
      });
      expect((await clutch.http.get('/_sandbox/behaviour')).data).toEqual(set);
      const replaced = await clutch.setBehaviour({ allocateIdempotent: true });
      expect(replaced).toEqual({ ...DEFAULT_BEHAVIOUR, allocateIdempotent: true });
      const reset = await clutch.resetBehaviour();
      expect(reset.status).toBe(200);
      expect(reset.data).toEqual(DEFAULT_BEHAVIOUR);
      expect((await clutch.http.get('/_sandbox/behaviour')).data).toEqual(DEFAULT_BEHAVIOUR);
    });

    it.each([
      [[]],
      ['holdShort'],
      [{ overBalanceHold: 'partial' }],
      [{ holdTtlSeconds: 0 }],
      [{ holdTtlSeconds: 1.5 }],
      [{ holdTtlSeconds: '30' }],
      [{ allocateIdempotent: 'yes' }],
      [{ voidHolds: 1 }],
      [{ errorCodes: [] }],
      [{ errorCodes: { notARefusal: 1 } }],
      [{ errorCodes: { insufficientFunds: -1 } }],
      [{ errorCodes: { insufficientFunds: 1.5 } }],
      [{ holdTtl: 30 }],
    ])('refuses %j with 400 and keeps the behaviour', async (body) => {
      await clutch.setBehaviour({ voidHolds: true });
      const response = await clutch.http.put('/_sandbox/behaviour', body, { headers: { 'Content-Type': 'application/json' } });
      expect(response.status).toBe(400);
      expect(response.data).toMatchObject({ success: false, errorMessage: expect.stringMatching(/^Invalid request: /) });
      expect((await clutch.http.get('/_sandbox/behaviour')).data).toEqual({ ...DEFAULT_BEHAVIOUR, voidHolds: true });
    });
  });

  it('needs no Clutch credentials', async () => {
    expect((await clutch.http.get('/_sandbox/cards')).status).toBe(200);
    expect((await clutch.http.get('/_sandbox/ledger/check')).status).toBe(200);
    expect((await clutch.http.get('/_sandbox/behaviour')).status).toBe(200);
  });

  describe('ledger check', () => {
    it('reports a balance that its history does not explain', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
      await database.query(`UPDATE clutch_sandbox.card SET balance_minor = balance_minor + 500 WHERE card_number = $1`, [card.cardNumber]);
      const check = await clutch.ledgerCheck();
      expect(check.ok).toBe(false);
      expect(check.problems).toEqual([
        { problem: 'balance-differs-from-history', cardNumber: card.cardNumber, detail: 'balance 1500 but the history adds up to 1000' },
      ]);
      await database.query(`UPDATE clutch_sandbox.card SET balance_minor = balance_minor - 500 WHERE card_number = $1`, [card.cardNumber]);
      expect((await clutch.ledgerCheck()).ok).toBe(true);
    });

    it('reports holds beyond the balance and a hold closed twice', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(8) });
      await database.query(`UPDATE clutch_sandbox.hold SET amount_minor = 1200, original_amount_minor = 1200 WHERE id = $1`, [hold.data.transactionId]);
      const release = {
        cardNumber: card.cardNumber,
        action: 'redeem',
        amount: usd(0),
        redeemFromHoldTransactionId: hold.data.transactionId,
        releaseHoldRemainder: true,
      };
      let check = await clutch.ledgerCheck();
      expect(check.problems).toContainEqual(expect.objectContaining({ problem: 'held-exceeds-balance', cardNumber: card.cardNumber }));
      await clutch.call('updateBalance', release);
      await database.query(`UPDATE clutch_sandbox.hold SET status = 'OPEN' WHERE id = $1`, [hold.data.transactionId]);
      await clutch.call('updateBalance', release);
      check = await clutch.ledgerCheck();
      expect(check.problems).toContainEqual(expect.objectContaining({ problem: 'hold-closed-more-than-once', holdId: hold.data.transactionId }));
    });
  });
});

describe('Clutch sandbox: behaviour from the environment', () => {
  let database: TestDatabase;
  let sandbox: RunningApp;

  beforeAll(async () => {
    database = await createTestDatabase('sandbox_behaviour_env');
    sandbox = await startSandbox(database.url, { SANDBOX_HOLD_TTL_SECONDS: '1', SANDBOX_OVER_BALANCE_HOLD: 'holdShort' });
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  it('starts with SANDBOX_HOLD_TTL_SECONDS and SANDBOX_OVER_BALANCE_HOLD, and DELETE goes back to them', async () => {
    const clutch = sandboxClient(sandbox.url);
    expect((await clutch.http.get('/_sandbox/behaviour')).data).toEqual({ ...DEFAULT_BEHAVIOUR, overBalanceHold: 'holdShort', holdTtlSeconds: 1 });
    const card = await clutch.createCard({ balance: '5.00' });
    const hold = await clutch.hold(card.cardNumber, 8);
    expect(hold.data).toMatchObject({ success: true, didOverdraw: true });
    expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(0), holdEntry(5, hold.data.transactionId)]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(5)]);

    await clutch.setBehaviour({ voidHolds: true });
    expect((await clutch.http.get('/_sandbox/behaviour')).data).toMatchObject({ overBalanceHold: 'holdShort', holdTtlSeconds: 1, voidHolds: true });
    expect((await clutch.resetBehaviour()).data).toEqual({ ...DEFAULT_BEHAVIOUR, overBalanceHold: 'holdShort', holdTtlSeconds: 1 });
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });
});

describe('Clutch sandbox: routes outside Clutch and the admin API', () => {
  let database: TestDatabase;
  let sandbox: RunningApp;

  beforeAll(async () => {
    database = await createTestDatabase('sandbox_routes');
    sandbox = await startSandbox(database.url, { SANDBOX_SEED_DEMO: 'false' });
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  it('keeps the health answer and a plain 404 for unknown paths, and seeds nothing when told not to', async () => {
    const clutch = sandboxClient(sandbox.url);
    const health = await clutch.http.get('/health');
    expect(health.status).toBe(200);
    expect(health.data).toMatchObject({ status: 'ok' });
    const unknown = await clutch.http.get('/nowhere');
    expect(unknown.status).toBe(404);
    expect((await clutch.http.get('/_sandbox/cards?demo=true')).data).toEqual({ cards: [] });
  });
});
