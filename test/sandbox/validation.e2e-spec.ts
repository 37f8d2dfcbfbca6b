import { CLUTCH_ERRORS, ClutchTransportMessages } from '@gcpa/clutch';
import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, UUID, clutchHeaders, invalid, refused, sandboxClient, usd } from './sandbox-client';

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
      expect(response.data).toEqual({ success: false, errorMessage: ClutchTransportMessages.unauthorized, requestRef: expect.stringMatching(UUID) });
      expect(await ledgerRows()).toBe(before);
      expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');
    });

    it('accepts header names in any case', async () => {
      const headers = Object.fromEntries(Object.entries(clutchHeaders()).map(([k, v]) => [k.toLowerCase(), v]));
      const response = await clutch.http.post('/merchant/search', { filters: { cardNumber: '6000000000000001' } }, { headers });
      expect(response.data.success).toBe(true);
      expect(response.data.cards).toHaveLength(1);
      const upper = Object.fromEntries(Object.entries(clutchHeaders()).map(([k, v]) => [k.toUpperCase(), v]));
      expect((await clutch.http.post('/merchant/search', { filters: { cardNumber: '6000000000000001' } }, { headers: upper })).data.success).toBe(true);
    });

    it('refuses every method without credentials', async () => {
      for (const method of ['search', 'updateBalance', 'allocate', 'cardHistory', 'voidTransaction']) {
        const response = await clutch.call(method, {}, { Authorization: undefined });
        expect(response.status).toBe(401);
        expect(response.data).toMatchObject({ success: false, errorMessage: ClutchTransportMessages.unauthorized });
      }
    });
  });

  it('answers an unknown method with 404, `void` included (the method is voidTransaction)', async () => {
    for (const method of ['refund', 'void']) {
      const response = await clutch.call(method, {});
      expect(response.status).toBe(404);
      expect(response.data).toEqual({ success: false, errorMessage: `Invalid request: unknown method ${method}`, requestRef: expect.stringMatching(UUID) });
    }
  });

  it('does not offer requestLookup, listRequests nor reactivate (their bodies are not public)', async () => {
    for (const method of ['requestLookup', 'listRequests', 'reactivate']) {
      const response = await clutch.call(method, { cardNumber: '6000000000000001' });
      expect(response.status).toBe(404);
      expect(response.data).toMatchObject({ success: false, errorMessage: `Invalid request: unknown method ${method}` });
    }
  });

  it('gives every answer its own requestRef (a UUID)', async () => {
    const refs = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await clutch.call('search', { filters: { cardNumber: '6000000000000001' } });
      expect(response.data).toMatchObject({ success: true, requestRef: expect.stringMatching(UUID) });
      refs.add(response.data.requestRef);
      const refusal = await clutch.call('search', { filters: {} });
      expect(refusal.data.requestRef).toMatch(UUID);
      refs.add(refusal.data.requestRef);
    }
    expect(refs.size).toBe(10);
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
      ['search with returnFields not an object', 'search', () => ({ filters: { cardNumber }, returnFields: 'balances' }), /returnFields must be a JSON object/],
      ['search with a non-boolean includeInactive', 'search', () => ({ filters: { cardNumber }, includeInactive: 'yes' }), /includeInactive must be true or false/],
      ['a body that is an array', 'search', () => [1, 2], /body must be a JSON object/],
      ['an unknown action', 'updateBalance', () => ({ cardNumber, action: 'refund', amount: usd(1) }), /action must be one of hold, redeem, issue/],
      ['no action', 'updateBalance', () => ({ cardNumber, amount: usd(1) }), /action must be one of/],
      ['no amount', 'updateBalance', () => ({ cardNumber, action: 'redeem' }), /amount is required/],
      ['a string amount', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount('5.00') }), /amount.amount must be a number/],
      ['a negative amount', 'updateBalance', () => ({ cardNumber, action: 'issue', amount: amount(-5) }), /must not be negative/],
      ['too many decimals', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(1.005) }), /more than 2 decimals for USD/],
      ['decimals on JPY', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(1.5, 'JPY') }), /more than 0 decimals for JPY/],
      ['an unknown currency', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(1, 'XYZ') }), /unknown currency "XYZ"/],
      ['a wrong balanceType', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: { balanceType: 'Points', balanceCode: 'USD', amount: 1 } }), /balanceType/],
      ['a zero issue', 'updateBalance', () => ({ cardNumber, action: 'issue', amount: amount(0) }), /greater than 0/],
      ['a zero hold', 'updateBalance', () => ({ cardNumber, action: 'hold', amount: amount(0) }), /greater than 0/],
      ['a zero plain redeem', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(0), releaseHoldRemainder: true }), /greater than 0/],
      ['an empty hold id', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: amount(0), redeemFromHoldTransactionId: ' ' }), /redeemFromHoldTransactionId must not be empty/],
      ['a non-boolean flag', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: usd(1), redeemMaxOnOverdraw: 'yes' }), /redeemMaxOnOverdraw must be true or false/],
      ['a non-boolean forcePinValidation', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: usd(1), forcePinValidation: 1 }), /forcePinValidation must be true or false/],
      ['a numeric PIN', 'updateBalance', () => ({ cardNumber, action: 'redeem', amount: usd(1), pin: 1234 }), /pin must be a string/],
      ['a badly formatted expiration', 'updateBalance', () => ({ cardNumber, action: 'issue', amount: usd(1), issuedBalanceExpiration: '2030-12-31' }), /yyyy-MM-dd HH:mm:ss/],
      ['a card number too long', 'updateBalance', () => ({ cardNumber: '6'.repeat(200), action: 'redeem', amount: usd(1) }), /cardNumber is too long/],
      ['allocate with both fields', 'allocate', () => ({ cardSetId: 'egift', cardNumber }), /exactly one of cardSetId or cardNumber/],
      ['allocate with nothing', 'allocate', () => ({}), /exactly one of/],
      ['allocate with a numeric cardSetId', 'allocate', () => ({ cardSetId: 7 }), /cardSetId must be a string/],
      ['voidTransaction without transactionId', 'voidTransaction', () => ({}), /transactionId is required/],
      ['voidTransaction with a numeric transactionId', 'voidTransaction', () => ({ transactionId: 5 }), /transactionId must be a string/],
      ['cardHistory with a negative offset', 'cardHistory', () => ({ cardNumber, offset: -1 }), /offset must be an integer/],
      ['cardHistory with a fractional limit', 'cardHistory', () => ({ cardNumber, limit: 1.5 }), /limit must be an integer/],
    ];

    it.each(cases)('%s', async (_label, method, body, message) => {
      const before = await ledgerRows();
      const response = await clutch.call(method, body());
      expect(response.status).toBe(400);
      expect(response.data).toEqual(invalid(message));
      expect(response.data.errorCode).toBe(CLUTCH_ERRORS.invalidRequest.code);
      expect(await ledgerRows()).toBe(before);
      expect((await clutch.card(cardNumber)).balance).toBe('10.00');
    });

    const noCard: Array<[string, string, () => unknown]> = [
      ['search with an empty card number', 'search', () => ({ filters: { cardNumber: '' } })],
      ['search with no card number', 'search', () => ({ filters: {} })],
      ['updateBalance without cardNumber', 'updateBalance', () => ({ action: 'redeem', amount: usd(1) })],
      ['updateBalance with a null cardNumber', 'updateBalance', () => ({ cardNumber: null, action: 'issue', amount: usd(1) })],
      ['cardHistory with an empty card number', 'cardHistory', () => ({ cardNumber: '' })],
      ['allocate with an empty card number', 'allocate', () => ({ cardNumber: '' })],
    ];

    it.each(noCard)('%s: code 6, "No card number was specified."', async (_label, method, body) => {
      const before = await ledgerRows();
      const response = await clutch.call(method, body());
      expect(response.status).toBe(400);
      expect(response.data).toEqual(refused('noCardNumber'));
      expect(response.data.errorCode).toBe(6);
      expect(await ledgerRows()).toBe(before);
    });

    it('refuses invalid JSON with 400, and a body-less call as one without a card number', async () => {
      const invalidJson = await clutch.http.post('/merchant/updateBalance', '{"cardNumber": ', { headers: clutchHeaders() });
      expect(invalidJson.status).toBe(400);
      expect(invalidJson.data).toEqual(invalid(/^Invalid request: /));
      const missing = await clutch.http.post('/merchant/updateBalance', undefined, { headers: clutchHeaders({ 'Content-Type': undefined }) });
      expect(missing.status).toBe(400);
      expect(missing.data).toMatchObject({ success: false, errorCode: expect.any(Number), errorMessage: expect.any(String), requestRef: expect.stringMatching(UUID) });
      expect((await clutch.card(cardNumber)).balance).toBe('10.00');
    });

    it('answers no stack trace nor internals in a refusal', async () => {
      const response = await clutch.call('updateBalance', { cardNumber, action: 'redeem', amount: amount(1e300) });
      expect(response.status).toBe(400);
      expect(Object.keys(response.data).sort()).toEqual(['errorCode', 'errorMessage', 'requestRef', 'success']);
      expect(JSON.stringify(response.data)).not.toMatch(/at \w+ \(|node_modules|\.ts:/);
    });
  });

  describe('the refusal table the sandbox answers from', () => {
    it('keeps the two recorded codes and our 9xx range for the rest', () => {
      expect(CLUTCH_ERRORS.invalidPin).toMatchObject({ code: 10, message: 'Invalid card PIN.' });
      expect(CLUTCH_ERRORS.noCardNumber).toMatchObject({ code: 6, message: 'No card number was specified.' });
      expect(CLUTCH_ERRORS.cardNotFound.message).toBe('Could not find the specified card.');
      expect(CLUTCH_ERRORS.cardInactive.message).toBe('Could not find the account that goes with the specified card.');
      for (const [reason, row] of Object.entries(CLUTCH_ERRORS)) {
        if (reason !== 'invalidPin' && reason !== 'noCardNumber') expect(row.code).toBeGreaterThanOrEqual(900);
      }
    });
  });

  it('leaves a consistent ledger', async () => {
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });
});
