import {
  LostCallInput,
  LostCallOperation,
  ProviderCallLogEntry,
  ProviderDeclinedError,
  ProviderError,
  ProviderInvalidRequestError,
  ProviderLogger,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
} from '@gcpa/gift-card-provider';
import { Money } from '@gcpa/money';
import { AddressInfo } from 'node:net';
import * as http from 'node:http';
import { CLUTCH_ERRORS, ClutchRefusal, ClutchTransportMessages } from '../errors';
import { CardHistoryEntry, ClutchBalance } from '../protocol';
import { ClutchClientOptions } from './clutch-client-options';
import { ClutchGiftCardProvider, HEALTH_PROBE_CARD_NUMBER } from './clutch-gift-card-provider';

/** What the fake Clutch does with one request. */
type Reply =
  | { status?: number; body: unknown }
  | { raw: string; status?: number }
  | { hang: true }
  | { destroy: true };
type Script = Reply | ((seen: Seen) => Reply);

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A tiny Clutch stand-in on a free port: answers each request with the next scripted reply, then the fallback. */
class FakeClutch {
  readonly seen: Seen[] = [];
  private script: Script[] = [];
  private fallback: Script = { body: { success: true, requestRef: 'ref-fallback' } };
  readonly server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const seen: Seen = { path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : {} };
      this.seen.push(seen);
      const next = this.script.shift() ?? this.fallback;
      const reply = typeof next === 'function' ? next(seen) : next;
      if ('hang' in reply) return;
      if ('destroy' in reply) return void req.socket.destroy();
      const payload = 'raw' in reply ? reply.raw : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json' }).end(payload);
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/merchant/`;
    return this;
  }

  reply(...replies: Script[]): this {
    this.script.push(...replies);
    return this;
  }

  always(reply: Script): this {
    this.fallback = reply;
    return this;
  }

  /** The methods called, in order (`search`, `updateBalance`...). */
  get methods(): string[] {
    return this.seen.map((s) => s.path.replace('/merchant/', ''));
  }

  reset(): void {
    this.seen.length = 0;
    this.script = [];
    this.fallback = { body: { success: true, requestRef: 'ref-fallback' } };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const CARD = '6006491234567890';
const PIN = '4321';
const usd = (minor: bigint | number): Money => ({ minor: BigInt(minor), currency: 'USD' });

/**
 * Money carries a bigint, which Jest's worker cannot serialise when an assertion fails (the suite then dies
 * with "Do not know how to serialize a BigInt" instead of showing the diff): results are compared as plain
 * copies, a bigint shown as "1234n".
 */
const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'null');
const shown = async (promise: Promise<unknown>): Promise<unknown> => plain(await promise);
const money = (minor: number, currency = 'USD') => plain({ minor: BigInt(minor), currency });

// Clutch's answers, in the shapes of recorded traffic.
const ok = (fields: Record<string, unknown> = {}): Reply => ({ body: { success: true, requestRef: 'ref-ok', ...fields } });
const value = (amount: number, balanceCode = 'USD'): ClutchBalance => ({ balanceType: 'Currency', balanceCode, amount, scale: 2, isHold: false });
const holdEntry = (holdingTransactionId: string, amount: number, balanceCode = 'USD'): ClutchBalance => ({
  balanceType: 'Currency',
  balanceCode,
  amount,
  scale: 2,
  isHold: true,
  holdingTransactionId,
});
const ACTIVATED = '2026-11-30T10:00:00.000Z';
/** `null`: a card never allocated or activated shows no activation date. */
const cardFound = (balances: ClutchBalance[], activationDate: string | null = ACTIVATED): Reply =>
  ok({ cards: [{ cardNumber: CARD, cardSetId: 'set-1', ...(activationDate ? { activationDate } : {}), balances }], usedCache: false });
const noCard = (): Reply => ok({ cards: [], usedCache: false });
const updated = (transactionId: string, fields: Record<string, unknown> = {}): Reply =>
  ok({ transactionId, cardNumber: CARD, didOverdraw: false, ...fields });
/** A refusal as Clutch sends it: HTTP 400 with the code and text of a row of our table. */
const refused = (key: ClutchRefusal): Reply => ({
  status: 400,
  body: { success: false, errorCode: CLUTCH_ERRORS[key].code, errorMessage: CLUTCH_ERRORS[key].message, requestRef: 'ref-f' },
});
const failure = (status: number, errorMessage: string, errorCode?: number): Reply => ({
  status,
  body: { success: false, ...(errorCode === undefined ? {} : { errorCode }), errorMessage, requestRef: 'ref-f' },
});
const internal = (status = 500) => failure(status, ClutchTransportMessages.internal);

class RecordingLogger implements ProviderLogger {
  readonly entries: Array<ProviderCallLogEntry & { level: string }> = [];
  debug(entry: ProviderCallLogEntry): void {
    this.entries.push({ ...entry, level: 'debug' });
  }
  warn(entry: ProviderCallLogEntry): void {
    this.entries.push({ ...entry, level: 'warn' });
  }
}

async function caught(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    return error as ProviderError;
  }
  throw new Error('expected a failure');
}
const reasonOf = (error: ProviderError) => (error instanceof ProviderDeclinedError ? error.reason : error.constructor.name);

describe('ClutchGiftCardProvider over HTTP', () => {
  let fake: FakeClutch;
  let provider: ClutchGiftCardProvider;
  let logger: RecordingLogger;
  const make = (overrides: Partial<ClutchClientOptions> = {}) => {
    logger = new RecordingLogger();
    return new ClutchGiftCardProvider(
      {
        baseUrl: fake.url,
        apiKey: 'key',
        apiSecret: 'secret',
        brand: 'brand-1',
        location: 'loc-1',
        terminal: 'term-1',
        timeoutMs: 300,
        readRetryInitialDelayMs: 1,
        ...overrides,
      },
      logger,
    );
  };

  beforeAll(async () => {
    fake = await new FakeClutch().start();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    provider = make();
  });
  afterEach(() => provider.close());

  describe('requests', () => {
    it('posts to {base}{method} with the account headers and our request id as both customRequestId and externalTransactionId', async () => {
      fake.reply(cardFound([]));
      await provider.balance({ requestId: 'req-1', card: { cardNumber: CARD }, currency: 'USD' });
      const [seen] = fake.seen;
      expect(seen.path).toBe('/merchant/search');
      expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('key:secret').toString('base64')}`);
      expect(seen.headers).toMatchObject({
        brand: 'brand-1',
        location: 'loc-1',
        terminal: 'term-1',
        customrequestid: 'req-1',
        externaltransactionid: 'req-1',
        'content-type': 'application/json',
      });
      expect(seen.body).toEqual({ filters: { cardNumber: CARD }, returnFields: { balances: true, activationDate: true }, includeInactive: true });
    });

    it('every call carries its own request id in both headers', async () => {
      fake.reply(updated('h1'), updated('r1'));
      await provider.hold({ requestId: 'req-hold', card: { cardNumber: CARD }, amount: usd(100) });
      await provider.redeemFromHold({ requestId: 'req-redeem', cardNumber: CARD, holdId: 'h1', amount: usd(100) });
      expect(fake.seen.map((s) => [s.headers.customrequestid, s.headers.externaltransactionid])).toEqual([
        ['req-hold', 'req-hold'],
        ['req-redeem', 'req-redeem'],
      ]);
    });

    it("sends the caller's request id as X-Request-Id when there is one", async () => {
      provider = make({ currentRequestId: () => 'oms-trace-7' });
      fake.reply(cardFound([]));
      await provider.balance({ requestId: 'req-1', card: { cardNumber: CARD }, currency: 'USD' });
      expect(fake.seen[0].headers['x-request-id']).toBe('oms-trace-7');
    });

    it('accepts a base URL without the trailing slash; a void is voidTransaction', async () => {
      provider = make({ baseUrl: fake.url.replace(/\/$/, '') });
      fake.reply(ok({ transactionId: 'v1' }));
      expect(await provider.void({ requestId: 'r', cardNumber: CARD, transactionId: 't1' })).toEqual({ transactionId: 'v1' });
      expect(fake.seen[0].path).toBe('/merchant/voidTransaction');
      expect(fake.seen[0].body).toEqual({ transactionId: 't1' });
    });

    it('reuses one keep-alive connection', async () => {
      let connections = 0;
      fake.always(updated('iss'));
      const countConnection = () => connections++;
      fake.server.on('connection', countConnection);
      try {
        for (let i = 0; i < 5; i++) {
          await provider.issue({ requestId: `r${i}`, cardNumber: CARD, amount: usd(100), returnRelated: false });
        }
      } finally {
        fake.server.off('connection', countConnection);
      }
      expect(fake.seen).toHaveLength(5);
      expect(connections).toBe(1);
    });
  });

  describe('balance', () => {
    it('validates the PIN and sums the value entries as available and the hold entries as held, in the currency', async () => {
      fake.reply(
        cardFound([
          value(30.1),
          holdEntry('h1', 10.05),
          holdEntry('h2', 0.01),
          value(7, 'EUR'),
          { balanceType: 'Points', balanceCode: 'PTS', amount: 999, scale: 0, isHold: false },
        ]),
      );
      const result = await shown(provider.balance({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, currency: 'USD' }));
      expect(result).toEqual({ available: money(3010), held: money(1006), active: true });
      expect(fake.seen[0].body).toMatchObject({ forcePinValidation: true, pin: PIN, includeInactive: true });
    });

    it('a card without an activation date is inactive; a card with nothing on it (balances: []) is zero', async () => {
      fake.reply(cardFound([], null));
      expect(await shown(provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'JPY' }))).toEqual({
        available: money(0, 'JPY'),
        held: money(0, 'JPY'),
        active: false,
      });
    });

    it('a card in another currency is declined CURRENCY_MISMATCH', async () => {
      fake.reply(cardFound([value(5, 'EUR')]));
      const error = await caught(provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'USD' }));
      expect(error).toBeInstanceOf(ProviderDeclinedError);
      expect(reasonOf(error)).toBe('CURRENCY_MISMATCH');
    });

    it('an unknown card (cards: []) is declined CARD_NOT_FOUND, asked once', async () => {
      fake.always(noCard());
      const error = await caught(provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'USD' }));
      expect(error).toBeInstanceOf(ProviderDeclinedError);
      expect(reasonOf(error)).toBe('CARD_NOT_FOUND');
      expect(error.details).toMatchObject({ provider: 'clutch', operation: 'balance', providerMethod: 'search' });
      expect(fake.seen).toHaveLength(1);
    });

    it('a wrong PIN (HTTP 400, errorCode 10) is declined INVALID_PIN', async () => {
      fake.reply(refused('invalidPin'));
      const error = await caught(provider.balance({ requestId: 'r', card: { cardNumber: CARD, pin: '0000' }, currency: 'USD' }));
      expect(reasonOf(error)).toBe('INVALID_PIN');
      expect(error.details).toMatchObject({ httpStatus: 400, errorCode: 10, requestRef: 'ref-f' });
    });
  });

  describe('money calls', () => {
    it('hold sends exactly the amount asked and, with no balances in the answer, reports that amount held', async () => {
      fake.reply(updated('hold-1'));
      const result = await shown(provider.hold({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, amount: usd(5000) }));
      expect(result).toEqual({ holdId: 'hold-1', heldAmount: money(5000) });
      expect(fake.seen[0].path).toBe('/merchant/updateBalance');
      expect(fake.seen[0].body).toEqual({
        cardNumber: CARD,
        action: 'hold',
        amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 50 },
        forcePinValidation: true,
        pin: PIN,
        returnBalances: true,
      });
    });

    it('a hold never asks Clutch to overdraw, even when a caller still passes allowPartial', async () => {
      fake.reply(updated('hold-2'));
      const input = { requestId: 'r', card: { cardNumber: CARD }, amount: usd(1), allowPartial: true };
      await provider.hold(input);
      expect(fake.seen[0].body).not.toHaveProperty('redeemMaxOnOverdraw');
      expect(fake.seen[0].body).not.toHaveProperty('pin');
    });

    it("hold reads what was held from the hold's own balance entry when the answer lists it", async () => {
      fake.reply(updated('hold-3', { balances: [value(0), holdEntry('other-hold', 99), holdEntry('hold-3', 12.34)] }));
      const result = await shown(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(5000) }));
      expect(result).toEqual({ holdId: 'hold-3', heldAmount: money(1234) });
    });

    it('hold falls back to the amount asked when the balances do not list its entry', async () => {
      fake.reply(updated('hold-4', { balances: [value(10), holdEntry('other-hold', 99)] }));
      expect(await shown(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(700) }))).toEqual({ holdId: 'hold-4', heldAmount: money(700) });
    });

    it('a hold refused for insufficient funds is a decline', async () => {
      fake.reply(refused('insufficientFunds'));
      expect(reasonOf(await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(700) })))).toBe('INSUFFICIENT_FUNDS');
    });

    it('redeemFromHold redeems from the hold and releases the rest; what moved is what was asked', async () => {
      fake.reply(updated('red-1', { balances: [value(5)] }));
      const result = await shown(provider.redeemFromHold({ requestId: 'r', cardNumber: CARD, holdId: 'hold-1', amount: usd(1999) }));
      expect(result).toEqual({ transactionId: 'red-1', redeemedAmount: money(1999) });
      expect(fake.seen[0].body).toEqual({
        cardNumber: CARD,
        action: 'redeem',
        amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 19.99 },
        redeemFromHoldTransactionId: 'hold-1',
        releaseHoldRemainder: true,
        returnBalances: true,
      });
    });

    it('releaseHold is the zero-amount redeem of the hold with releaseHoldRemainder', async () => {
      fake.reply(updated('rel-1'));
      expect(await provider.releaseHold({ requestId: 'r', cardNumber: CARD, holdId: 'hold-1', currency: 'USD' })).toEqual({ transactionId: 'rel-1' });
      expect(fake.seen[0].body).toEqual({
        cardNumber: CARD,
        action: 'redeem',
        amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 0 },
        redeemFromHoldTransactionId: 'hold-1',
        releaseHoldRemainder: true,
        returnBalances: true,
      });
    });

    it('a closed hold is declined HOLD_NOT_AVAILABLE', async () => {
      fake.reply(refused('holdClosed'));
      const error = await caught(provider.redeemFromHold({ requestId: 'r', cardNumber: CARD, holdId: 'hold-1', amount: usd(100) }));
      expect(reasonOf(error)).toBe('HOLD_NOT_AVAILABLE');
    });

    it('a plain redeem without allowPartial is one updateBalance, without overdraw, taking what was asked', async () => {
      fake.reply(updated('red-2'));
      const result = await shown(provider.redeem({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, amount: usd(250), allowPartial: false }));
      expect(result).toEqual({ transactionId: 'red-2', redeemedAmount: money(250) });
      expect(fake.methods).toEqual(['updateBalance']);
      expect(fake.seen[0].body).toMatchObject({ action: 'redeem', forcePinValidation: true, pin: PIN });
      expect(fake.seen[0].body).not.toHaveProperty('redeemMaxOnOverdraw');
      expect(fake.seen[0].body).not.toHaveProperty('redeemFromHoldTransactionId');
    });

    it('a partial redeem reads the balance first and, when Clutch overdrew, takes the difference to what is left', async () => {
      fake.reply(cardFound([value(30), holdEntry('h9', 5)]), updated('red-3', { didOverdraw: true, balances: [value(0), holdEntry('h9', 5)] }));
      const result = await shown(provider.redeem({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(5000), allowPartial: true }));
      expect(result).toEqual({ transactionId: 'red-3', redeemedAmount: money(3000) });
      expect(fake.methods).toEqual(['search', 'updateBalance']);
      expect(fake.seen[1].body).toMatchObject({ action: 'redeem', redeemMaxOnOverdraw: true, returnBalances: true });
    });

    it('a partial redeem that did not overdraw took what was asked', async () => {
      fake.reply(cardFound([value(80)]), updated('red-4', { balances: [value(30)] }));
      expect(await shown(provider.redeem({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(5000), allowPartial: true }))).toEqual({
        transactionId: 'red-4',
        redeemedAmount: money(5000),
      });
    });

    it('an overdraw answer without balances cannot say what was taken: outcome unknown, never a guess', async () => {
      fake.reply(cardFound([value(30)]), updated('red-5', { didOverdraw: true }));
      const error = await caught(provider.redeem({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(5000), allowPartial: true }));
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
    });

    it.each([
      [true, { isReturnRelated: true }],
      [false, {}],
    ])('issue (returnRelated %s) adds value', async (returnRelated, extra) => {
      fake.reply(updated('iss-1'));
      expect(await provider.issue({ requestId: 'r', cardNumber: CARD, amount: usd(1050), returnRelated })).toEqual({ transactionId: 'iss-1' });
      expect(fake.seen[0].body).toEqual({
        cardNumber: CARD,
        action: 'issue',
        amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 10.5 },
        returnBalances: true,
        ...extra,
      });
    });

    it('allocate takes the next card of a set ({cardSetId}); activate claims a known card ({cardNumber}) and answers {}', async () => {
      fake.reply(ok({ cardNumber: '6006490000000001', pin: '9876' }), ok({ cardNumber: '6006490000000002' }), ok({ cardNumber: CARD }));
      expect(await provider.allocate({ requestId: 'r', cardSetId: 'set-1' })).toEqual({ cardNumber: '6006490000000001', pin: '9876' });
      expect(await provider.allocate({ requestId: 'r', cardSetId: 'set-1' })).toEqual({ cardNumber: '6006490000000002' });
      expect(await provider.activate({ requestId: 'r', cardNumber: CARD })).toEqual({});
      expect(fake.seen.map((s) => [s.path, s.body])).toEqual([
        ['/merchant/allocate', { cardSetId: 'set-1' }],
        ['/merchant/allocate', { cardSetId: 'set-1' }],
        ['/merchant/allocate', { cardNumber: CARD }],
      ]);
    });

    it('an allocate answer without a card number is an unknown outcome', async () => {
      fake.reply(ok({}));
      expect(await caught(provider.allocate({ requestId: 'r', cardSetId: 'set-1' }))).toBeInstanceOf(ProviderOutcomeUnknownError);
    });

    it('an exhausted card set is declined', async () => {
      fake.reply(refused('cardSetExhausted'));
      expect(reasonOf(await caught(provider.allocate({ requestId: 'r', cardSetId: 'set-1' })))).toBe('CARD_SET_EXHAUSTED');
    });
  });

  describe('checkHealth', () => {
    it('one look-up of a card that cannot exist: cards: [] is healthy', async () => {
      fake.reply(noCard());
      await expect(provider.checkHealth()).resolves.toBeUndefined();
      expect(fake.seen).toHaveLength(1);
      expect(fake.seen[0].path).toBe('/merchant/search');
      expect(fake.seen[0].body).toEqual({ filters: { cardNumber: HEALTH_PROBE_CARD_NUMBER }, returnFields: { balances: false } });
    });

    it('refused credentials are unhealthy (invalid request naming the credentials)', async () => {
      fake.reply(failure(401, ClutchTransportMessages.unauthorized));
      const error = await caught(provider.checkHealth());
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error.message).toMatch(/credentials/);
    });

    it('an outage is unhealthy at once (not retried)', async () => {
      fake.always(internal(503));
      expect(await caught(provider.checkHealth())).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.seen).toHaveLength(1);
    });
  });

  describe('amounts at the edges', () => {
    it.each([
      [1n, 'USD', 0.01],
      [99999999999999n, 'USD', 999999999999.99],
      [1234567n, 'JPY', 1234567],
      [1n, 'KWD', 0.001],
      [123456n, 'KWD', 123.456],
    ])('%s minor %s travels as %s and its hold entry reads back exactly', async (minor, currency, major) => {
      fake.reply((seen) => {
        const sent = (seen.body.amount as { amount: number }).amount;
        return updated('h', { balances: [holdEntry('h', sent, currency)] });
      });
      const amount = { minor, currency };
      const result = await provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount });
      expect(plain(result.heldAmount)).toEqual(plain(amount));
      expect(fake.seen[0].body.amount).toEqual({ balanceType: 'Currency', balanceCode: currency, amount: major });
    });

    it('zero travels as 0 (a release)', async () => {
      fake.reply(updated('rel'));
      await provider.releaseHold({ requestId: 'r', cardNumber: CARD, holdId: 'h', currency: 'KWD' });
      expect(fake.seen[0].body.amount).toEqual({ balanceType: 'Currency', balanceCode: 'KWD', amount: 0 });
    });

    it('a hold entry with more decimals than the currency is an unreadable answer: outcome unknown', async () => {
      fake.reply(updated('h', { balances: [holdEntry('h', 1.234)] }));
      expect(await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(500) }))).toBeInstanceOf(ProviderOutcomeUnknownError);
    });

    it('an amount a JSON number cannot carry exactly is refused before sending', async () => {
      const error = await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(8913919192961624n) }));
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(fake.seen).toHaveLength(0);
    });

    it('a hold answer without transactionId is an unknown outcome', async () => {
      fake.reply(ok({ cardNumber: CARD, didOverdraw: false }));
      expect(await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(100) }))).toBeInstanceOf(ProviderOutcomeUnknownError);
    });
  });

  describe('failures over HTTP', () => {
    const hold = () => provider.hold({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, amount: usd(100) });
    const search = () => provider.balance({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, currency: 'USD' });

    it.each([
      ['cardNotFound', 'CARD_NOT_FOUND'],
      ['invalidPin', 'INVALID_PIN'],
      ['cardInactive', 'CARD_INACTIVE'],
      ['insufficientFunds', 'INSUFFICIENT_FUNDS'],
      ['holdNotFound', 'HOLD_NOT_AVAILABLE'],
      ['holdClosed', 'HOLD_NOT_AVAILABLE'],
      ['cardSetNotFound', 'CARD_SET_NOT_FOUND'],
      ['cardSetExhausted', 'CARD_SET_EXHAUSTED'],
      ['currencyMismatch', 'CURRENCY_MISMATCH'],
      ['voidNotPossible', 'NOT_VOIDABLE'],
    ] as const)('HTTP 400 %s -> declined %s, not retried', async (key, reason) => {
      fake.always(refused(key));
      const error = await caught(search());
      expect(error).toBeInstanceOf(ProviderDeclinedError);
      expect(reasonOf(error)).toBe(reason);
      expect(fake.seen).toHaveLength(1);
    });

    it('the recorded texts without a code still decline: an unknown card, an unallocated card', async () => {
      fake.reply(failure(400, 'Could not find the specified card.', 4711), failure(400, 'Could not find the account that goes with the specified card.', 4712));
      expect(reasonOf(await caught(hold()))).toBe('CARD_NOT_FOUND');
      expect(reasonOf(await caught(hold()))).toBe('CARD_INACTIVE');
    });

    it('a code configured in CLUTCH_ERROR_CODES wins', async () => {
      provider = make({ errorCodes: new Map([[4711, 'INSUFFICIENT_FUNDS']]) });
      fake.reply(failure(400, 'Could not find the specified card.', 4711));
      expect(reasonOf(await caught(hold()))).toBe('INSUFFICIENT_FUNDS');
    });

    it('void of an unknown transaction is NOT_VOIDABLE', async () => {
      fake.reply(refused('transactionNotFound'));
      const error = await caught(provider.void({ requestId: 'r', cardNumber: CARD, transactionId: 'nope' }));
      expect(reasonOf(error)).toBe('NOT_VOIDABLE');
    });

    it('a code and text not in the table: invalid request, logged at warn with its code and text for the table', async () => {
      fake.reply(failure(400, 'Card is frozen.', 77));
      const error = await caught(hold());
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error.details).toMatchObject({ unrecognised: true, errorCode: 77 });
      expect(logger.entries).toEqual([
        expect.objectContaining({ level: 'warn', errorCode: 77, providerMessage: 'Card is frozen.', msg: expect.stringMatching(/not in the error table/) }),
      ]);
      expect(fake.seen).toHaveLength(1);
    });

    it.each([
      [400, 'Invalid request: amount.amount must be a number', 911],
      [400, 'No card number was specified.', 6],
      [403, 'Forbidden.', undefined],
      [404, 'Not found.', undefined],
    ])('HTTP %i %j -> invalid request, not retried', async (status, message, code) => {
      fake.always(failure(status, message, code));
      expect(await caught(hold())).toBeInstanceOf(ProviderInvalidRequestError);
      expect(await caught(search())).toBeInstanceOf(ProviderInvalidRequestError);
      expect(fake.seen).toHaveLength(2);
    });

    it('HTTP 401 -> invalid request naming the credentials', async () => {
      fake.always(failure(401, ClutchTransportMessages.unauthorized));
      const error = await caught(hold());
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error.message).toMatch(/misconfigured/);
    });

    it.each([500, 502, 503, 504])('HTTP %i on updateBalance -> outcome unknown (it may have been applied), sent once', async (status) => {
      fake.always(internal(status));
      const error = await caught(hold());
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(error.details).toMatchObject({ httpStatus: status, providerMethod: 'updateBalance' });
      expect(fake.seen).toHaveLength(1);
    });

    it.each(['void', 'allocate', 'activate', 'issue', 'releaseHold'] as const)('HTTP 500 on %s -> outcome unknown, sent once', async (operation) => {
      fake.always(internal(500));
      const calls = {
        void: () => provider.void({ requestId: 'r', cardNumber: CARD, transactionId: 't' }),
        allocate: () => provider.allocate({ requestId: 'r', cardSetId: 's' }),
        activate: () => provider.activate({ requestId: 'r', cardNumber: CARD }),
        issue: () => provider.issue({ requestId: 'r', cardNumber: CARD, amount: usd(1), returnRelated: true }),
        releaseHold: () => provider.releaseHold({ requestId: 'r', cardNumber: CARD, holdId: 'h', currency: 'USD' }),
      };
      expect(await caught(calls[operation]())).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(fake.seen).toHaveLength(1);
    });

    it('HTTP 429 on updateBalance -> unavailable (the bucket refused it), sent once', async () => {
      fake.always(failure(429, ClutchTransportMessages.rateLimited));
      expect(await caught(hold())).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.seen).toHaveLength(1);
    });

    it.each([500, 503, 429])('HTTP %i on a read is retried, then unavailable', async (status) => {
      fake.always(status === 429 ? failure(429, ClutchTransportMessages.rateLimited) : internal(status));
      expect(await caught(search())).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.seen).toHaveLength(3);
    });

    it('a read that fails and then answers succeeds', async () => {
      fake.reply({ destroy: true }, internal(502), cardFound([value(1)]));
      expect(await shown(search())).toEqual({ available: money(100), held: money(0), active: true });
      expect(fake.seen).toHaveLength(3);
    });

    it('a refused connection (nothing sent) -> unavailable, even for a hold', async () => {
      const closed = new FakeClutch();
      await closed.start();
      await closed.stop();
      provider = make({ baseUrl: closed.url });
      const error = await caught(hold());
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error.details?.networkCode).toBe('ECONNREFUSED');
    });

    it('an unresolvable host -> unavailable', async () => {
      provider = make({ baseUrl: 'http://clutch.invalid/merchant/' });
      expect(await caught(hold())).toBeInstanceOf(ProviderUnavailableError);
    });

    it('a timeout on a mutating call -> outcome unknown, sent once', async () => {
      fake.always({ hang: true });
      const error = await caught(hold());
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(error.message).toMatch(/timed out/);
      expect(fake.seen).toHaveLength(1);
    });

    it('a timeout on a read -> retried, then unavailable', async () => {
      fake.always({ hang: true });
      expect(await caught(search())).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.seen).toHaveLength(3);
    });

    it.each(['hold', 'void', 'allocate'] as const)('a reset connection on %s -> outcome unknown', async (operation) => {
      fake.always({ destroy: true });
      const calls = {
        hold,
        void: () => provider.void({ requestId: 'r', cardNumber: CARD, transactionId: 't' }),
        allocate: () => provider.allocate({ requestId: 'r', cardSetId: 's' }),
      };
      const error = await caught(calls[operation]());
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(error.details?.networkCode).toBe('ECONNRESET');
      expect(fake.seen).toHaveLength(1);
    });

    it('a non-JSON 200 on a hold -> outcome unknown', async () => {
      fake.reply({ raw: '<html>gateway</html>' });
      expect(await caught(hold())).toBeInstanceOf(ProviderOutcomeUnknownError);
    });

    it('a search answer without a cards list is unreadable: retried, then unavailable', async () => {
      fake.always(ok({ usedCache: false }));
      expect(await caught(search())).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.seen).toHaveLength(3);
    });
  });

  describe('circuit breaker', () => {
    const hold = () => provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(100) });

    it('opens after consecutive failures, fails fast, and closes after a successful trial', async () => {
      provider = make({ breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 } });
      fake.always(internal(503));
      for (let i = 0; i < 3; i++) expect(await caught(hold())).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(provider.circuitState).toBe('open');
      const fast = await caught(hold());
      expect(fast).toBeInstanceOf(ProviderUnavailableError);
      expect(fast.message).toBe('circuit open');
      expect(fast.details?.circuitOpen).toBe(true);
      expect(fake.seen).toHaveLength(3);

      await new Promise((resolve) => setTimeout(resolve, 250));
      fake.always(updated('h'));
      await expect(hold()).resolves.toMatchObject({ holdId: 'h' });
      expect(provider.circuitState).toBe('closed');
    });

    it('a failed trial opens it again', async () => {
      provider = make({ breaker: { consecutiveFailures: 1, halfOpenAfterMs: 100 } });
      fake.always({ destroy: true });
      expect(await caught(hold())).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(provider.circuitState).toBe('open');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await caught(hold())).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(provider.circuitState).toBe('open');
      expect((await caught(hold())).message).toBe('circuit open');
    });

    it('counts declines and invalid requests as answers, not failures', async () => {
      provider = make({ breaker: { consecutiveFailures: 3, halfOpenAfterMs: 10_000 } });
      const states: string[] = [];
      provider.onCircuitStateChange((state) => states.push(state));
      fake.reply(
        internal(503),
        internal(503),
        refused('insufficientFunds'),
        internal(503),
        internal(503),
        failure(400, 'Card is frozen.', 77),
        internal(503),
        internal(503),
      );
      for (let i = 0; i < 8; i++) await caught(hold());
      expect(fake.seen).toHaveLength(8);
      expect(provider.circuitState).toBe('closed');
      expect(states).toEqual([]);
    });

    it('does not retry a read into an open circuit', async () => {
      provider = make({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 10_000 } });
      fake.always(internal(503));
      const error = await caught(provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'USD' }));
      expect(error.message).toBe('circuit open');
      expect(fake.seen).toHaveLength(2);
    });
  });

  describe('resolveLostCall', () => {
    const STARTED = Date.now() - 60_000;
    const lost = (operation: LostCallOperation, fields: Partial<LostCallInput> = {}): LostCallInput => ({
      requestId: 'look-up-1',
      operation,
      reference: 'call-1',
      cardNumber: CARD,
      amount: usd(2500),
      startedAt: new Date(STARTED),
      graceElapsed: true,
      known: { holdIds: new Set(), transactionIds: new Set() },
      ...fields,
    });
    const known = (holdIds: string[], transactionIds: string[] = []) => ({ holdIds: new Set(holdIds), transactionIds: new Set(transactionIds) });
    const resolve = (input: LostCallInput) => shown(provider.resolveLostCall(input));
    const entry = (transactionId: string, amount: number, at = STARTED + 1000): CardHistoryEntry => ({
      transactionId,
      isLegacy: false,
      transactionTime: at,
      location: 'loc-1',
      callType: 'UPDATE_BALANCE',
      balanceUpdates: [{ balanceType: 'Currency', balanceCode: 'USD', amount }],
      requestRef: `ref-${transactionId}`,
    });
    /** cardHistory as Clutch pages it: newest first, `limit` entries from `offset`. */
    const historyOf =
      (entries: CardHistoryEntry[]) =>
      (seen: Seen): Reply => {
        const offset = Number(seen.body.offset ?? 0);
        const limit = Number(seen.body.limit ?? 25);
        const page = entries.slice(offset, offset + limit);
        return ok({
          transactions: page,
          transactionCount: entries.length,
          matchCount: entries.length,
          oldestTransaction: entries.at(-1)?.transactionTime ?? null,
          newestTransaction: entries[0]?.transactionTime ?? null,
        });
      };
    /** A card whose search answers `balances` and whose history is `entries`. */
    const cardWith = (balances: ClutchBalance[], entries: CardHistoryEntry[] = [], activationDate: string | null = ACTIVATED) =>
      fake.always((seen) => {
        if (seen.path === '/merchant/search') return cardFound(balances, activationDate);
        if (seen.path === '/merchant/cardHistory') return historyOf(entries)(seen);
        return { status: 418, body: { success: false, errorMessage: `unexpected ${seen.path}` } };
      });

    it('every operation is resolved from the card state', () => {
      for (const operation of ['HOLD', 'REDEEM_FROM_HOLD', 'RELEASE_HOLD', 'REDEEM', 'ISSUE', 'ALLOCATE', 'ACTIVATE', 'VOID'] as const) {
        expect(provider.lostAnswerStrategy(operation)).toBe('state');
      }
    });

    describe('a hold', () => {
      it('reads the card once (search, inactive included, no PIN) and adopts the one unknown hold of the amount', async () => {
        cardWith([value(50), holdEntry('h-known', 25), holdEntry('h-new', 25), holdEntry('h-other', 10.5, 'EUR')]);
        expect(await resolve(lost('HOLD', { known: known(['h-known']) }))).toEqual({
          outcome: 'APPLIED',
          transactionId: 'h-new',
          amount: money(2500),
          note: expect.any(String),
        });
        expect(fake.methods).toEqual(['search']);
        expect(fake.seen[0].body).toEqual({ filters: { cardNumber: CARD }, returnFields: { balances: true, activationDate: true }, includeInactive: true });
        expect(fake.seen[0].headers.customrequestid).toBe('look-up-1');
      });

      it('two unknown holds of the amount stay undecided, both shown', async () => {
        cardWith([holdEntry('h1', 25), holdEntry('h2', 25)]);
        expect(await resolve(lost('HOLD'))).toEqual({
          outcome: 'UNDECIDED',
          note: expect.any(String),
          candidates: [
            { transactionId: 'h1', amount: '25.00' },
            { transactionId: 'h2', amount: '25.00' },
          ],
        });
      });

      it('no unknown hold: undecided within the grace period, not applied after', async () => {
        cardWith([value(100), holdEntry('h-known', 25)]);
        expect(await resolve(lost('HOLD', { graceElapsed: false, known: known(['h-known']) }))).toMatchObject({ outcome: 'UNDECIDED', candidates: [] });
        expect(await resolve(lost('HOLD', { known: known(['h-known']) }))).toEqual({ outcome: 'NOT_APPLIED', note: expect.any(String) });
      });

      it('a card Clutch does not know (cards: []) holds nothing', async () => {
        fake.always(noCard());
        expect(await resolve(lost('HOLD'))).toMatchObject({ outcome: 'NOT_APPLIED' });
      });
    });

    describe('a redeem from a hold, or a release', () => {
      it('the hold still there: a release did not apply, and history is not read', async () => {
        cardWith([value(5), holdEntry('h1', 25)]);
        expect(await resolve(lost('RELEASE_HOLD', { holdId: 'h1', amount: usd(0), graceElapsed: false }))).toMatchObject({ outcome: 'NOT_APPLIED' });
        expect(fake.methods).toEqual(['search']);
      });

      it('the hold still there: a redeem is undecided within the grace period and not applied after', async () => {
        cardWith([value(5), holdEntry('h1', 25)]);
        expect(await resolve(lost('REDEEM_FROM_HOLD', { holdId: 'h1', amount: usd(2000), graceElapsed: false }))).toMatchObject({ outcome: 'UNDECIDED' });
        expect(await resolve(lost('REDEEM_FROM_HOLD', { holdId: 'h1', amount: usd(2000) }))).toMatchObject({ outcome: 'NOT_APPLIED' });
        expect(fake.methods).toEqual(['search', 'search']);
      });

      it('the hold gone: a release applied, without reading history', async () => {
        cardWith([value(30)]);
        expect(await resolve(lost('RELEASE_HOLD', { holdId: 'h1', amount: usd(0) }))).toEqual({
          outcome: 'APPLIED',
          transactionId: null,
          amount: money(0),
          note: expect.any(String),
        });
        expect(fake.methods).toEqual(['search']);
      });

      it('the hold gone and one redeem of -amount since the call began: applied, with its transaction id', async () => {
        cardWith([value(5)], [entry('t-release', 0, STARTED + 3000), entry('t-redeem', -20, STARTED + 2000), entry('t-issue', 20, STARTED + 1000)]);
        expect(await resolve(lost('REDEEM_FROM_HOLD', { holdId: 'h1', amount: usd(2000) }))).toEqual({
          outcome: 'APPLIED',
          transactionId: 't-redeem',
          amount: money(2000),
          note: expect.any(String),
        });
        expect(fake.methods).toEqual(['search', 'cardHistory']);
        expect(fake.seen[1].body).toEqual({ cardNumber: CARD, limit: 50, offset: 0 });
      });

      it('the hold gone and no redeem of the amount: not applied', async () => {
        cardWith([value(25)], [entry('t-release', 0)]);
        expect(await resolve(lost('REDEEM_FROM_HOLD', { holdId: 'h1', amount: usd(2000), graceElapsed: false }))).toMatchObject({ outcome: 'NOT_APPLIED' });
      });

      it('the hold gone and two redeems of the amount: undecided, both shown', async () => {
        cardWith([], [entry('t2', -20, STARTED + 2000), entry('t1', -20, STARTED + 1000)]);
        expect(await resolve(lost('REDEEM_FROM_HOLD', { holdId: 'h1', amount: usd(2000) }))).toEqual({
          outcome: 'UNDECIDED',
          note: expect.any(String),
          candidates: [
            { transactionId: 't2', amount: '20.00', at: new Date(STARTED + 2000).toISOString() },
            { transactionId: 't1', amount: '20.00', at: new Date(STARTED + 1000).toISOString() },
          ],
        });
      });
    });

    describe('an issue or a plain redeem, by history', () => {
      it('an issue: the one +amount entry not in our records', async () => {
        cardWith([], [entry('t-known', 25), entry('t-redeem', -25), entry('t-new', 25)]);
        expect(await resolve(lost('ISSUE', { known: known([], ['t-known']) }))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-new' });
        expect(fake.methods).toEqual(['cardHistory']);
      });

      it('a plain redeem: the one -amount entry', async () => {
        cardWith([], [entry('t-issue', 25), entry('t-redeem', -25)]);
        expect(await resolve(lost('REDEEM'))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-redeem' });
      });

      it('two of the amount: undecided; none: undecided within the grace period, not applied after', async () => {
        cardWith([], [entry('a', 25), entry('b', 25)]);
        expect(await resolve(lost('ISSUE'))).toMatchObject({ outcome: 'UNDECIDED', candidates: [{ transactionId: 'a' }, { transactionId: 'b' }] });
        cardWith([], [entry('c', 24.99)]);
        expect(await resolve(lost('ISSUE', { graceElapsed: false }))).toMatchObject({ outcome: 'UNDECIDED', candidates: [] });
        expect(await resolve(lost('ISSUE'))).toMatchObject({ outcome: 'NOT_APPLIED' });
      });

      it('entries from before the call began (less the clock skew) are not candidates, and end the reading', async () => {
        provider = make({ clockSkewMs: 5000 });
        const old = Array.from({ length: 49 }, (_, i) => entry(`old-${i}`, 25, STARTED - 6000 - i));
        cardWith([], [entry('t-skewed', -1, STARTED - 4000), ...old]);
        expect(await resolve(lost('ISSUE'))).toMatchObject({ outcome: 'NOT_APPLIED' });
        cardWith([], [entry('t-skewed', 25, STARTED - 4000), ...old, entry('older', 25, STARTED - 60_000)]);
        expect(await resolve(lost('ISSUE'))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-skewed' });
        expect(fake.seen.map((s) => s.body.offset)).toEqual([0, 0]);
      });

      it('reads history page by page (limit/offset, newest first) until it reaches the time of the call', async () => {
        const recent = Array.from({ length: 60 }, (_, i) => entry(`recent-${i}`, -0.01, STARTED + 60_000 - i));
        cardWith([], [...recent, entry('t-issue', 25, STARTED + 1000), entry('before', 25, STARTED - 3_600_000)]);
        expect(await resolve(lost('ISSUE'))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-issue' });
        expect(fake.seen.map((s) => [s.body.limit, s.body.offset])).toEqual([
          [50, 0],
          [50, 50],
        ]);
      });

      it('history longer than it reads cannot decide: the look-up fails (to be tried again), never "not applied"', async () => {
        const busy = Array.from({ length: 1100 }, (_, i) => entry(`busy-${i}`, -0.01, STARTED + 2_000_000 - i));
        cardWith([], busy);
        const error = await caught(provider.resolveLostCall(lost('ISSUE')));
        expect(error).toBeInstanceOf(ProviderUnavailableError);
        expect(fake.seen).toHaveLength(20);
      });

      it('an entry whose time cannot be read fails the look-up instead of ending the reading', async () => {
        const unreadable = { ...entry('t-issue', 25), transactionTime: new Date(STARTED + 1000).toISOString() } as unknown as CardHistoryEntry;
        cardWith([], [entry('t-other', -3), unreadable]);
        const error = await caught(provider.resolveLostCall(lost('ISSUE')));
        expect(error).toBeInstanceOf(ProviderUnavailableError);
      });

      it('a history read is retried like any read', async () => {
        fake.reply(internal(503), historyOf([entry('t-issue', 25)]));
        expect(await resolve(lost('ISSUE'))).toMatchObject({ outcome: 'APPLIED', transactionId: 't-issue' });
        expect(fake.methods).toEqual(['cardHistory', 'cardHistory']);
      });

      it('a history answer without a transactions list is unreadable', async () => {
        fake.always(ok({ transactionCount: 0 }));
        expect(await caught(provider.resolveLostCall(lost('REDEEM')))).toBeInstanceOf(ProviderUnavailableError);
      });
    });

    describe('activation, allocation, void', () => {
      it('an activation applied once the card shows an activation date', async () => {
        cardWith([], [], ACTIVATED);
        expect(await resolve(lost('ACTIVATE', { amount: usd(0) }))).toMatchObject({ outcome: 'APPLIED', transactionId: null });
        cardWith([], [], null);
        expect(await resolve(lost('ACTIVATE', { amount: usd(0), graceElapsed: false }))).toMatchObject({ outcome: 'UNDECIDED' });
        expect(await resolve(lost('ACTIVATE', { amount: usd(0) }))).toMatchObject({ outcome: 'NOT_APPLIED' });
        expect(fake.methods).toEqual(['search', 'search', 'search']);
      });

      it('a lost allocation is not applied (allocate again), without asking Clutch', async () => {
        expect(await resolve(lost('ALLOCATE', { cardNumber: undefined, amount: usd(0) }))).toMatchObject({ outcome: 'NOT_APPLIED' });
        expect(fake.seen).toHaveLength(0);
      });

      it('a lost void, or a call without a card, stays undecided for an operator', async () => {
        expect(await resolve(lost('VOID'))).toMatchObject({ outcome: 'UNDECIDED', candidates: [] });
        expect(await resolve(lost('HOLD', { cardNumber: undefined }))).toMatchObject({ outcome: 'UNDECIDED', candidates: [] });
        expect(fake.seen).toHaveLength(0);
      });
    });

    describe('cardActivity (reconciliation)', () => {
      const activity = (since = new Date(STARTED)) => provider.cardActivity({ requestId: 'recon-1', cardNumber: CARD, currency: 'USD', since });

      it('shows the hold entries with when each was placed, and the movements of value since, over paged history', async () => {
        const movements = Array.from({ length: 60 }, (_, i) => entry(`t${i}`, i % 2 === 0 ? -1 : 2.5, STARTED + 100_000 - i * 100));
        cardWith(
          [value(80), holdEntry('h-new', 25), holdEntry('h-old', 10), holdEntry('h-eur', 5, 'EUR')],
          [entry('h-new', 0, STARTED + 200_000), ...movements, entry('before', 99, STARTED - 3_600_000)],
        );
        const result = await activity();
        expect(plain(result.holds)).toEqual([
          { holdId: 'h-new', amount: money(2500), placedAt: new Date(STARTED + 200_000).toISOString() },
          { holdId: 'h-old', amount: money(1000) },
        ]);
        expect(result.entries).toHaveLength(60);
        expect(plain(result.entries[0])).toEqual({ transactionId: 't0', amount: money(-100), at: new Date(STARTED + 100_000).toISOString() });
        expect(plain(result.entries[1])).toMatchObject({ transactionId: 't1', amount: money(250) });
        expect(fake.methods).toEqual(['search', 'cardHistory', 'cardHistory']);
        expect(fake.seen[1].body).toEqual({ cardNumber: CARD, limit: 50, offset: 0 });
        expect(fake.seen[0].headers.customrequestid).toBe('recon-1');
      });

      it('a card Clutch does not know is a decline, not an empty card', async () => {
        fake.always(noCard());
        expect(await caught(activity())).toMatchObject({ reason: 'CARD_NOT_FOUND' });
      });
    });
  });

  describe('logging', () => {
    it('logs each call with method, request id, duration and outcome, masking the card and never the PIN', async () => {
      fake.reply(updated('h', { requestRef: 'clutch-ref-9' }), refused('invalidPin'), { destroy: true });
      await provider.hold({ requestId: 'req-a', card: { cardNumber: CARD, pin: PIN }, amount: usd(100) });
      await caught(provider.hold({ requestId: 'req-b', card: { cardNumber: CARD, pin: PIN }, amount: usd(100) }));
      const unknown = await caught(provider.hold({ requestId: 'req-c', card: { cardNumber: CARD, pin: PIN }, amount: usd(100) }));

      expect(logger.entries).toEqual([
        expect.objectContaining({ level: 'debug', operation: 'hold', providerMethod: 'updateBalance', requestId: 'req-a', requestRef: 'clutch-ref-9', card: '****7890', outcome: 'ok', durationMs: expect.any(Number) }),
        expect.objectContaining({ level: 'debug', requestId: 'req-b', outcome: 'DECLINED', reason: 'INVALID_PIN', errorCode: 10, requestRef: 'ref-f' }),
        expect.objectContaining({ level: 'warn', requestId: 'req-c', outcome: 'OUTCOME_UNKNOWN' }),
      ]);
      const everything = JSON.stringify(logger.entries) + JSON.stringify(unknown) + String(unknown.stack) + JSON.stringify(Object.entries(unknown));
      expect(everything).not.toContain(CARD);
      expect(everything).not.toContain(PIN);
      expect(everything).not.toContain('secret');
      // The typed error carries no raw axios error (whose config holds the request body).
      expect(unknown).not.toHaveProperty('config');
      expect(unknown).not.toHaveProperty('cause');
    });

    it('logs a retried read with its attempt number', async () => {
      fake.reply(internal(503), cardFound([]));
      await provider.balance({ requestId: 'req-r', card: { cardNumber: CARD }, currency: 'USD' });
      expect(logger.entries.map((e) => [e.outcome, e.attempt])).toEqual([
        ['UNAVAILABLE', undefined],
        ['ok', 2],
      ]);
    });
  });
});
