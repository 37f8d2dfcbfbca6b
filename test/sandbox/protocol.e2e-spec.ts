import { CLUTCH_ERRORS } from '@gcpa/clutch';
import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, UUID, availableOf, holdEntry, refused, sandboxClient, usd, valueEntry } from './sandbox-client';

/**
 * The merchant API answers exactly like the [wire] facts of the shared Clutch notes (clutch-api.md): exact
 * shapes (toEqual), so a field the sandbox adds and a client could come to depend on fails here.
 */
describe('Clutch sandbox: merchant API', () => {
  let database: TestDatabase;
  let sandbox: RunningApp;
  let clutch: SandboxClient;

  beforeAll(async () => {
    database = await createTestDatabase('sandbox_protocol');
    sandbox = await startSandbox(database.url);
    clutch = sandboxClient(sandbox.url);
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  afterEach(async () => {
    await clutch.resetBehaviour();
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  const ref = expect.stringMatching(UUID);
  /** The success answer of updateBalance: no amount field, `balances` only when asked. */
  const updated = (cardNumber: string, extra: Record<string, unknown> = {}) => ({
    success: true,
    transactionId: expect.stringMatching(UUID),
    cardNumber,
    didOverdraw: false,
    requestRef: ref,
    ...extra,
  });

  describe('transport', () => {
    it('accepts the optional headers on every call and keeps customRequestId and externalTransactionId on what the call made', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const headers = { customRequestId: 'pc-42', externalTransactionId: 'pc-42', note: 'a note', employee: 'emp-7' };
      const redeem = await clutch.redeem(card.cardNumber, 1, {}, headers);
      expect(redeem.data).toEqual(updated(card.cardNumber));
      for (const [method, body] of [
        ['search', { filters: { cardNumber: card.cardNumber } }],
        ['cardHistory', { cardNumber: card.cardNumber }],
        ['allocate', { cardSetId: 'egift' }],
        ['voidTransaction', { transactionId: redeem.data.transactionId }],
      ] as const) {
        const response = await clutch.call(method, body, headers);
        expect(response.status).toBe(200);
        expect(response.data.success).toBe(true);
      }
      const rows = await database.query<{ custom_request_id: string; external_transaction_id: string; request_ref: string }>(
        `SELECT custom_request_id, external_transaction_id, request_ref::text FROM clutch_sandbox.ledger_transaction WHERE id = $1`,
        [redeem.data.transactionId],
      );
      expect(rows).toEqual([{ custom_request_id: 'pc-42', external_transaction_id: 'pc-42', request_ref: redeem.data.requestRef }]);
    });
  });

  describe('search', () => {
    it('answers the card with its available value and one entry per open hold', async () => {
      const card = await clutch.createCard({ balance: '42.50', pin: '1111' });
      const hold = await clutch.hold(card.cardNumber, 10);
      expect(hold.status).toBe(200);

      const response = await clutch.search(card.cardNumber, { pin: '1111' });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({
        success: true,
        cards: [
          {
            cardNumber: card.cardNumber,
            cardSetId: 'egift',
            activationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            balances: [valueEntry(32.5), holdEntry(10, hold.data.transactionId)],
          },
        ],
        usedCache: false,
        requestRef: ref,
      });
      expect(availableOf(response.data.cards[0].balances)).toBe(32.5);
    });

    it('answers an unknown card with a success and no cards', async () => {
      for (const includeInactive of [true, false]) {
        const unknown = await clutch.search('6999999999999999', { includeInactive });
        expect(unknown.status).toBe(200);
        expect(unknown.data).toEqual({ success: true, cards: [], usedCache: false, requestRef: ref });
      }
      // The PIN of a card nobody knows cannot be wrong.
      expect((await clutch.search('6999999999999999', { pin: '0000' })).data.cards).toEqual([]);
    });

    it('lists an inactive card only with includeInactive, and without an activation date', async () => {
      const inactive = await clutch.createCard({ balance: '5.00', active: false });
      const hidden = await clutch.search(inactive.cardNumber, { includeInactive: false });
      expect(hidden.data).toEqual({ success: true, cards: [], usedCache: false, requestRef: ref });
      const plain = await clutch.call('search', { filters: { cardNumber: inactive.cardNumber } });
      expect(plain.data.cards).toEqual([]);

      const listed = await clutch.search(inactive.cardNumber, { includeInactive: true });
      expect(listed.data.cards).toEqual([{ cardNumber: inactive.cardNumber, cardSetId: 'egift', balances: [valueEntry(5)] }]);
    });

    it('answers balances [] for a card with nothing on it, and the scale of the currency', async () => {
      const empty = await clutch.createCard({ balance: '0.00' });
      expect(await clutch.balances(empty.cardNumber)).toEqual([]);
      const jpy = await clutch.createCard({ balance: '5000', currency: 'JPY' });
      expect(await clutch.balances(jpy.cardNumber)).toEqual([valueEntry(5000, 'JPY', 0)]);
      const kwd = await clutch.createCard({ balance: '1.234', currency: 'KWD' });
      expect(await clutch.balances(kwd.cardNumber)).toEqual([valueEntry(1.234, 'KWD', 3)]);
    });

    it('still shows a fully held card: available 0 and its hold', async () => {
      const card = await clutch.createCard({ balance: '8.00' });
      const hold = await clutch.hold(card.cardNumber, 8);
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(0), holdEntry(8, hold.data.transactionId)]);
    });

    it('refuses a wrong PIN with forcePinValidation (code 10) and does not check it otherwise', async () => {
      const card = await clutch.createCard({ balance: '5.00', pin: '1234' });
      const wrong = await clutch.search(card.cardNumber, { pin: '9999' });
      expect(wrong.status).toBe(400);
      expect(wrong.data).toEqual(refused('invalidPin'));
      expect(wrong.data).toMatchObject({ errorCode: 10, errorMessage: 'Invalid card PIN.' });
      const none = await clutch.call('search', { filters: { cardNumber: card.cardNumber }, forcePinValidation: true });
      expect(none.data).toEqual(refused('invalidPin'));
      const unchecked = await clutch.call('search', { filters: { cardNumber: card.cardNumber }, pin: '9999' });
      expect(unchecked.data.success).toBe(true);
      expect((await clutch.search(card.cardNumber, { pin: '1234' })).data.cards).toHaveLength(1);
    });

    it('refuses a search without a card number with code 6', async () => {
      for (const filters of [{}, { cardNumber: '' }, { cardNumber: null }]) {
        const response = await clutch.call('search', { filters, returnFields: { balances: true } });
        expect(response.status).toBe(400);
        expect(response.data).toEqual(refused('noCardNumber'));
        expect(response.data).toMatchObject({ errorCode: 6, errorMessage: 'No card number was specified.' });
      }
    });
  });

  describe('updateBalance', () => {
    it('answers a hold with its transactionId, the holdingTransactionId of its entry, and no amount field', async () => {
      const card = await clutch.createCard({ balance: '50.00' });
      const hold = await clutch.hold(card.cardNumber, 30);
      expect(hold.status).toBe(200);
      expect(hold.data).toEqual(updated(card.cardNumber));
      const withBalances = await clutch.hold(card.cardNumber, 5, { returnBalances: true });
      expect(withBalances.data).toEqual(
        updated(card.cardNumber, {
          balances: [valueEntry(15), holdEntry(30, hold.data.transactionId), holdEntry(5, withBalances.data.transactionId)],
        }),
      );
      expect(withBalances.data.transactionId).not.toBe(hold.data.transactionId);
    });

    it('redeems from a hold releasing the remainder: the hold entry disappears', async () => {
      const card = await clutch.createCard({ balance: '50.00' });
      const hold = await clutch.hold(card.cardNumber, 30);
      const redeem = await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 12.34, true, { returnBalances: true });
      expect(redeem.data).toEqual(updated(card.cardNumber, { balances: [valueEntry(37.66)] }));
      expect(redeem.data.transactionId).not.toBe(hold.data.transactionId);
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(37.66)]);
      const detail = await clutch.card(card.cardNumber);
      expect(detail).toMatchObject({ balance: '37.66', held: '0.00', available: '37.66' });
      expect(detail.holds).toEqual([expect.objectContaining({ holdId: hold.data.transactionId, status: 'REDEEMED' })]);

      const again = await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 1);
      expect(again.status).toBe(400);
      expect(again.data).toEqual(refused('holdClosed'));
    });

    it('releases a hold with the zero-amount reversal, only once', async () => {
      const card = await clutch.createCard({ balance: '20.00' });
      const hold = await clutch.hold(card.cardNumber, 15);
      const first = await clutch.release(card.cardNumber, hold.data.transactionId);
      expect(first.data).toEqual(updated(card.cardNumber));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(20)]);
      const second = await clutch.release(card.cardNumber, hold.data.transactionId);
      expect(second.status).toBe(400);
      expect(second.data).toEqual(refused('holdClosed'));

      const detail = await clutch.card(card.cardNumber);
      expect(detail).toMatchObject({ balance: '20.00', held: '0.00' });
      expect(detail.holds[0].status).toBe('RELEASED');
      expect(detail.history[0]).toMatchObject({ action: 'redeem', amount: '0.00' });
    });

    it('redeems from a hold several times without releaseHoldRemainder; the hold entry shows what is left', async () => {
      const card = await clutch.createCard({ balance: '20.00' });
      const hold = await clutch.hold(card.cardNumber, 10);
      const holdId = hold.data.transactionId;
      expect((await clutch.redeemFromHold(card.cardNumber, holdId, 4, false)).data).toEqual(updated(card.cardNumber));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10), holdEntry(6, holdId)]);
      expect((await clutch.redeemFromHold(card.cardNumber, holdId, 2.5, false)).data.success).toBe(true);
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10), holdEntry(3.5, holdId)]);
      expect((await clutch.redeemFromHold(card.cardNumber, holdId, 3.5, true)).data.success).toBe(true);
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10)]);
    });

    it('does not cap a redeem from a hold at the held amount: it takes more when the balance allows', async () => {
      const card = await clutch.createCard({ balance: '20.00' });
      const hold = await clutch.hold(card.cardNumber, 10);
      const beyondAll = await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 20.01);
      expect(beyondAll.status).toBe(400);
      expect(beyondAll.data).toEqual(refused('insufficientFunds'));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10), holdEntry(10, hold.data.transactionId)]);

      const more = await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 15, true, { returnBalances: true });
      expect(more.data).toEqual(updated(card.cardNumber, { balances: [valueEntry(5)] }));
      expect(await clutch.card(card.cardNumber)).toMatchObject({ balance: '5.00', held: '0.00', available: '5.00' });
    });

    it('refuses a hold it cannot find, or one of another card', async () => {
      const card = await clutch.createCard({ balance: '20.00' });
      const other = await clutch.createCard({ balance: '20.00' });
      const hold = await clutch.hold(other.cardNumber, 5);
      for (const holdId of ['not-a-hold', '8a3f1a52-1b7e-4a55-9a55-2f4f2f4f2f4f', hold.data.transactionId]) {
        const response = await clutch.redeemFromHold(card.cardNumber, holdId, 1);
        expect(response.status).toBe(400);
        expect(response.data).toEqual(refused('holdNotFound'));
      }
      expect(await clutch.balances(other.cardNumber)).toEqual([valueEntry(15), holdEntry(5, hold.data.transactionId)]);
    });

    it('refuses what the card cannot cover, and a hold for more than is available (default reading)', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const tooMuch = await clutch.redeem(card.cardNumber, 10.01);
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.data).toEqual(refused('insufficientFunds'));
      const tooMuchHold = await clutch.hold(card.cardNumber, 11);
      expect(tooMuchHold.data).toEqual(refused('insufficientFunds'));
      // redeemMaxOnOverdraw is a redeem's flag: a hold still never holds less than asked.
      const maxHold = await clutch.hold(card.cardNumber, 11, { redeemMaxOnOverdraw: true });
      expect(maxHold.data).toEqual(refused('insufficientFunds'));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10)]);
      expect((await clutch.card(card.cardNumber)).history).toHaveLength(1);
    });

    it('gives what a short card has with redeemMaxOnOverdraw, and says so with didOverdraw', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.hold(card.cardNumber, 4);
      const max = await clutch.redeem(card.cardNumber, 25, { redeemMaxOnOverdraw: true, returnBalances: true });
      expect(max.data).toEqual(updated(card.cardNumber, { didOverdraw: true, balances: [valueEntry(0), holdEntry(4, hold.data.transactionId)] }));
      expect(await clutch.card(card.cardNumber)).toMatchObject({ balance: '4.00', held: '4.00', available: '0.00' });
      const nothingLeft = await clutch.redeem(card.cardNumber, 1, { redeemMaxOnOverdraw: true });
      expect(nothingLeft.data).toEqual(refused('insufficientFunds'));
      // What fits is not an overdraw.
      const card2 = await clutch.createCard({ balance: '10.00' });
      expect((await clutch.redeem(card2.cardNumber, 10, { redeemMaxOnOverdraw: true })).data).toEqual(updated(card2.cardNumber));
    });

    it('issues value, also return-related and with an expiration, and refuses a currency mismatch', async () => {
      const card = await clutch.createCard({ balance: '1.00' });
      const issue = await clutch.issue(card.cardNumber, 9, { returnBalances: true });
      expect(issue.data).toEqual(updated(card.cardNumber, { balances: [valueEntry(10)] }));
      const refund = await clutch.issue(card.cardNumber, 2.5, { isReturnRelated: true });
      expect(refund.data).toEqual(updated(card.cardNumber));
      const expiring = await clutch.issue(card.cardNumber, 1, { issuedBalanceExpiration: '2030-12-31 23:59:59' });
      expect(expiring.data.success).toBe(true);
      expect((await clutch.card(card.cardNumber)).history[1]).toMatchObject({ transactionId: refund.data.transactionId, isReturnRelated: true });

      const hold = await clutch.hold(card.cardNumber, 1);
      for (const body of [
        { action: 'issue', amount: usd(1, 'EUR') },
        { action: 'redeem', amount: usd(1, 'EUR') },
        { action: 'hold', amount: usd(1, 'EUR') },
        { action: 'redeem', amount: usd(1, 'EUR'), redeemFromHoldTransactionId: hold.data.transactionId, releaseHoldRemainder: true },
      ]) {
        const eur = await clutch.call('updateBalance', { cardNumber: card.cardNumber, ...body });
        expect(eur.status).toBe(400);
        expect(eur.data).toEqual(refused('currencyMismatch'));
      }
      expect((await clutch.card(card.cardNumber)).balance).toBe('13.50');
    });

    it('validates the PIN on every action with forcePinValidation, and not without it', async () => {
      const card = await clutch.createCard({ balance: '10.00', pin: '4242' });
      const hold = await clutch.hold(card.cardNumber, 2);
      const pinned = { forcePinValidation: true, pin: '0000' };
      for (const response of [
        await clutch.hold(card.cardNumber, 1, pinned),
        await clutch.redeem(card.cardNumber, 1, pinned),
        await clutch.issue(card.cardNumber, 1, pinned),
        await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 1, true, pinned),
        await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 0, true, { forcePinValidation: true }),
      ]) {
        expect(response.status).toBe(400);
        expect(response.data).toEqual(refused('invalidPin'));
      }
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(8), holdEntry(2, hold.data.transactionId)]);
      const right = await clutch.redeem(card.cardNumber, 1, { forcePinValidation: true, pin: '4242' });
      expect(right.data.success).toBe(true);
      // Without forcePinValidation Clutch does not check the PIN.
      const unchecked = await clutch.redeem(card.cardNumber, 1, { pin: '0000' });
      expect(unchecked.data.success).toBe(true);
      expect((await clutch.card(card.cardNumber)).balance).toBe('8.00');
    });

    it('refuses an unknown card, an inactive card and a missing card number, changing nothing', async () => {
      const inactive = await clutch.createCard({ balance: '10.00', active: false });
      for (const action of ['hold', 'redeem', 'issue']) {
        const refusedInactive = await clutch.call('updateBalance', { cardNumber: inactive.cardNumber, action, amount: usd(1) });
        expect(refusedInactive.status).toBe(400);
        expect(refusedInactive.data).toEqual(refused('cardInactive'));
        const unknown = await clutch.call('updateBalance', { cardNumber: '6999999999999996', action, amount: usd(1) });
        expect(unknown.status).toBe(400);
        expect(unknown.data).toEqual(refused('cardNotFound'));
        for (const cardNumber of [undefined, '']) {
          const noCard = await clutch.call('updateBalance', { cardNumber, action, amount: usd(1) });
          expect(noCard.status).toBe(400);
          expect(noCard.data).toEqual(refused('noCardNumber'));
        }
      }
      expect((await clutch.card(inactive.cardNumber)).balance).toBe('10.00');
      expect((await clutch.card(inactive.cardNumber)).history).toHaveLength(1);
    });
  });

  describe('allocate', () => {
    it('allocates a card from egift ({cardNumber, pin}, no transactionId), then activates it', async () => {
      const allocated = await clutch.call('allocate', { cardSetId: 'egift' });
      expect(allocated.status).toBe(200);
      expect(allocated.data).toEqual({ success: true, cardNumber: expect.stringMatching(/^6\d{15}$/), pin: expect.stringMatching(/^\d{4}$/), requestRef: ref });
      const { cardNumber, pin } = allocated.data;
      expect(await clutch.card(cardNumber)).toMatchObject({ active: false, balance: '0.00', currency: 'USD', pin });
      expect((await clutch.search(cardNumber, { includeInactive: false })).data.cards).toEqual([]);
      expect((await clutch.search(cardNumber)).data.cards).toEqual([{ cardNumber, cardSetId: 'egift', balances: [] }]);
      const early = await clutch.issue(cardNumber, 5);
      expect(early.data).toEqual(refused('cardInactive'));

      const activated = await clutch.call('allocate', { cardNumber });
      expect(activated.data).toEqual({ success: true, cardNumber, pin, requestRef: ref });
      const again = await clutch.call('allocate', { cardNumber });
      expect(again.data).toEqual({ success: true, cardNumber, pin, requestRef: ref });

      expect((await clutch.issue(cardNumber, 5)).data.success).toBe(true);
      const search = await clutch.search(cardNumber, { pin, includeInactive: false });
      expect(search.data.cards).toEqual([{ cardNumber, cardSetId: 'egift', activationDate: expect.stringMatching(/^\d{4}-/), balances: [valueEntry(5)] }]);
      const history = await clutch.history(cardNumber);
      expect(history.data.transactions.map((t: { callType: string }) => t.callType)).toEqual(['UPDATE_BALANCE', 'ALLOCATE', 'ALLOCATE']);
      expect(history.data.transactions[1].balanceUpdates).toEqual([]);
    });

    it('is not idempotent on customRequestId: the same call allocates another card (default reading)', async () => {
      const first = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'alloc-1' });
      const second = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'alloc-1' });
      expect(first.data.success && second.data.success).toBe(true);
      expect(second.data.cardNumber).not.toBe(first.data.cardNumber);
      const rows = await database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM clutch_sandbox.ledger_transaction WHERE custom_request_id = 'alloc-1' AND action = 'allocate'`,
      );
      expect(rows[0].n).toBe(2);
    });

    it('allocates from a card set without PINs in its currency, and refuses unknown sets and cards', async () => {
      await clutch.http.post('/_sandbox/card-sets', { id: 'plastic-eur', hasPin: false, currency: 'EUR' });
      const allocated = await clutch.call('allocate', { cardSetId: 'plastic-eur' });
      expect(allocated.data).toEqual({ success: true, cardNumber: expect.stringMatching(/^6\d{15}$/), requestRef: ref });
      expect(await clutch.card(allocated.data.cardNumber)).toMatchObject({ currency: 'EUR', pin: null, cardSetId: 'plastic-eur' });
      expect((await clutch.call('allocate', { cardNumber: allocated.data.cardNumber })).data).toEqual({
        success: true,
        cardNumber: allocated.data.cardNumber,
        requestRef: ref,
      });

      const unknownSet = await clutch.call('allocate', { cardSetId: 'nope' });
      expect(unknownSet.status).toBe(400);
      expect(unknownSet.data).toEqual(refused('cardSetNotFound'));
      const unknownCard = await clutch.call('allocate', { cardNumber: '6999999999999998' });
      expect(unknownCard.data).toEqual(refused('cardNotFound'));
      const noCard = await clutch.call('allocate', { cardNumber: '' });
      expect(noCard.data).toEqual(refused('noCardNumber'));
    });
  });

  describe('voidTransaction', () => {
    it('is the method: `void` is unknown', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const redeem = await clutch.redeem(card.cardNumber, 3);
      const old = await clutch.call('void', { transactionId: redeem.data.transactionId });
      expect(old.status).toBe(404);
      expect(old.data).toEqual({ success: false, errorMessage: 'Invalid request: unknown method void', requestRef: ref });
      expect((await clutch.card(card.cardNumber)).balance).toBe('7.00');
    });

    it('gives a redeem back and takes an issue away, once', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const redeem = await clutch.redeem(card.cardNumber, 3);
      const issue = await clutch.issue(card.cardNumber, 5);
      expect((await clutch.card(card.cardNumber)).balance).toBe('12.00');
      const voidRedeem = await clutch.voidTransaction(redeem.data.transactionId);
      expect(voidRedeem.status).toBe(200);
      expect(voidRedeem.data).toEqual({ success: true, transactionId: expect.stringMatching(UUID), requestRef: ref });
      expect(voidRedeem.data.transactionId).not.toBe(redeem.data.transactionId);
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(15)]);
      const voidIssue = await clutch.voidTransaction(issue.data.transactionId);
      expect(voidIssue.data.success).toBe(true);
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10)]);
      // Voiding it again moves nothing and names the same void.
      const twice = await clutch.voidTransaction(issue.data.transactionId);
      expect(twice.data).toEqual({ success: true, transactionId: voidIssue.data.transactionId, requestRef: ref });
      expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');

      const history = await clutch.history(card.cardNumber);
      const voids = history.data.transactions.filter((t: { callType: string }) => t.callType === 'VOID_TRANSACTION');
      expect(voids.map((v: { transactionId: string; balanceUpdates: unknown }) => [v.transactionId, v.balanceUpdates])).toEqual([
        [voidIssue.data.transactionId, [{ balanceType: 'Currency', balanceCode: 'USD', amount: -5 }]],
        [voidRedeem.data.transactionId, [{ balanceType: 'Currency', balanceCode: 'USD', amount: 3 }]],
      ]);
    });

    it('refuses to void a hold (default reading): release it with the zero-amount redeem', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.hold(card.cardNumber, 8);
      const voided = await clutch.voidTransaction(hold.data.transactionId);
      expect(voided.status).toBe(400);
      expect(voided.data).toEqual(refused('voidNotPossible'));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(2), holdEntry(8, hold.data.transactionId)]);
      expect((await clutch.release(card.cardNumber, hold.data.transactionId)).data.success).toBe(true);
    });

    it('refuses what it cannot void or find', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const issue = await clutch.issue(card.cardNumber, 5);
      await clutch.redeem(card.cardNumber, 12);
      const spent = await clutch.voidTransaction(issue.data.transactionId);
      expect(spent.status).toBe(400);
      expect(spent.data).toEqual(refused('voidNotPossible'));

      const hold = await clutch.hold(card.cardNumber, 2);
      const release = await clutch.release(card.cardNumber, hold.data.transactionId);
      expect((await clutch.voidTransaction(hold.data.transactionId)).data).toEqual(refused('voidNotPossible'));
      expect((await clutch.voidTransaction(release.data.transactionId)).data).toEqual(refused('voidNotPossible'));

      const redeem = await clutch.redeem(card.cardNumber, 1);
      const voidRow = await clutch.voidTransaction(redeem.data.transactionId);
      expect((await clutch.voidTransaction(voidRow.data.transactionId)).data).toEqual(refused('voidNotPossible'));

      for (const transactionId of ['8a3f1a52-1b7e-4a55-9a55-2f4f2f4f2f4f', 'nope']) {
        const unknown = await clutch.voidTransaction(transactionId);
        expect(unknown.status).toBe(400);
        expect(unknown.data).toEqual(refused('transactionNotFound'));
      }
      expect((await clutch.card(card.cardNumber)).balance).toBe('3.00');
    });
  });

  describe('cardHistory', () => {
    it('lists the transactions newest first in the recorded shape, without our customRequestId', async () => {
      const started = Date.now() - 2000;
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.hold(card.cardNumber, 4, {}, { customRequestId: 'auth-1', externalTransactionId: 'auth-1' });
      const redeem = await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 3);
      const hold2 = await clutch.hold(card.cardNumber, 2, {}, { customRequestId: 'auth-2' });
      const release = await clutch.release(card.cardNumber, hold2.data.transactionId);
      const refund = await clutch.issue(card.cardNumber, 1.5, { isReturnRelated: true });

      const history = await clutch.history(card.cardNumber);
      expect(history.status).toBe(200);
      const entry = (transactionId: string, amount: number, requestRef: string) => ({
        transactionId,
        isLegacy: false,
        transactionTime: expect.any(Number),
        location: expect.any(String),
        callType: 'UPDATE_BALANCE',
        balanceUpdates: [{ balanceType: 'Currency', balanceCode: 'USD', amount }],
        requestRef,
      });
      const transactions = history.data.transactions;
      expect(history.data).toEqual({
        success: true,
        transactions: [
          entry(refund.data.transactionId, 1.5, refund.data.requestRef),
          entry(release.data.transactionId, 0, release.data.requestRef),
          entry(hold2.data.transactionId, 0, hold2.data.requestRef),
          entry(redeem.data.transactionId, -3, redeem.data.requestRef),
          entry(hold.data.transactionId, 0, hold.data.requestRef),
          entry(transactions[5].transactionId, 10, expect.stringMatching(UUID)),
        ],
        transactionCount: 6,
        matchCount: 6,
        oldestTransaction: transactions[5].transactionTime,
        newestTransaction: transactions[0].transactionTime,
        requestRef: ref,
      });
      const times = transactions.map((t: { transactionTime: number }) => t.transactionTime);
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(times[5]).toBeGreaterThanOrEqual(started);
      expect(times[0]).toBeLessThanOrEqual(Date.now() + 2000);
      expect(JSON.stringify(history.data)).not.toMatch(/auth-1|auth-2|customRequestId/);
    });

    it('pages with limit and offset; the counts and the oldest and newest times are the card\'s', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const ids: string[] = [];
      for (let i = 1; i <= 4; i++) ids.push((await clutch.redeem(card.cardNumber, i / 10)).data.transactionId);
      const all = (await clutch.history(card.cardNumber)).data;
      expect(all.transactions).toHaveLength(5);
      const page = (await clutch.history(card.cardNumber, { limit: 2, offset: 1 })).data;
      expect(page.transactions.map((t: { transactionId: string }) => t.transactionId)).toEqual([ids[2], ids[1]]);
      expect(page).toMatchObject({
        transactionCount: 5,
        matchCount: 5,
        oldestTransaction: all.oldestTransaction,
        newestTransaction: all.newestTransaction,
      });
      const beyond = (await clutch.history(card.cardNumber, { offset: 10 })).data;
      expect(beyond).toMatchObject({ success: true, transactions: [], transactionCount: 5 });

      const empty = await clutch.createCard({ balance: '0.00' });
      expect((await clutch.history(empty.cardNumber)).data).toEqual({
        success: true,
        transactions: [],
        transactionCount: 0,
        matchCount: 0,
        oldestTransaction: null,
        newestTransaction: null,
        requestRef: ref,
      });
    });

    it('accepts restrictTransactionTypes', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const response = await clutch.call('cardHistory', { cardNumber: card.cardNumber, restrictTransactionTypes: ['UPDATE_BALANCE'] });
      expect(response.status).toBe(200);
      expect(response.data).toMatchObject({ success: true, transactionCount: 1 });
    });

    it('refuses an unknown card and a missing card number', async () => {
      const unknown = await clutch.history('6999999999999997');
      expect(unknown.status).toBe(400);
      expect(unknown.data).toEqual(refused('cardNotFound'));
      const none = await clutch.call('cardHistory', {});
      expect(none.status).toBe(400);
      expect(none.data).toEqual(refused('noCardNumber'));
    });
  });

  describe('behaviour switches for what Clutch has not shown', () => {
    it('overBalanceHold refuse: a hold beyond the available balance is refused, nothing held', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      await clutch.setBehaviour({ overBalanceHold: 'refuse' });
      expect((await clutch.hold(card.cardNumber, 12)).data).toEqual(refused('insufficientFunds'));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10)]);
    });

    it('overBalanceHold holdShort: holds what is available, didOverdraw, and the hold entry shows the short amount', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      await clutch.setBehaviour({ overBalanceHold: 'holdShort' });
      const exact = await clutch.hold(card.cardNumber, 3);
      expect(exact.data).toEqual(updated(card.cardNumber));
      const short = await clutch.hold(card.cardNumber, 12, { returnBalances: true });
      expect(short.data).toEqual(
        updated(card.cardNumber, {
          didOverdraw: true,
          balances: [valueEntry(0), holdEntry(3, exact.data.transactionId), holdEntry(7, short.data.transactionId)],
        }),
      );
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(0), holdEntry(3, exact.data.transactionId), holdEntry(7, short.data.transactionId)]);
      // Nothing left: refused even so.
      expect((await clutch.hold(card.cardNumber, 1)).data).toEqual(refused('insufficientFunds'));
      expect((await clutch.card(card.cardNumber)).holds.map((h) => h.originalAmount)).toEqual(['7.00', '3.00']);
    });

    it('holdTtlSeconds: a hold lapses after N seconds, its entry disappears and the value is available again', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      await clutch.setBehaviour({ holdTtlSeconds: 1 });
      const hold = await clutch.hold(card.cardNumber, 6);
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(4), holdEntry(6, hold.data.transactionId)]);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10)]);
      expect((await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 6)).data).toEqual(refused('holdClosed'));
      expect((await clutch.redeem(card.cardNumber, 10)).data.success).toBe(true);
      expect((await clutch.card(card.cardNumber)).holds[0]).toMatchObject({ holdId: hold.data.transactionId, status: 'EXPIRED' });
    });

    it('holdTtlSeconds null (the default): holds never lapse', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.hold(card.cardNumber, 6);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(4), holdEntry(6, hold.data.transactionId)]);
      expect((await clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 6)).data.success).toBe(true);
    });

    it('errorCodes: the code answered for a refusal is the one configured; the text stays', async () => {
      const card = await clutch.createCard({ balance: '1.00', pin: '1234' });
      await clutch.setBehaviour({ errorCodes: { insufficientFunds: 51, invalidPin: 77, cardNotFound: 3 } });
      const short = await clutch.redeem(card.cardNumber, 5);
      expect(short.status).toBe(400);
      expect(short.data).toEqual(refused('insufficientFunds', 51));
      expect((await clutch.search(card.cardNumber, { pin: '0000' })).data).toEqual(refused('invalidPin', 77));
      expect((await clutch.history('6999999999999995')).data).toEqual(refused('cardNotFound', 3));
      // Refusals not named keep their default codes.
      expect((await clutch.call('search', { filters: {} })).data).toEqual(refused('noCardNumber', 6));
      await clutch.resetBehaviour();
      expect((await clutch.redeem(card.cardNumber, 5)).data).toEqual(refused('insufficientFunds', CLUTCH_ERRORS.insufficientFunds.code));
    });

    it('allocateIdempotent: the same customRequestId gives back the same card; another id another card', async () => {
      await clutch.setBehaviour({ allocateIdempotent: true });
      const first = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'idem-1' });
      const second = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'idem-1' });
      const other = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'idem-2' });
      expect(second.data).toEqual({ success: true, cardNumber: first.data.cardNumber, pin: first.data.pin, requestRef: ref });
      expect(other.data.cardNumber).not.toBe(first.data.cardNumber);
      const rows = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM clutch_sandbox.ledger_transaction WHERE custom_request_id = 'idem-1'`);
      expect(rows[0].n).toBe(1);
      // Without a customRequestId there is nothing to recognise.
      const a = await clutch.call('allocate', { cardSetId: 'egift' });
      const b = await clutch.call('allocate', { cardSetId: 'egift' });
      expect(a.data.cardNumber).not.toBe(b.data.cardNumber);
    });

    it('voidHolds: voidTransaction of an open hold releases it', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.hold(card.cardNumber, 8);
      await clutch.setBehaviour({ voidHolds: true });
      const voided = await clutch.voidTransaction(hold.data.transactionId);
      expect(voided.data).toEqual({ success: true, transactionId: expect.stringMatching(UUID), requestRef: ref });
      expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10)]);
      expect((await clutch.card(card.cardNumber)).holds[0].status).toBe('VOIDED');
      expect((await clutch.voidTransaction(hold.data.transactionId)).data.transactionId).toBe(voided.data.transactionId);
      expect((await clutch.release(card.cardNumber, hold.data.transactionId)).data).toEqual(refused('holdClosed'));
      const history = await clutch.history(card.cardNumber, { limit: 1 });
      expect(history.data.transactions[0]).toMatchObject({
        transactionId: voided.data.transactionId,
        callType: 'VOID_TRANSACTION',
        balanceUpdates: [{ balanceType: 'Currency', balanceCode: 'USD', amount: 0 }],
      });
      // A closed hold cannot be voided even so.
      const closed = await clutch.hold(card.cardNumber, 1);
      await clutch.release(card.cardNumber, closed.data.transactionId);
      expect((await clutch.voidTransaction(closed.data.transactionId)).data).toEqual(refused('voidNotPossible'));
    });
  });
});
