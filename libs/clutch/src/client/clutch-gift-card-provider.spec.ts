import {
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
import { ClutchErrorMessages } from '../protocol';
import { ClutchClientOptions } from './clutch-client-options';
import { ClutchGiftCardProvider } from './clutch-gift-card-provider';

/** What the fake Clutch does with one request. */
type Reply =
  | { status?: number; body: unknown }
  | { raw: string; status?: number }
  | { hang: true }
  | { destroy: true };

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A tiny Clutch stand-in on a free port: answers each request with the next scripted reply. */
class FakeClutch {
  readonly seen: Seen[] = [];
  private script: Array<Reply | ((seen: Seen) => Reply)> = [];
  private fallback: Reply = { body: { success: true } };
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

  reply(...replies: Array<Reply | ((seen: Seen) => Reply)>): this {
    this.script.push(...replies);
    return this;
  }

  always(reply: Reply): this {
    this.fallback = reply;
    return this;
  }

  reset(): void {
    this.seen.length = 0;
    this.script = [];
    this.fallback = { body: { success: true } };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const CARD = '6006491234567890';
const PIN = '4321';
const usd = (minor: bigint | number): Money => ({ minor: BigInt(minor), currency: 'USD' });
const ok = (fields: Record<string, unknown> = {}): Reply => ({ body: { success: true, requestRef: 'ref-ok', ...fields } });
const fail = (errorMessage: string, status = 200): Reply => ({ status, body: { success: false, errorMessage, requestRef: 'ref-f' } });

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
    it('posts to {base}{method} with the account headers and our request id', async () => {
      fake.reply(ok({ cards: [{ cardNumber: CARD, active: true, balances: [] }] }));
      await provider.balance({ requestId: 'req-1', card: { cardNumber: CARD }, currency: 'USD' });
      const [seen] = fake.seen;
      expect(seen.path).toBe('/merchant/search');
      expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('key:secret').toString('base64')}`);
      expect(seen.headers).toMatchObject({
        brand: 'brand-1',
        location: 'loc-1',
        terminal: 'term-1',
        customrequestid: 'req-1',
        'content-type': 'application/json',
      });
      expect(seen.body).toEqual({ filters: { cardNumber: CARD }, returnFields: { balances: true, active: true } });
    });

    it('accepts a base URL without the trailing slash', async () => {
      provider = make({ baseUrl: fake.url.replace(/\/$/, '') });
      fake.reply(ok({ transactionId: 't1' }));
      await provider.void({ requestId: 'r', cardNumber: CARD, transactionId: 'h1' });
      expect(fake.seen[0].path).toBe('/merchant/void');
      expect(fake.seen[0].body).toEqual({ transactionId: 'h1' });
    });

    it('reuses one keep-alive connection', async () => {
      let connections = 0;
      fake.always(ok({ transactionId: 'iss' }));
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

  describe('operations', () => {
    it('balance validates the PIN and sums available and held entries in the currency', async () => {
      fake.reply(
        ok({
          cards: [
            {
              cardNumber: CARD,
              active: true,
              balances: [
                { balanceType: 'Currency', balanceCode: 'USD', amount: 30.1 },
                { balanceType: 'Currency', balanceCode: 'USD', amount: 10.05, isHold: true },
                { balanceType: 'Currency', balanceCode: 'USD', amount: 0.01, isHold: true },
                { balanceType: 'Points', balanceCode: 'PTS', amount: 999 },
              ],
            },
          ],
        }),
      );
      const result = await provider.balance({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, currency: 'USD' });
      expect(result).toEqual({ available: usd(3010), held: usd(1006), active: true });
      expect(fake.seen[0].body).toMatchObject({ forcePinValidation: true, pin: PIN });
    });

    it('balance reports an inactive card and a card without entries as zero', async () => {
      fake.reply(ok({ cards: [{ cardNumber: CARD, active: false, balances: [] }] }));
      expect(await provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'JPY' })).toEqual({
        available: { minor: 0n, currency: 'JPY' },
        held: { minor: 0n, currency: 'JPY' },
        active: false,
      });
    });

    it('balance of a card in another currency is declined CURRENCY_MISMATCH', async () => {
      fake.reply(ok({ cards: [{ cardNumber: CARD, active: true, balances: [{ balanceType: 'Currency', balanceCode: 'EUR', amount: 5 }] }] }));
      const error = await caught(provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'USD' }));
      expect(error).toBeInstanceOf(ProviderDeclinedError);
      expect((error as ProviderDeclinedError).reason).toBe('CURRENCY_MISMATCH');
    });

    it('balance with no card in the answer is CARD_NOT_FOUND', async () => {
      fake.reply(ok({ cards: [] }));
      const error = await caught(provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'USD' }));
      expect((error as ProviderDeclinedError).reason).toBe('CARD_NOT_FOUND');
    });

    it('hold sends the amount in major units and reads the partial amount held', async () => {
      fake.reply(ok({ transactionId: 'hold-1', amountHeld: 12.34 }));
      const result = await provider.hold({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, amount: usd(5000), allowPartial: true });
      expect(result).toEqual({ holdId: 'hold-1', heldAmount: usd(1234) });
      expect(fake.seen[0].body).toEqual({
        cardNumber: CARD,
        action: 'hold',
        amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 50 },
        forcePinValidation: true,
        pin: PIN,
        redeemMaxOnOverdraw: true,
        returnBalances: true,
      });
    });

    it('hold without allowPartial does not overdraw and falls back to the requested amount', async () => {
      fake.reply(ok({ transactionId: 'hold-2' }));
      const result = await provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(1), allowPartial: false });
      expect(result).toEqual({ holdId: 'hold-2', heldAmount: usd(1) });
      expect(fake.seen[0].body).not.toHaveProperty('redeemMaxOnOverdraw');
      expect(fake.seen[0].body).not.toHaveProperty('pin');
    });

    it('a hold of nothing is declined INSUFFICIENT_FUNDS', async () => {
      fake.reply(ok({ transactionId: 'hold-3', amountHeld: 0 }));
      const error = await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(100), allowPartial: true }));
      expect((error as ProviderDeclinedError).reason).toBe('INSUFFICIENT_FUNDS');
    });

    it('redeemFromHold releases the remainder and reads the amount redeemed', async () => {
      fake.reply(ok({ transactionId: 'red-1', amountRedeemed: 7.5 }));
      const result = await provider.redeemFromHold({ requestId: 'r', cardNumber: CARD, holdId: 'hold-1', amount: usd(750) });
      expect(result).toEqual({ transactionId: 'red-1', redeemedAmount: usd(750) });
      expect(fake.seen[0].body).toEqual({
        cardNumber: CARD,
        action: 'redeem',
        amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 7.5 },
        redeemFromHoldTransactionId: 'hold-1',
        releaseHoldRemainder: true,
        returnBalances: true,
      });
    });

    it('releaseHold is a zero redeem of the hold with releaseHoldRemainder', async () => {
      fake.reply(ok({ transactionId: 'rel-1', amountRedeemed: 0 }));
      expect(await provider.releaseHold({ requestId: 'r', cardNumber: CARD, holdId: 'hold-1', currency: 'KWD' })).toEqual({ transactionId: 'rel-1' });
      expect(fake.seen[0].body).toMatchObject({
        action: 'redeem',
        amount: { balanceType: 'Currency', balanceCode: 'KWD', amount: 0 },
        redeemFromHoldTransactionId: 'hold-1',
        releaseHoldRemainder: true,
      });
    });

    it('redeem with allowPartial overdraws to what the card has', async () => {
      fake.reply(ok({ transactionId: 'red-2', amountRedeemed: 3 }));
      const result = await provider.redeem({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, amount: usd(1000), allowPartial: true });
      expect(result).toEqual({ transactionId: 'red-2', redeemedAmount: usd(300) });
      expect(fake.seen[0].body).toMatchObject({ action: 'redeem', redeemMaxOnOverdraw: true, pin: PIN, forcePinValidation: true });
    });

    it('issue marks refunds as return related', async () => {
      fake.reply(ok({ transactionId: 'iss-1' }), ok({ transactionId: 'iss-2' }));
      expect(await provider.issue({ requestId: 'r1', cardNumber: CARD, amount: usd(2500), returnRelated: true })).toEqual({ transactionId: 'iss-1' });
      await provider.issue({ requestId: 'r2', cardNumber: CARD, amount: usd(2500), returnRelated: false });
      expect(fake.seen[0].body).toMatchObject({ action: 'issue', isReturnRelated: true, amount: { amount: 25 } });
      expect(fake.seen[1].body).not.toHaveProperty('isReturnRelated');
    });

    it('allocate takes a card from a set; activate allocates the card number', async () => {
      fake.reply(ok({ cardNumber: CARD, pin: PIN, transactionId: 'al-1' }), ok({ cardNumber: CARD, transactionId: 'ac-1' }));
      expect(await provider.allocate({ requestId: 'r1', cardSetId: 'set-1' })).toEqual({ cardNumber: CARD, pin: PIN });
      expect(await provider.activate({ requestId: 'r2', cardNumber: CARD })).toEqual({ transactionId: 'ac-1' });
      expect(fake.seen.map((s) => [s.path, s.body])).toEqual([
        ['/merchant/allocate', { cardSetId: 'set-1' }],
        ['/merchant/allocate', { cardNumber: CARD }],
      ]);
    });

    it('findTransaction matches our reference in the history and maps each action', async () => {
      const amount = (value: number) => ({ balanceType: 'Currency', balanceCode: 'USD', amount: value });
      const history = {
        transactions: [
          { transactionId: 't6', customRequestId: 'void-ref', action: 'void', amount: amount(10), relatedTransactionId: 't1', createdAt: 'x' },
          { transactionId: 't5', customRequestId: 'release-ref', action: 'redeem', amount: amount(0), relatedTransactionId: 't4', createdAt: 'x' },
          { transactionId: 't4', customRequestId: 'hold-ref', action: 'hold', amount: amount(12.5), createdAt: 'x' },
          { transactionId: 't3', customRequestId: 'redeem-ref', action: 'redeem', amount: amount(1.01), relatedTransactionId: 't2', createdAt: 'x' },
          { transactionId: 't2', customRequestId: 'activate-ref', action: 'activate', amount: amount(0), createdAt: 'x' },
          { transactionId: 't1', customRequestId: 'issue-ref', action: 'issue', amount: amount(10), voided: true, createdAt: 'x' },
          { transactionId: 't0', customRequestId: 'allocate-ref', action: 'allocate', createdAt: 'x' },
        ],
      };
      fake.always(ok(history));
      const find = (reference: string) => provider.findTransaction({ requestId: 'lookup', cardNumber: CARD, reference, currency: 'USD' });
      expect(await find('hold-ref')).toEqual({ transactionId: 't4', kind: 'HOLD', amount: usd(1250), voided: false });
      expect(await find('release-ref')).toEqual({ transactionId: 't5', kind: 'RELEASE', amount: usd(0), relatedTransactionId: 't4', voided: false });
      expect(await find('redeem-ref')).toMatchObject({ kind: 'REDEEM', amount: usd(101), relatedTransactionId: 't2' });
      expect(await find('issue-ref')).toMatchObject({ kind: 'ISSUE', voided: true });
      expect(await find('void-ref')).toMatchObject({ kind: 'VOID', relatedTransactionId: 't1' });
      expect(await find('activate-ref')).toMatchObject({ kind: 'ACTIVATE' });
      expect(await find('allocate-ref')).toMatchObject({ kind: 'ALLOCATE', amount: usd(0) });
      expect(await find('never-sent')).toBeNull();
      expect(fake.seen[0]).toMatchObject({ path: '/merchant/cardHistory', body: { cardNumber: CARD } });
    });

    it('checkHealth treats "card not found" as healthy and refused credentials as unhealthy', async () => {
      fake.reply(fail(ClutchErrorMessages.cardNotFound), fail(ClutchErrorMessages.unauthorized, 401));
      await expect(provider.checkHealth()).resolves.toBeUndefined();
      const error = await caught(provider.checkHealth());
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error.message).toMatch(/credentials/);
    });
  });

  describe('amounts at the edges', () => {
    it.each([
      [0n, 'USD', 0],
      [1n, 'USD', 0.01],
      [99999999999999n, 'USD', 999999999999.99],
      [1234567n, 'JPY', 1234567],
      [1n, 'KWD', 0.001],
      [123456n, 'KWD', 123.456],
    ])('%s minor %s travels as %s and comes back exactly', async (minor, currency, major) => {
      fake.reply((seen) => ok({ transactionId: 'h', amountHeld: (seen.body.amount as { amount: number }).amount }));
      const amount = { minor, currency };
      if (minor === 0n) {
        // A zero hold is a decline by contract; send it as a release instead.
        fake.reset();
        fake.reply(ok({ transactionId: 'rel', amountRedeemed: 0 }));
        await provider.releaseHold({ requestId: 'r', cardNumber: CARD, holdId: 'h', currency });
      } else {
        const result = await provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount, allowPartial: true });
        expect(result.heldAmount).toEqual(amount);
      }
      expect(fake.seen[0].body.amount).toEqual({ balanceType: 'Currency', balanceCode: currency, amount: major });
    });

    it('refuses a provider amount with more decimals than the currency as an unknown outcome of a hold', async () => {
      fake.reply(ok({ transactionId: 'h', amountHeld: 1.234 }));
      const error = await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(500), allowPartial: true }));
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
    });

    it('an amount a JSON number cannot carry exactly is refused before sending', async () => {
      const error = await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(8913919192961624n), allowPartial: false }));
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(fake.seen).toHaveLength(0);
    });

    it('a hold answer without transactionId is an unknown outcome', async () => {
      fake.reply(ok({ amountHeld: 1 }));
      expect(await caught(provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(100), allowPartial: false }))).toBeInstanceOf(
        ProviderOutcomeUnknownError,
      );
    });
  });

  describe('failures over HTTP', () => {
    const hold = () => provider.hold({ requestId: 'r', card: { cardNumber: CARD, pin: PIN }, amount: usd(100), allowPartial: false });
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
    ] as const)('%s -> declined %s, not retried', async (key, reason) => {
      fake.always(fail(ClutchErrorMessages[key]));
      const error = await caught(search());
      expect(error).toBeInstanceOf(ProviderDeclinedError);
      expect((error as ProviderDeclinedError).reason).toBe(reason);
      expect(fake.seen).toHaveLength(1);
    });

    it('void of an unknown transaction is NOT_VOIDABLE', async () => {
      fake.reply(fail(ClutchErrorMessages.transactionNotFound));
      const error = await caught(provider.void({ requestId: 'r', cardNumber: CARD, transactionId: 'nope' }));
      expect((error as ProviderDeclinedError).reason).toBe('NOT_VOIDABLE');
    });

    it.each([
      [400, 'Invalid request: amount.amount must be a number'],
      [403, 'Forbidden.'],
      [404, 'Not found.'],
    ])('HTTP %i -> invalid request', async (status, message) => {
      fake.always(fail(message, status));
      expect(await caught(hold())).toBeInstanceOf(ProviderInvalidRequestError);
      expect(await caught(search())).toBeInstanceOf(ProviderInvalidRequestError);
      expect(fake.seen).toHaveLength(2);
    });

    it('HTTP 401 -> invalid request naming the credentials', async () => {
      fake.always(fail(ClutchErrorMessages.unauthorized, 401));
      const error = await caught(hold());
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error.message).toMatch(/misconfigured/);
    });

    it.each([500, 502, 503, 429])('HTTP %i -> unavailable; a mutating call is sent once', async (status) => {
      fake.always(fail(status === 429 ? ClutchErrorMessages.rateLimited : ClutchErrorMessages.internal, status));
      const error = await caught(hold());
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.seen).toHaveLength(1);
    });

    it('HTTP 503 on a read is retried, then unavailable', async () => {
      fake.always(fail(ClutchErrorMessages.internal, 503));
      expect(await caught(search())).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.seen).toHaveLength(3);
    });

    it('a read that fails once and then answers succeeds', async () => {
      fake.reply({ destroy: true }, fail(ClutchErrorMessages.rateLimited, 429), ok({ cards: [{ cardNumber: CARD, balances: [] }] }));
      expect(await search()).toMatchObject({ available: usd(0), active: true });
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
  });

  describe('circuit breaker', () => {
    const hold = () => provider.hold({ requestId: 'r', card: { cardNumber: CARD }, amount: usd(100), allowPartial: false });

    it('opens after consecutive failures, fails fast, and closes after a successful trial', async () => {
      provider = make({ breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 } });
      fake.always(fail(ClutchErrorMessages.internal, 503));
      for (let i = 0; i < 3; i++) expect(await caught(hold())).toBeInstanceOf(ProviderUnavailableError);
      expect(provider.circuitState).toBe('open');
      const fast = await caught(hold());
      expect(fast).toBeInstanceOf(ProviderUnavailableError);
      expect(fast.message).toBe('circuit open');
      expect(fast.details?.circuitOpen).toBe(true);
      expect(fake.seen).toHaveLength(3);

      await new Promise((resolve) => setTimeout(resolve, 250));
      fake.always(ok({ transactionId: 'h' }));
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
        fail(ClutchErrorMessages.internal, 503),
        fail(ClutchErrorMessages.internal, 503),
        fail(ClutchErrorMessages.insufficientFunds),
        fail(ClutchErrorMessages.internal, 503),
        fail(ClutchErrorMessages.internal, 503),
        fail('Invalid request: x', 400),
        fail(ClutchErrorMessages.internal, 503),
        fail(ClutchErrorMessages.internal, 503),
      );
      for (let i = 0; i < 8; i++) await caught(hold());
      expect(provider.circuitState).toBe('closed');
      expect(states).toEqual([]);
    });

    it('does not retry a read into an open circuit', async () => {
      provider = make({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 10_000 } });
      fake.always(fail(ClutchErrorMessages.internal, 503));
      const error = await caught(provider.balance({ requestId: 'r', card: { cardNumber: CARD }, currency: 'USD' }));
      expect(error.message).toBe('circuit open');
      expect(fake.seen).toHaveLength(2);
    });
  });

  describe('logging', () => {
    it('logs each call with method, request id, duration and outcome, masking the card and never the PIN', async () => {
      fake.reply(ok({ transactionId: 'h', requestRef: 'clutch-ref-9' }), fail(ClutchErrorMessages.invalidPin), { destroy: true });
      await provider.hold({ requestId: 'req-a', card: { cardNumber: CARD, pin: PIN }, amount: usd(100), allowPartial: false });
      await caught(provider.hold({ requestId: 'req-b', card: { cardNumber: CARD, pin: PIN }, amount: usd(100), allowPartial: false }));
      const unknown = await caught(provider.hold({ requestId: 'req-c', card: { cardNumber: CARD, pin: PIN }, amount: usd(100), allowPartial: false }));

      expect(logger.entries).toEqual([
        expect.objectContaining({ level: 'debug', operation: 'hold', providerMethod: 'updateBalance', requestId: 'req-a', requestRef: 'clutch-ref-9', card: '****7890', outcome: 'ok', durationMs: expect.any(Number) }),
        expect.objectContaining({ level: 'debug', requestId: 'req-b', outcome: 'DECLINED', reason: 'INVALID_PIN', requestRef: 'ref-f' }),
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
  });
});
