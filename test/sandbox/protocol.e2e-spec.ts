import { ClutchErrorMessages } from '@gcpa/clutch';
import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, sandboxClient, usd } from './sandbox-client';

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
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  const available = (balances: Array<{ amount: number; isHold?: boolean }>) =>
    balances.filter((b) => !b.isHold).reduce((sum, b) => sum + b.amount, 0);

  describe('search', () => {
    it('answers the card with its available balance and one entry per open hold', async () => {
      const card = await clutch.createCard({ balance: '42.50', pin: '1111' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(10), returnBalances: true });
      expect(hold.data.success).toBe(true);

      const response = await clutch.call('search', {
        filters: { cardNumber: card.cardNumber },
        returnFields: { balances: true },
        forcePinValidation: true,
        pin: '1111',
      });
      expect(response.status).toBe(200);
      expect(response.data).toMatchObject({
        success: true,
        cards: [
          {
            cardNumber: card.cardNumber,
            cardSetId: 'egift',
            active: true,
            balances: [
              { balanceType: 'Currency', balanceCode: 'USD', amount: 32.5 },
              { balanceType: 'Currency', balanceCode: 'USD', amount: 10, isHold: true, holdTransactionId: hold.data.transactionId },
            ],
          },
        ],
      });
      expect(typeof response.data.requestRef).toBe('string');
    });

    it('refuses an unknown card and a wrong PIN', async () => {
      const unknown = await clutch.call('search', { filters: { cardNumber: '6999999999999999' }, returnFields: { balances: true } });
      expect(unknown.status).toBe(200);
      expect(unknown.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.cardNotFound });

      const card = await clutch.createCard({ balance: '5.00', pin: '1234' });
      const wrong = await clutch.call('search', { filters: { cardNumber: card.cardNumber }, forcePinValidation: true, pin: '9999' });
      expect(wrong.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.invalidPin });
      const unchecked = await clutch.call('search', { filters: { cardNumber: card.cardNumber }, pin: '9999' });
      expect(unchecked.data.success).toBe(true);
    });
  });

  describe('updateBalance', () => {
    it('holds, then redeems from the hold releasing the remainder', async () => {
      const card = await clutch.createCard({ balance: '50.00' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(30), returnBalances: true });
      expect(hold.data).toMatchObject({ success: true, amountHeld: 30 });
      expect(available(hold.data.balances)).toBe(20);

      const redeem = await clutch.call('updateBalance', {
        cardNumber: card.cardNumber,
        action: 'redeem',
        amount: usd(12.34),
        redeemFromHoldTransactionId: hold.data.transactionId,
        releaseHoldRemainder: true,
        returnBalances: true,
      });
      expect(redeem.data).toMatchObject({ success: true, amountRedeemed: 12.34 });
      expect(redeem.data.balances).toEqual([{ balanceType: 'Currency', balanceCode: 'USD', amount: 37.66 }]);

      const detail = await clutch.card(card.cardNumber);
      expect(detail).toMatchObject({ balance: '37.66', held: '0.00', available: '37.66' });
      expect(detail.holds).toEqual([expect.objectContaining({ holdId: hold.data.transactionId, status: 'REDEEMED' })]);

      const again = await clutch.call('updateBalance', {
        cardNumber: card.cardNumber,
        action: 'redeem',
        amount: usd(1),
        redeemFromHoldTransactionId: hold.data.transactionId,
        releaseHoldRemainder: true,
      });
      expect(again.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.holdClosed });
    });

    it('releases a hold with a zero-amount redeem, only once', async () => {
      const card = await clutch.createCard({ balance: '20.00' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(15) });
      const release = {
        cardNumber: card.cardNumber,
        action: 'redeem',
        amount: usd(0),
        redeemFromHoldTransactionId: hold.data.transactionId,
        releaseHoldRemainder: true,
      };
      const first = await clutch.call('updateBalance', release);
      expect(first.data).toMatchObject({ success: true, amountRedeemed: 0 });
      expect(available(first.data.balances)).toBe(20);
      const second = await clutch.call('updateBalance', release);
      expect(second.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.holdClosed });

      const detail = await clutch.card(card.cardNumber);
      expect(detail).toMatchObject({ balance: '20.00', held: '0.00' });
      expect(detail.holds[0].status).toBe('RELEASED');
      expect(detail.history[0]).toMatchObject({ action: 'redeem', amount: '0.00' });
    });

    it('redeems from a hold several times without releaseHoldRemainder, never beyond the hold', async () => {
      const card = await clutch.createCard({ balance: '20.00' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(10) });
      const fromHold = (amount: number, releaseHoldRemainder = false) =>
        clutch.call('updateBalance', {
          cardNumber: card.cardNumber,
          action: 'redeem',
          amount: usd(amount),
          redeemFromHoldTransactionId: hold.data.transactionId,
          releaseHoldRemainder,
        });
      expect((await fromHold(4)).data).toMatchObject({ success: true, amountRedeemed: 4 });
      expect((await fromHold(7)).data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.insufficientFunds });
      expect((await clutch.card(card.cardNumber))).toMatchObject({ balance: '16.00', held: '6.00', available: '10.00' });
      expect((await fromHold(6, true)).data).toMatchObject({ success: true, amountRedeemed: 6 });
      expect((await clutch.card(card.cardNumber))).toMatchObject({ balance: '10.00', held: '0.00', available: '10.00' });
    });

    it('refuses a hold it cannot find, or one of another card', async () => {
      const card = await clutch.createCard({ balance: '20.00' });
      const other = await clutch.createCard({ balance: '20.00' });
      const hold = await clutch.call('updateBalance', { cardNumber: other.cardNumber, action: 'hold', amount: usd(5) });
      for (const holdId of ['not-a-hold', '8a3f1a52-1b7e-4a55-9a55-2f4f2f4f2f4f', hold.data.transactionId]) {
        const response = await clutch.call('updateBalance', {
          cardNumber: card.cardNumber,
          action: 'redeem',
          amount: usd(1),
          redeemFromHoldTransactionId: holdId,
          releaseHoldRemainder: true,
        });
        expect(response.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.holdNotFound });
      }
    });

    it('refuses what the card cannot cover, or gives what it has with redeemMaxOnOverdraw', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const tooMuch = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(10.01) });
      expect(tooMuch.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.insufficientFunds });
      const tooMuchHold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(11) });
      expect(tooMuchHold.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.insufficientFunds });
      expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');

      const partialHold = await clutch.call('updateBalance', {
        cardNumber: card.cardNumber,
        action: 'hold',
        amount: usd(4),
      });
      expect(partialHold.data.amountHeld).toBe(4);
      const max = await clutch.call('updateBalance', {
        cardNumber: card.cardNumber,
        action: 'redeem',
        amount: usd(25),
        redeemMaxOnOverdraw: true,
        returnBalances: true,
      });
      expect(max.data).toMatchObject({ success: true, amountRedeemed: 6 });
      expect(available(max.data.balances)).toBe(0);
      const maxHold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(1), redeemMaxOnOverdraw: true });
      expect(maxHold.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.insufficientFunds });
      expect(await clutch.card(card.cardNumber)).toMatchObject({ balance: '4.00', held: '4.00', available: '0.00' });
    });

    it('holds what is available with redeemMaxOnOverdraw', async () => {
      const card = await clutch.createCard({ balance: '7.25' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(10), redeemMaxOnOverdraw: true });
      expect(hold.data).toMatchObject({ success: true, amountHeld: 7.25 });
    });

    it('issues value, also return-related, and refuses a currency mismatch', async () => {
      const card = await clutch.createCard({ balance: '1.00' });
      const issue = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'issue', amount: usd(9) });
      expect(issue.data).toMatchObject({ success: true, balances: [{ balanceType: 'Currency', balanceCode: 'USD', amount: 10 }] });
      const refund = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'issue', amount: usd(2.5), isReturnRelated: true });
      expect(refund.data.success).toBe(true);
      const history = await clutch.call('cardHistory', { cardNumber: card.cardNumber });
      expect(history.data.transactions[0]).toMatchObject({ transactionId: refund.data.transactionId, action: 'issue', isReturnRelated: true });

      for (const action of ['issue', 'redeem', 'hold']) {
        const eur = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action, amount: usd(1, 'EUR') });
        expect(eur.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.currencyMismatch });
      }
      expect((await clutch.card(card.cardNumber)).balance).toBe('12.50');
    });

    it('refuses a wrong PIN and an inactive card, changing nothing', async () => {
      const card = await clutch.createCard({ balance: '10.00', pin: '4242' });
      for (const action of ['hold', 'redeem', 'issue']) {
        const wrong = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action, amount: usd(1), forcePinValidation: true, pin: '0000' });
        expect(wrong.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.invalidPin });
      }
      const right = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(1), forcePinValidation: true, pin: '4242' });
      expect(right.data.success).toBe(true);

      const inactive = await clutch.createCard({ balance: '10.00', active: false });
      for (const action of ['hold', 'redeem', 'issue']) {
        const refused = await clutch.call('updateBalance', { cardNumber: inactive.cardNumber, action, amount: usd(1) });
        expect(refused.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.cardInactive });
      }
      expect((await clutch.card(card.cardNumber)).balance).toBe('9.00');
      expect((await clutch.card(inactive.cardNumber)).balance).toBe('10.00');
    });
  });

  describe('allocate', () => {
    it('allocates an inactive card from egift, then activates it and issues value', async () => {
      const allocated = await clutch.call('allocate', { cardSetId: 'egift' });
      expect(allocated.data).toMatchObject({ success: true, cardNumber: expect.stringMatching(/^6\d{15}$/), pin: expect.stringMatching(/^\d{4}$/) });
      const cardNumber = allocated.data.cardNumber;
      expect(await clutch.card(cardNumber)).toMatchObject({ active: false, balance: '0.00', currency: 'USD', pin: allocated.data.pin });
      const early = await clutch.call('updateBalance', { cardNumber, action: 'issue', amount: usd(5) });
      expect(early.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.cardInactive });

      const activated = await clutch.call('allocate', { cardNumber });
      expect(activated.data).toMatchObject({ success: true, cardNumber, transactionId: expect.any(String) });
      const again = await clutch.call('allocate', { cardNumber });
      expect(again.data).toMatchObject({ success: true, cardNumber, transactionId: activated.data.transactionId });

      const issue = await clutch.call('updateBalance', { cardNumber, action: 'issue', amount: usd(5) });
      expect(issue.data.success).toBe(true);
      const search = await clutch.call('search', { filters: { cardNumber }, forcePinValidation: true, pin: allocated.data.pin });
      expect(search.data.cards[0]).toMatchObject({ active: true, balances: [{ amount: 5 }] });
      const history = await clutch.call('cardHistory', { cardNumber });
      expect(history.data.transactions.map((t: { action: string }) => t.action)).toEqual(['issue', 'activate', 'allocate']);
    });

    it('is idempotent on the customRequestId header', async () => {
      const first = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'alloc-1' });
      const second = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'alloc-1' });
      const other = await clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'alloc-2' });
      expect(second.data).toMatchObject({ cardNumber: first.data.cardNumber, pin: first.data.pin, transactionId: first.data.transactionId });
      expect(other.data.cardNumber).not.toBe(first.data.cardNumber);
      const rows = await database.query(`SELECT count(*)::int AS n FROM clutch_sandbox.ledger_transaction WHERE custom_request_id = 'alloc-1'`);
      expect(rows[0].n).toBe(1);
    });

    it('allocates from a card set without PINs in its currency, and refuses unknown sets and cards', async () => {
      await clutch.http.post('/_sandbox/card-sets', { id: 'plastic-eur', hasPin: false, currency: 'EUR' });
      const allocated = await clutch.call('allocate', { cardSetId: 'plastic-eur' });
      expect(allocated.data.success).toBe(true);
      expect(allocated.data.pin).toBeUndefined();
      expect(await clutch.card(allocated.data.cardNumber)).toMatchObject({ currency: 'EUR', pin: null });

      const unknownSet = await clutch.call('allocate', { cardSetId: 'nope' });
      expect(unknownSet.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.cardSetNotFound });
      const unknownCard = await clutch.call('allocate', { cardNumber: '6999999999999998' });
      expect(unknownCard.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.cardNotFound });
    });
  });

  describe('void', () => {
    it('releases a hold, and answers the same void id twice', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(8) });
      const voided = await clutch.call('void', { transactionId: hold.data.transactionId });
      expect(voided.data).toMatchObject({ success: true, transactionId: expect.any(String) });
      expect(voided.data.transactionId).not.toBe(hold.data.transactionId);
      const again = await clutch.call('void', { transactionId: hold.data.transactionId });
      expect(again.data).toMatchObject({ success: true, transactionId: voided.data.transactionId });
      const detail = await clutch.card(card.cardNumber);
      expect(detail).toMatchObject({ balance: '10.00', held: '0.00', available: '10.00' });
      expect(detail.holds[0].status).toBe('VOIDED');
      const redeemVoided = await clutch.call('updateBalance', {
        cardNumber: card.cardNumber,
        action: 'redeem',
        amount: usd(1),
        redeemFromHoldTransactionId: hold.data.transactionId,
        releaseHoldRemainder: true,
      });
      expect(redeemVoided.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.holdClosed });
    });

    it('gives a redeem back and takes an issue away', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const redeem = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(3) });
      const issue = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'issue', amount: usd(5) });
      expect((await clutch.card(card.cardNumber)).balance).toBe('12.00');
      expect((await clutch.call('void', { transactionId: redeem.data.transactionId })).data.success).toBe(true);
      expect((await clutch.card(card.cardNumber)).balance).toBe('15.00');
      expect((await clutch.call('void', { transactionId: issue.data.transactionId })).data.success).toBe(true);
      expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');
      const twice = await clutch.call('void', { transactionId: issue.data.transactionId });
      expect(twice.data.success).toBe(true);
      expect((await clutch.card(card.cardNumber)).balance).toBe('10.00');

      const history = await clutch.call('cardHistory', { cardNumber: card.cardNumber });
      const voids = history.data.transactions.filter((t: { action: string }) => t.action === 'void');
      expect(voids.map((v: { relatedTransactionId: string }) => v.relatedTransactionId)).toEqual([issue.data.transactionId, redeem.data.transactionId]);
      expect(history.data.transactions.find((t: { transactionId: string }) => t.transactionId === redeem.data.transactionId).voided).toBe(true);
    });

    it('refuses what it cannot void or find', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const issue = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'issue', amount: usd(5) });
      await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(12) });
      const spent = await clutch.call('void', { transactionId: issue.data.transactionId });
      expect(spent.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.voidNotPossible });

      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(2) });
      await clutch.call('updateBalance', {
        cardNumber: card.cardNumber,
        action: 'redeem',
        amount: usd(2),
        redeemFromHoldTransactionId: hold.data.transactionId,
        releaseHoldRemainder: true,
      });
      const closed = await clutch.call('void', { transactionId: hold.data.transactionId });
      expect(closed.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.voidNotPossible });

      for (const transactionId of ['8a3f1a52-1b7e-4a55-9a55-2f4f2f4f2f4f', 'nope']) {
        const unknown = await clutch.call('void', { transactionId });
        expect(unknown.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.transactionNotFound });
      }
      expect((await clutch.card(card.cardNumber)).balance).toBe('1.00');
    });
  });

  describe('cardHistory', () => {
    it('lists the card transactions newest first with the customRequestId of each call', async () => {
      const card = await clutch.createCard({ balance: '10.00' });
      const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(4) }, { customRequestId: 'auth-1' });
      const redeem = await clutch.call(
        'updateBalance',
        { cardNumber: card.cardNumber, action: 'redeem', amount: usd(4), redeemFromHoldTransactionId: hold.data.transactionId, releaseHoldRemainder: true },
        { customRequestId: 'capture-1' },
      );
      const history = await clutch.call('cardHistory', { cardNumber: card.cardNumber });
      expect(history.data.success).toBe(true);
      const [latest, held, created] = history.data.transactions;
      expect(latest).toEqual({
        transactionId: redeem.data.transactionId,
        customRequestId: 'capture-1',
        action: 'redeem',
        amount: { balanceType: 'Currency', balanceCode: 'USD', amount: 4 },
        relatedTransactionId: hold.data.transactionId,
        isReturnRelated: false,
        voided: false,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(held).toMatchObject({ transactionId: hold.data.transactionId, customRequestId: 'auth-1', action: 'hold' });
      expect(created).toMatchObject({ action: 'issue', amount: { amount: 10 } });
      expect(created.customRequestId).toBeUndefined();

      const unknown = await clutch.call('cardHistory', { cardNumber: '6999999999999997' });
      expect(unknown.data).toMatchObject({ success: false, errorMessage: ClutchErrorMessages.cardNotFound });
    });
  });
});
