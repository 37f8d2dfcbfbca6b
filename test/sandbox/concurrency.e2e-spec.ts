import { ClutchErrorMessages } from '@gcpa/clutch';
import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, sandboxClient, usd } from './sandbox-client';

describe('Clutch sandbox: concurrent calls on one card', () => {
  let database: TestDatabase;
  let sandbox: RunningApp;
  let clutch: SandboxClient;

  beforeAll(async () => {
    database = await createTestDatabase('sandbox_concurrency');
    sandbox = await startSandbox(database.url, { DB_POOL_SIZE: '10' });
    clutch = sandboxClient(sandbox.url);
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  it('never overdraws a card with 20 concurrent redeems that cannot all fit', async () => {
    const card = await clutch.createCard({ balance: '100.00' });
    // 20 x 7.00 = 140.00 asked of 100.00: exactly 14 fit.
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(7) }, { customRequestId: `r-${i}` }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const successes = responses.filter((r) => r.data.success);
    const refusals = responses.filter((r) => !r.data.success);
    expect(successes).toHaveLength(14);
    expect(refusals.every((r) => r.data.errorMessage === ClutchErrorMessages.insufficientFunds)).toBe(true);
    const redeemed = successes.reduce((sum, r) => sum + Math.round(r.data.amountRedeemed * 100), 0);
    expect(redeemed).toBe(9800);

    const detail = await clutch.card(card.cardNumber);
    expect(detail.balance).toBe('2.00');
    expect(detail.history.filter((t) => t.action === 'redeem')).toHaveLength(14);
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  it('shares what is left among concurrent holds, redeems with redeemMaxOnOverdraw, and voids', async () => {
    const card = await clutch.createCard({ balance: '50.00' });
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(6), redeemMaxOnOverdraw: true })
        : clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'redeem', amount: usd(4.5), redeemMaxOnOverdraw: true }),
    );
    const responses = await Promise.all(calls);
    const taken = responses
      .filter((r) => r.data.success)
      .reduce((sum, r) => sum + Math.round((r.data.amountHeld ?? r.data.amountRedeemed) * 100), 0);
    expect(taken).toBe(5000);
    const holds = responses.filter((r) => r.data.success && r.data.amountHeld !== undefined);
    // Voiding every hold twice at once: each is released exactly once.
    const voids = await Promise.all(holds.flatMap((h) => [1, 2].map(() => clutch.call('void', { transactionId: h.data.transactionId }))));
    expect(voids.every((v) => v.data.success)).toBe(true);
    const held = holds.reduce((sum, h) => sum + Math.round(h.data.amountHeld * 100), 0);
    const detail = await clutch.card(card.cardNumber);
    expect(detail).toMatchObject({ held: '0.00', available: (held / 100).toFixed(2) });
    expect(detail.history.filter((t) => t.action === 'void')).toHaveLength(holds.length);
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  it('redeems a hold at most once under a race', async () => {
    const card = await clutch.createCard({ balance: '30.00' });
    const hold = await clutch.call('updateBalance', { cardNumber: card.cardNumber, action: 'hold', amount: usd(20) });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        clutch.call('updateBalance', {
          cardNumber: card.cardNumber,
          action: 'redeem',
          amount: usd(20),
          redeemFromHoldTransactionId: hold.data.transactionId,
          releaseHoldRemainder: true,
        }),
      ),
    );
    expect(responses.filter((r) => r.data.success)).toHaveLength(1);
    expect(responses.filter((r) => r.data.errorMessage === ClutchErrorMessages.holdClosed)).toHaveLength(9);
    expect(await clutch.card(card.cardNumber)).toMatchObject({ balance: '10.00', held: '0.00' });
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  it('allocates one card for concurrent allocates with the same customRequestId', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'same-allocation' })),
    );
    expect(responses.every((r) => r.data.success)).toBe(true);
    expect(new Set(responses.map((r) => r.data.cardNumber)).size).toBe(1);
    const rows = await database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM clutch_sandbox.ledger_transaction WHERE custom_request_id = 'same-allocation'`,
    );
    expect(rows[0].n).toBe(1);
  });
});
