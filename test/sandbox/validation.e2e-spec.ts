import { ClutchErrorMessages } from '@gcpa/clutch';
import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, clutchHeaders, sandboxClient, usd } from './sandbox-client';

describe('Clutch sandbox: authentication and malformed calls', () => {
  let database: TestDatabase;
  let sandbox: RunningApp;
  let clutch: SandboxClient;

  beforeAll(async () => {
    database = await createTestDatabase('sandbox_validation');
    sandbox = await startSandbox(database.url);
    clutch = sandboxClient(sandbox.url);
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  const ledgerRows = async () =>
    (await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM clutch_sandbox.ledger_transaction`))[0].n;

  describe('authentication', () => {
    const wrongBasic = `Basic ${Buffer.from('test-key:wrong-secret').toString('base64')}`;
    const cases: Array<[string, Record<string, string | undefined>]> = [
      ['no Authorization header', { Authorization: undefined }],
      ['a wrong secret', { Authorization: wrongBasic }],
      ['a Bearer token', { Authorization: 'Bearer test-key' }],
      ['a wrong Brand', { Brand: 'other-brand' }],
      ['no Brand', { Brand: undefined }],
      ['no Location', { Location: undefined }],
      ['an empty Terminal', { Terminal: '' }],
    ];

    it.each(cases)('refuses a call with %s: HTTP 401, nothing applied', async (_label, headers) => {
      const card = await clutch.createCard({ balance: '10.00' });
      const before = await ledgerRows();
      const response = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(1) }, headers);
      expect(response.status).toBe(401);
      expect(response.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.unauthorized });
      expect(await ledgerRows()).toBe(before);
      expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');
    });

    it('accepts header names in any case', async () => {
      const headers = Object.fromEntries(Object.entries(clutchHeaders()).map(([k, v]) => [k.toLowerCase(), v]));
      const response = await clutch.http.post('/merchant/search', { filters: { cardNumber: '6000000000000001' } }, { headers });
      expect(response.data.success).toBe(true);
    });
  });

  it('answers an unknown method with 404', async () => {
    const response = await clutch.call('refund', {});
    expect(response.status).toBe(404);
    expect(response.data).toEqual({ success: false, errorMessage: 'Invalid request: unknown method refund', requestRef: expect.any(String) });
  });

  describe('malformed bodies: HTTP 400, ledger unchanged', () => {
    let cardNumber: string;
    beforeAll(async () => {
      cardNumber = (await clutch.createCard({ balance: '10.00' })).cardNumber;
    });

    const amount = (value: unknown, balanceCode: unknown = 'USD') => ({ balanceType: 'Currency', balanceCode, amount: value });
    const cases: Array<[string, string, () => unknown, RegExp]> = [
      ['search without filters', 'search', () => ({ returnFields: {} }), /filters must be a JSON object/],
      ['search with a numeric card number', 'search', () => ({ filters: { cardNumber: 6000000000000001 } }), /filters.cardNumber must be a string/],
      ['a body that is an array', 'search', () => [1, 2], /body must be a JSON object/],
      ['updateBalance without cardNumber', 'updateBalance', () => ({ action: 'redeem', amount: usd(1) }), /cardNumber is required/],
      ['an unknown action', 'updateBalance', () => ({ cardNumber, action: 'refund', amount: usd(1) }), /action must be one of/],
      ['no amount', 'updateBalance', () => ({ cardNumber, action: 'redeem' }), /amount is required/],
      ['a string amount', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount('5.00') }), /amount.amount must be a number/],
      ['a negative amount', 'updateBalance', () => ({ cardNumber, action: 'issue', amount: amount(-5) }), /must not be negative/],
      ['too many decimals', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(1.005) }), /more than 2 decimals for USD/],
      ['decimals on JPY', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(1.5, 'JPY') }), /more than 0 decimals for JPY/],
      ['an unknown currency', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(1, 'XYZ') }), /unknown currency "XYZ"/],
      ['a wrong balanceType', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: { balanceType: 'Points', balanceCode: 'USD', amount: 1 } }), /balanceType/],
      ['a zero issue', 'updateBalance', () => ({ cardNumber, action: 'issue', amount: amount(0) }), /greater than 0/],
      ['a non-boolean flag', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: usd(1), redeemMaxOnOverdraw: 'yes' }), /redeemMaxOnOverdraw must be true or false/],
      ['a numeric PIN', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: usd(1), pin: 1234 }), /pin must be a string/],
      ['allocate with both fields', 'allocate', () => ({ cardSetId: 'egift', cardNumber }), /exactly one of cardSetId or cardNumber/],
      ['allocate with nothing', 'allocate', () => ({}), /exactly one of/],
      ['void without transactionId', 'void', () => ({}), /transactionId is required/],
      ['cardHistory with an empty card number', 'cardHistory', () => ({ cardNumber: '' }), /cardNumber must not be empty/],
    ];

    it.each(cases)('%s', async (_label, method, body, message) => {
      const before = await ledgerRows();
      const response = await clutch.call(method, body());
      expect(response.status).toBe(400);
      expect(response.data.success).toBe(false);
      expect(response.data.errorMessage).toMatch(/^Invalid request: /);
      expect(response.data.errorMessage).toMatch(message);
      expect(await ledgerRows()).toBe(before);
      expect((await clutch.card(cardNumber)).balance).toBe('10.00');
    });

    it('refuses invalid JSON and a missing body with 400', async () => {
      const invalid = await clutch.http.post('/merchant/updateBalance', '{"cardNumber": ', { headers: clutchHeaders() });
      expect(invalid.status).toBe(400);
      expect(invalid.data).toMatchObject({ success: false, errorMessage: expect.stringMatching(/^Invalid request: /) });
      const missing = await clutch.http.post('/merchant/updateBalance', undefined, { headers: clutchHeaders({ 'Content-Type': undefined }) });
      expect(missing.status).toBe(400);
      expect(missing.data).toMatchObject({ success: false, errorMessage: expect.stringMatching(/^Invalid request: /) });
      expect((await clutch.card(cardNumber)).balance).toBe('10.00');
    });
  });

  it('leaves a consistent ledger', async () => {
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });
});
