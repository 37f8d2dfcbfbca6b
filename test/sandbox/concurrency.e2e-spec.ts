import { RunningApp, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';
import { SandboxClient, availableOf, refused, sandboxClient, valueEntry } from './sandbox-client';

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

  afterEach(async () => {
    await clutch.resetBehaviour();
    expect(await clutch.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  const cents = (text: string) => Math.round(Number(text) * 100);

  it('never overdraws a card with 20 concurrent redeems that cannot all fit', async () => {
    const card = await clutch.createCard({ balance: '100.00' });
    // 20 x 7.00 = 140.00 asked of 100.00: exactly 14 fit.
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => clutch.redeem(card.cardNumber, 7, {}, { customRequestId: `r-${i}` })));
    const successes = responses.filter((r) => r.status === 200);
    const refusals = responses.filter((r) => r.status !== 200);
    expect(successes).toHaveLength(14);
    expect(successes.every((r) => r.data.success === true && r.data.didOverdraw === false)).toBe(true);
    expect(refusals).toHaveLength(6);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(400);
      expect(refusal.data).toEqual(refused('insufficientFunds'));
    }
    expect(new Set(successes.map((r) => r.data.transactionId)).size).toBe(14);

    const detail = await clutch.card(card.cardNumber);
    expect(detail.balance).toBe('2.00');
    expect(detail.history.filter((t) => t.action === 'redeem')).toHaveLength(14);
    expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(2)]);
  });

  it('shares what is left among concurrent holds and redeems with redeemMaxOnOverdraw, never beyond the balance', async () => {
    const card = await clutch.createCard({ balance: '50.00' });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? clutch.hold(card.cardNumber, 6) : clutch.redeem(card.cardNumber, 4.5, { redeemMaxOnOverdraw: true, returnBalances: true }),
      ),
    );
    for (const response of responses) {
      if (response.status === 200) expect(response.data.success).toBe(true);
      else expect(response.data).toEqual(refused('insufficientFunds'));
    }
    // A redeem that overdrew took all that was available at its turn.
    for (const overdrawn of responses.filter((r) => r.data.didOverdraw === true)) expect(availableOf(overdrawn.data.balances)).toBe(0);

    const detail = await clutch.card(card.cardNumber);
    const redeemed = detail.history.filter((t) => t.action === 'redeem').reduce((sum, t) => sum + cents(t.amount), 0);
    const held = detail.holds.reduce((sum, h) => sum + cents(h.amount), 0);
    // Holds are never short (default reading): each one is 6.00.
    expect(detail.holds.every((h) => h.amount === '6.00')).toBe(true);
    expect(redeemed + held).toBeLessThanOrEqual(5000);
    expect(cents(detail.available)).toBe(5000 - redeemed - held);
    // Something is left only if it is less than a hold and no redeem came after it.
    expect(cents(detail.available)).toBeLessThan(600);

    // Releasing every hold twice at once: each is released exactly once, the other is refused.
    const holdIds = detail.holds.map((h) => h.holdId);
    const releases = await Promise.all(holdIds.flatMap((id) => [1, 2].map(() => clutch.release(card.cardNumber, id))));
    expect(releases.filter((r) => r.status === 200)).toHaveLength(holdIds.length);
    for (const r of releases.filter((x) => x.status !== 200)) expect(r.data).toEqual(refused('holdClosed'));
    const after = await clutch.card(card.cardNumber);
    expect(after).toMatchObject({ held: '0.00', balance: ((5000 - redeemed) / 100).toFixed(2) });
    expect(after.holds.every((h) => h.status === 'RELEASED')).toBe(true);
  });

  it('holds short under holdShort without ever holding more than the balance', async () => {
    await clutch.setBehaviour({ overBalanceHold: 'holdShort' });
    const card = await clutch.createCard({ balance: '20.00' });
    const responses = await Promise.all(Array.from({ length: 10 }, () => clutch.hold(card.cardNumber, 3)));
    const held = responses.filter((r) => r.status === 200);
    // 6 full holds, one short of 2.00 (didOverdraw), and the rest refused.
    expect(held).toHaveLength(7);
    expect(held.filter((r) => r.data.didOverdraw)).toHaveLength(1);
    for (const r of responses.filter((x) => x.status !== 200)) expect(r.data).toEqual(refused('insufficientFunds'));
    const detail = await clutch.card(card.cardNumber);
    expect(detail).toMatchObject({ balance: '20.00', held: '20.00', available: '0.00' });
    expect(detail.holds.map((h) => h.amount).sort()).toEqual(['2.00', '3.00', '3.00', '3.00', '3.00', '3.00', '3.00']);
  });

  it('voids each hold once when voidHolds is on and two voids race', async () => {
    await clutch.setBehaviour({ voidHolds: true });
    const card = await clutch.createCard({ balance: '30.00' });
    const holds = await Promise.all(Array.from({ length: 5 }, () => clutch.hold(card.cardNumber, 5)));
    const voids = await Promise.all(holds.flatMap((h) => [1, 2].map(() => clutch.voidTransaction(h.data.transactionId))));
    expect(voids.every((v) => v.status === 200 && v.data.success)).toBe(true);
    // Both voids of one hold name the same void transaction.
    for (let i = 0; i < holds.length; i++) expect(voids[2 * i].data.transactionId).toBe(voids[2 * i + 1].data.transactionId);
    const detail = await clutch.card(card.cardNumber);
    expect(detail).toMatchObject({ held: '0.00', available: '30.00' });
    expect(detail.history.filter((t) => t.action === 'void')).toHaveLength(5);
  });

  it('redeems a hold at most once under a race', async () => {
    const card = await clutch.createCard({ balance: '30.00' });
    const hold = await clutch.hold(card.cardNumber, 20);
    const responses = await Promise.all(Array.from({ length: 10 }, () => clutch.redeemFromHold(card.cardNumber, hold.data.transactionId, 20)));
    expect(responses.filter((r) => r.status === 200 && r.data.success)).toHaveLength(1);
    const refusals = responses.filter((r) => r.status !== 200);
    expect(refusals).toHaveLength(9);
    for (const r of refusals) expect(r.data).toEqual(refused('holdClosed'));
    expect(await clutch.card(card.cardNumber)).toMatchObject({ balance: '10.00', held: '0.00' });
    expect(await clutch.balances(card.cardNumber)).toEqual([valueEntry(10)]);
  });

  it('allocates a card per call for concurrent allocates with the same customRequestId (default reading)', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'same-allocation' })),
    );
    expect(responses.every((r) => r.status === 200 && r.data.success)).toBe(true);
    expect(new Set(responses.map((r) => r.data.cardNumber)).size).toBe(8);
  });

  it('allocates one card for concurrent allocates with the same customRequestId under allocateIdempotent', async () => {
    await clutch.setBehaviour({ allocateIdempotent: true });
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => clutch.call('allocate', { cardSetId: 'egift' }, { customRequestId: 'same-allocation-idem' })),
    );
    expect(responses.every((r) => r.status === 200 && r.data.success)).toBe(true);
    expect(new Set(responses.map((r) => r.data.cardNumber)).size).toBe(1);
    expect(new Set(responses.map((r) => r.data.pin)).size).toBe(1);
    const rows = await database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM clutch_sandbox.ledger_transaction WHERE custom_request_id = 'same-allocation-idem'`,
    );
    expect(rows[0].n).toBe(1);
  });
});
