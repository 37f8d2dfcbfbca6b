import { ClutchGiftCardProvider } from '@gcpa/clutch';
import {
  ProviderDeclinedError,
  ProviderError,
  ProviderInvalidRequestError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
} from '@gcpa/gift-card-provider';
import { Money } from '@gcpa/money';
import { randomUUID } from 'node:crypto';
import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { RecordingLogger, SandboxAdmin, sandboxProvider } from './sandbox-admin';

/** Contract tests: the Clutch client against the Clutch sandbox over real HTTP. */

const usd = (minor: bigint | number): Money => ({ minor: BigInt(minor), currency: 'USD' });
const rid = (label: string) => `${label}-${randomUUID()}`;

async function caught(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    return error as ProviderError;
  }
  throw new Error('expected a failure');
}

async function declineReason(promise: Promise<unknown>): Promise<string> {
  const error = await caught(promise);
  expect(error).toBeInstanceOf(ProviderDeclinedError);
  return (error as ProviderDeclinedError).reason;
}

describe('Clutch client against the sandbox', () => {
  let db: TestDatabase;
  let sandbox: RunningApp;
  let admin: SandboxAdmin;
  let provider: ClutchGiftCardProvider;
  let logger: RecordingLogger;
  const opened: ClutchGiftCardProvider[] = [];
  const client = (overrides: Parameters<typeof sandboxProvider>[1] = {}) => {
    const made = sandboxProvider(sandbox.url, overrides);
    opened.push(made.provider);
    return made;
  };

  beforeAll(async () => {
    db = await createTestDatabase('clutch_client');
    sandbox = await startSandbox(db.url, { SANDBOX_SEED_DEMO: 'false' });
    admin = new SandboxAdmin(sandbox.url);
  });

  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  beforeEach(() => {
    ({ provider, logger } = client());
  });

  afterEach(async () => {
    await admin.clearFaults();
    await Promise.all(opened.splice(0).map((p) => p.close()));
  });

  describe('every method', () => {
    it('balance: available and held in minor units, PIN validated', async () => {
      const card = await admin.createCard({ balance: '42.00', pin: '1234' });
      const creds = { cardNumber: card.cardNumber, pin: '1234' };
      expect(await provider.balance({ requestId: rid('bal'), card: creds, currency: 'USD' })).toEqual({ available: usd(4200), held: usd(0), active: true });

      await provider.hold({ requestId: rid('hold'), card: creds, amount: usd(1001), allowPartial: false });
      expect(await provider.balance({ requestId: rid('bal'), card: creds, currency: 'USD' })).toEqual({ available: usd(3199), held: usd(1001), active: true });
    });

    it('balance of JPY and KWD cards is exact', async () => {
      const yen = await admin.createCard({ balance: '5000', currency: 'JPY' });
      const dinar = await admin.createCard({ balance: '1.234', currency: 'KWD' });
      expect((await provider.balance({ requestId: rid('b'), card: { cardNumber: yen.cardNumber }, currency: 'JPY' })).available).toEqual({ minor: 5000n, currency: 'JPY' });
      expect((await provider.balance({ requestId: rid('b'), card: { cardNumber: dinar.cardNumber }, currency: 'KWD' })).available).toEqual({ minor: 1234n, currency: 'KWD' });
      expect(await declineReason(provider.balance({ requestId: rid('b'), card: { cardNumber: dinar.cardNumber }, currency: 'USD' }))).toBe('CURRENCY_MISMATCH');
    });

    it('hold, then redeemFromHold charges part and releases the rest', async () => {
      const card = await admin.createCard({ balance: '100.00' });
      const hold = await provider.hold({ requestId: rid('hold'), card: { cardNumber: card.cardNumber }, amount: usd(6000), allowPartial: false });
      expect(hold.heldAmount).toEqual(usd(6000));
      expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '100.00', held: '60.00', available: '40.00' });

      const redeemed = await provider.redeemFromHold({ requestId: rid('cap'), cardNumber: card.cardNumber, holdId: hold.holdId, amount: usd(2550) });
      expect(redeemed.redeemedAmount).toEqual(usd(2550));
      expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '74.50', held: '0.00', available: '74.50' });
      expect(await declineReason(provider.redeemFromHold({ requestId: rid('cap'), cardNumber: card.cardNumber, holdId: hold.holdId, amount: usd(1) }))).toBe('HOLD_NOT_AVAILABLE');
    });

    it('partial hold: a short card holds what it has', async () => {
      const card = await admin.createCard({ balance: '10.00' });
      const hold = await provider.hold({ requestId: rid('hold'), card: { cardNumber: card.cardNumber }, amount: usd(2500), allowPartial: true });
      expect(hold.heldAmount).toEqual(usd(1000));
      expect(await admin.card(card.cardNumber)).toMatchObject({ held: '10.00', available: '0.00' });
      expect(await declineReason(provider.hold({ requestId: rid('hold'), card: { cardNumber: card.cardNumber }, amount: usd(100), allowPartial: true }))).toBe('INSUFFICIENT_FUNDS');
    });

    it('releaseHold releases the whole hold and is found as RELEASE', async () => {
      const card = await admin.createCard({ balance: '20.00' });
      const hold = await provider.hold({ requestId: rid('hold'), card: { cardNumber: card.cardNumber }, amount: usd(1500), allowPartial: false });
      const releaseId = rid('release');
      const release = await provider.releaseHold({ requestId: releaseId, cardNumber: card.cardNumber, holdId: hold.holdId, currency: 'USD' });
      expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '20.00', held: '0.00', available: '20.00' });
      expect(await declineReason(provider.releaseHold({ requestId: rid('release'), cardNumber: card.cardNumber, holdId: hold.holdId, currency: 'USD' }))).toBe('HOLD_NOT_AVAILABLE');
      expect(await provider.findTransaction({ requestId: rid('find'), cardNumber: card.cardNumber, reference: releaseId, currency: 'USD' })).toEqual({
        transactionId: release.transactionId,
        kind: 'RELEASE',
        amount: usd(0),
        relatedTransactionId: hold.holdId,
        voided: false,
      });
    });

    it('redeem without a hold, and with allowPartial on a short card', async () => {
      const card = await admin.createCard({ balance: '30.00', pin: '4321' });
      const creds = { cardNumber: card.cardNumber, pin: '4321' };
      expect((await provider.redeem({ requestId: rid('r'), card: creds, amount: usd(1), allowPartial: false })).redeemedAmount).toEqual(usd(1));
      expect((await provider.redeem({ requestId: rid('r'), card: creds, amount: usd(5000), allowPartial: true })).redeemedAmount).toEqual(usd(2999));
      expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '0.00' });
    });

    it('issue, including a return-related refund, found by reference', async () => {
      const card = await admin.createCard({ balance: '0.00' });
      const refundId = rid('refund');
      const issued = await provider.issue({ requestId: refundId, cardNumber: card.cardNumber, amount: usd(1234), returnRelated: true });
      await provider.issue({ requestId: rid('issue'), cardNumber: card.cardNumber, amount: usd(1), returnRelated: false });
      expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '12.35' });
      expect(await provider.findTransaction({ requestId: rid('f'), cardNumber: card.cardNumber, reference: refundId, currency: 'USD' })).toEqual({
        transactionId: issued.transactionId,
        kind: 'ISSUE',
        amount: usd(1234),
        voided: false,
      });
    });

    it('allocate gives an inactive card; activate makes it usable, idempotently', async () => {
      await admin.createCardSet({ id: 'contract-set', hasPin: true, currency: 'USD' });
      const allocateId = rid('alloc');
      const card = await provider.allocate({ requestId: allocateId, cardSetId: 'contract-set' });
      expect(card.cardNumber).toMatch(/^\d+$/);
      expect(card.pin).toMatch(/^\d{4}$/);
      // The same request id gives the same card.
      expect(await provider.allocate({ requestId: allocateId, cardSetId: 'contract-set' })).toEqual(card);

      expect((await provider.balance({ requestId: rid('b'), card, currency: 'USD' })).active).toBe(false);
      await provider.activate({ requestId: rid('act'), cardNumber: card.cardNumber });
      await provider.activate({ requestId: rid('act'), cardNumber: card.cardNumber });
      expect((await provider.balance({ requestId: rid('b'), card, currency: 'USD' })).active).toBe(true);
      expect(await declineReason(provider.allocate({ requestId: rid('alloc'), cardSetId: 'no-such-set' }))).toBe('CARD_SET_NOT_FOUND');
    });

    it('void undoes a hold, idempotently; an unknown transaction is NOT_VOIDABLE', async () => {
      const card = await admin.createCard({ balance: '50.00' });
      const hold = await provider.hold({ requestId: rid('hold'), card: { cardNumber: card.cardNumber }, amount: usd(2000), allowPartial: false });
      await provider.void({ requestId: rid('void'), cardNumber: card.cardNumber, transactionId: hold.holdId });
      await provider.void({ requestId: rid('void'), cardNumber: card.cardNumber, transactionId: hold.holdId });
      expect(await admin.card(card.cardNumber)).toMatchObject({ balance: '50.00', held: '0.00', available: '50.00' });
      expect(await declineReason(provider.void({ requestId: rid('void'), cardNumber: card.cardNumber, transactionId: randomUUID() }))).toBe('NOT_VOIDABLE');
    });

    it('findTransaction returns null for a reference never applied', async () => {
      const card = await admin.createCard({ balance: '5.00' });
      expect(await provider.findTransaction({ requestId: rid('f'), cardNumber: card.cardNumber, reference: 'never-sent', currency: 'USD' })).toBeNull();
    });

    it('checkHealth passes with the right credentials', async () => {
      await expect(provider.checkHealth()).resolves.toBeUndefined();
    });
  });

  describe('declines', () => {
    it('insufficient funds', async () => {
      const card = await admin.createCard({ balance: '10.00' });
      expect(await declineReason(provider.hold({ requestId: rid('h'), card: { cardNumber: card.cardNumber }, amount: usd(1001), allowPartial: false }))).toBe('INSUFFICIENT_FUNDS');
      expect(await declineReason(provider.redeem({ requestId: rid('r'), card: { cardNumber: card.cardNumber }, amount: usd(1001), allowPartial: false }))).toBe('INSUFFICIENT_FUNDS');
    });

    it('wrong PIN', async () => {
      const card = await admin.createCard({ balance: '10.00', pin: '1111' });
      const creds = { cardNumber: card.cardNumber, pin: '2222' };
      expect(await declineReason(provider.balance({ requestId: rid('b'), card: creds, currency: 'USD' }))).toBe('INVALID_PIN');
      expect(await declineReason(provider.hold({ requestId: rid('h'), card: creds, amount: usd(100), allowPartial: false }))).toBe('INVALID_PIN');
    });

    it('inactive card', async () => {
      const card = await admin.createCard({ balance: '10.00', active: false });
      expect(await declineReason(provider.hold({ requestId: rid('h'), card: { cardNumber: card.cardNumber }, amount: usd(100), allowPartial: false }))).toBe('CARD_INACTIVE');
    });

    it('unknown card', async () => {
      const unknown = { cardNumber: '6006490000000000001' };
      expect(await declineReason(provider.balance({ requestId: rid('b'), card: unknown, currency: 'USD' }))).toBe('CARD_NOT_FOUND');
      expect(await declineReason(provider.hold({ requestId: rid('h'), card: unknown, amount: usd(100), allowPartial: false }))).toBe('CARD_NOT_FOUND');
    });
  });

  describe('faults', () => {
    it('apply-then-drop: the hold is unknown, then found by findTransaction and on the ledger', async () => {
      const card = await admin.createCard({ balance: '40.00' });
      await admin.setFaults({ dropRate: 1, methods: ['updateBalance'] });
      const holdId = rid('hold');
      const error = await caught(provider.hold({ requestId: holdId, card: { cardNumber: card.cardNumber }, amount: usd(1500), allowPartial: false }));
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
      await admin.clearFaults();

      const found = await provider.findTransaction({ requestId: rid('find'), cardNumber: card.cardNumber, reference: holdId, currency: 'USD' });
      expect(found).toMatchObject({ kind: 'HOLD', amount: usd(1500), voided: false });
      expect(await admin.card(card.cardNumber)).toMatchObject({ held: '15.00', available: '25.00' });
    });

    it('timeout before apply: the hold is unknown, and findTransaction finds nothing', async () => {
      ({ provider } = client({ timeoutMs: 300 }));
      const card = await admin.createCard({ balance: '40.00' });
      await admin.setFaults({ timeoutRate: 1, methods: ['updateBalance'], hangMs: 5000 });
      const holdId = rid('hold');
      const error = await caught(provider.hold({ requestId: holdId, card: { cardNumber: card.cardNumber }, amount: usd(1500), allowPartial: false }));
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(error.message).toMatch(/timed out/);
      await admin.clearFaults();

      expect(await provider.findTransaction({ requestId: rid('find'), cardNumber: card.cardNumber, reference: holdId, currency: 'USD' })).toBeNull();
      expect(await admin.card(card.cardNumber)).toMatchObject({ held: '0.00', available: '40.00' });
    });

    it('5xx: unavailable, nothing applied; a read is retried and then unavailable', async () => {
      const card = await admin.createCard({ balance: '40.00' });
      await admin.setFaults({ errorRate: 1 });
      const error = await caught(provider.hold({ requestId: rid('h'), card: { cardNumber: card.cardNumber }, amount: usd(100), allowPartial: false }));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error.details?.httpStatus).toBe(503);
      expect(await caught(provider.balance({ requestId: rid('b'), card: { cardNumber: card.cardNumber }, currency: 'USD' }))).toBeInstanceOf(ProviderUnavailableError);
      expect(logger.entries.filter((e) => e.operation === 'balance')).toHaveLength(3);
      await admin.clearFaults();
      expect(await admin.card(card.cardNumber)).toMatchObject({ held: '0.00', available: '40.00' });
    });

    it('429: unavailable', async () => {
      const card = await admin.createCard({ balance: '40.00' });
      await admin.setFaults({ rateLimitRate: 1 });
      const error = await caught(provider.redeem({ requestId: rid('r'), card: { cardNumber: card.cardNumber }, amount: usd(100), allowPartial: false }));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error.details?.httpStatus).toBe(429);
    });

    it('reset: unknown for a mutating call (nothing applied); a search is retried, then unavailable', async () => {
      const card = await admin.createCard({ balance: '40.00' });
      await admin.setFaults({ resetRate: 1 });
      expect(await caught(provider.hold({ requestId: rid('h'), card: { cardNumber: card.cardNumber }, amount: usd(100), allowPartial: false }))).toBeInstanceOf(
        ProviderOutcomeUnknownError,
      );
      expect(await caught(provider.balance({ requestId: rid('b'), card: { cardNumber: card.cardNumber }, currency: 'USD' }))).toBeInstanceOf(ProviderUnavailableError);
      expect(logger.entries.filter((e) => e.operation === 'balance').map((e) => e.attempt ?? 1)).toEqual([1, 2, 3]);
      await admin.clearFaults();
      expect(await admin.card(card.cardNumber)).toMatchObject({ held: '0.00', available: '40.00' });
    });

    it('a search that fails once is answered by the retry', async () => {
      const card = await admin.createCard({ balance: '40.00' });
      // The sandbox's dice are reproducible: with seed 8 and a 50% error rate the first search gets a 503
      // and the second an answer.
      await admin.setFaults({ errorRate: 0.5, seed: 8, methods: ['search'] });
      expect((await provider.balance({ requestId: rid('b'), card: { cardNumber: card.cardNumber }, currency: 'USD' })).available).toEqual(usd(4000));
      expect(logger.entries.map((e) => [e.attempt ?? 1, e.outcome])).toEqual([
        [1, 'UNAVAILABLE'],
        [2, 'ok'],
      ]);
    });
  });

  describe('circuit breaker', () => {
    it('opens after repeated 503s, fails fast, and closes again once Clutch answers', async () => {
      ({ provider } = client({ breaker: { consecutiveFailures: 3, halfOpenAfterMs: 300 } }));
      const card = await admin.createCard({ balance: '40.00' });
      const hold = () => provider.hold({ requestId: rid('h'), card: { cardNumber: card.cardNumber }, amount: usd(100), allowPartial: false });
      await admin.setFaults({ errorRate: 1 });
      for (let i = 0; i < 3; i++) expect((await caught(hold())).details?.httpStatus).toBe(503);
      expect(provider.circuitState).toBe('open');
      const fast = await caught(hold());
      expect(fast).toBeInstanceOf(ProviderUnavailableError);
      expect(fast.message).toBe('circuit open');

      await admin.clearFaults();
      expect((await caught(hold())).message).toBe('circuit open');
      await new Promise((resolve) => setTimeout(resolve, 350));
      await expect(hold()).resolves.toMatchObject({ heldAmount: usd(100) });
      expect(provider.circuitState).toBe('closed');
      expect(await admin.card(card.cardNumber)).toMatchObject({ held: '1.00' });
    });
  });

  describe('configuration', () => {
    it('wrong credentials: invalid request naming the credentials, and an unhealthy check', async () => {
      ({ provider } = client({ apiSecret: 'not-the-secret' }));
      const card = await admin.createCard({ balance: '1.00' });
      const error = await caught(provider.balance({ requestId: rid('b'), card: { cardNumber: card.cardNumber }, currency: 'USD' }));
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error.message).toMatch(/credentials/);
      expect(error.details?.httpStatus).toBe(401);
      expect(await caught(provider.checkHealth())).toBeInstanceOf(ProviderInvalidRequestError);
    });

    it('a request Clutch refuses as malformed is an invalid request', async () => {
      const card = await admin.createCard({ balance: '5.00' });
      const error = await caught(provider.hold({ requestId: rid('h'), card: { cardNumber: card.cardNumber }, amount: usd(0), allowPartial: false }));
      expect(error).toBeInstanceOf(ProviderInvalidRequestError);
      expect(error.providerMessage).toMatch(/^Invalid request:/);
      expect(error.details?.httpStatus).toBe(400);
    });

    it('a wrong brand header is refused the same way', async () => {
      ({ provider } = client({ brand: 'other-brand' }));
      expect(await caught(provider.checkHealth())).toBeInstanceOf(ProviderInvalidRequestError);
    });
  });
});
