import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** Parallel wrong PINs: the lockout counts each attempt before the provider is asked, so at most the limit get through (the provider-fault test runs last: it opens the client's circuit). */
describe('PIN lockout under parallel guesses (balance checks)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('pin_race', {
      PIN_MAX_FAILURES: '3',
      PIN_LOCKOUT_SECONDS: '60',
      RATE_LIMIT_PER_CARD_PER_MINUTE: '1000',
      RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE: '1000',
      DB_POOL_SIZE: '20',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());

  const check = (cardNumber: string, pin: string) => stack.oms.post('/v1/balance-inquiries', { cardNumber, pin, currency: 'USD' });
  const lockRow = async () =>
    (await stack.db.query<{ failures: number; locked: boolean }>(`SELECT failures, coalesce(locked_until > now(), false) AS locked FROM payment_adapter.card_lockout`));

  it('lets at most PIN_MAX_FAILURES wrong PINs reach the provider, then locks the card', async () => {
    const card = await stack.admin.createCard('40.00', { pin: '7391' });
    const guesses = Array.from({ length: 16 }, (_, i) => String(1000 + i));
    const answers = await Promise.all(guesses.map((pin) => check(card.cardNumber, pin)));
    const codes = answers.map((a) => a.data.error?.code);
    expect(codes.filter((c) => c === 'INVALID_PIN').length).toBeLessThanOrEqual(3);
    expect(codes.filter((c) => c === 'INVALID_PIN').length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 'INVALID_PIN' || c === 'CARD_LOCKED')).toBe(true);
    const refused = answers.find((a) => a.data.error?.code === 'CARD_LOCKED')!;
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The right PIN is refused too while the card is locked.
    const right = await check(card.cardNumber, '7391');
    expect(right.status).toBe(429);
    expect(right.data.error.code).toBe('CARD_LOCKED');
  });

  it('counts parallel wrong PINs on holds before the provider is asked too', async () => {
    await stack.db.query(`DELETE FROM payment_adapter.card_lockout`);
    const card = await stack.admin.createCard('40.00', { pin: '5182' });
    const guesses = Array.from({ length: 16 }, (_, i) => String(2000 + i));
    const answers = await Promise.all(
      guesses.map((pin) =>
        stack.oms.post('/v1/authorizations', { orderId: `O-${pin}`, cardNumber: card.cardNumber, pin, amount: '5.00', currency: 'USD' }, withKey()),
      ),
    );
    const wrong = answers.filter((a) => a.status === 201 && a.data.declineReason === 'INVALID_PIN');
    const locked = answers.filter((a) => a.data.error?.code === 'CARD_LOCKED');
    expect(wrong.length).toBeLessThanOrEqual(3);
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong.length + locked.length).toBe(16);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
    const right = await stack.oms.post('/v1/authorizations', { orderId: 'O-right', cardNumber: card.cardNumber, pin: '5182', amount: '5.00', currency: 'USD' }, withKey());
    expect(right.status).toBe(429);
  });

  it('clears the count on a right PIN and does not count answers that say nothing about the PIN', async () => {
    await stack.db.query(`DELETE FROM payment_adapter.card_lockout`);
    const card = await stack.admin.createCard('40.00', { pin: '8264' });
    expect((await check(card.cardNumber, '0000')).data.error.code).toBe('INVALID_PIN');
    expect((await check(card.cardNumber, '0001')).data.error.code).toBe('INVALID_PIN');
    expect(await lockRow()).toEqual([{ failures: 2, locked: false }]);
    expect((await check(card.cardNumber, '8264')).status).toBe(200);
    expect(await lockRow()).toEqual([]);

    // An unknown card, or a provider that cannot be asked, gives the attempt back.
    const unknown = `6999${String(Date.now()).slice(-12)}`;
    for (let i = 0; i < 4; i++) expect((await check(unknown, '1234')).data.error.code).toBe('CARD_NOT_FOUND');
    await stack.admin.setFaults({ errorRate: 1 });
    try {
      for (let i = 0; i < 4; i++) expect((await check(card.cardNumber, '0002')).status).toBe(503);
    } finally {
      await stack.admin.clearFaults();
    }
    const rows = await lockRow();
    expect(rows).toEqual([{ failures: 0, locked: false }, { failures: 0, locked: false }]);
  });

});
