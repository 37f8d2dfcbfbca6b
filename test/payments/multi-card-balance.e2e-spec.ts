import { Stack, startStack } from '../harness/stack';

/**
 * "Apply several cards" (lifecycle.md, Extensions): `POST /v1/balance-inquiries` with `cards` applies them in the
 * order given, each for min(what is still needed, its available balance). Each card is read as one card is: the
 * PIN lockout and the failed-lookup limit count per card.
 */
describe('balance inquiries with several cards', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('multi_card_balance', { PIN_MAX_FAILURES: '2', RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE: '6' });
  });
  afterAll(() => stack?.stop());

  const inquire = (body: Record<string, unknown>) => stack.oms.post('/v1/balance-inquiries', body);

  it('applies the cards in order; a card with less than its share gives all it has and the next one covers the rest', async () => {
    const short = await stack.admin.createCard('20.00');
    const large = await stack.admin.createCard('100.00');
    const unused = await stack.admin.createCard('30.00');
    const response = await inquire({
      currency: 'USD',
      requestedAmount: '60.00',
      cards: [short, large, unused].map((c) => ({ cardNumber: c.cardNumber, pin: c.pin })),
    });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      currency: 'USD',
      requestedAmount: '60.00',
      appliedAmount: '60.00',
      remainingAmount: '0.00',
      cards: [
        { cardLast4: short.cardNumber.slice(-4), availableBalance: '20.00', applicableAmount: '20.00' },
        { cardLast4: large.cardNumber.slice(-4), availableBalance: '100.00', applicableAmount: '40.00' },
        { cardLast4: unused.cardNumber.slice(-4), availableBalance: '30.00', applicableAmount: '0.00' },
      ],
    });
    expect(JSON.stringify(response.data)).not.toContain(large.cardNumber);
  });

  it('leaves what the cards together cannot pay for another tender', async () => {
    const a = await stack.admin.createCard('12.50');
    const b = await stack.admin.createCard('7.25');
    const response = await inquire({ currency: 'USD', requestedAmount: '50.00', cards: [a, b].map((c) => ({ cardNumber: c.cardNumber, pin: c.pin })) });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ appliedAmount: '19.75', remainingAmount: '30.25' });
    expect(response.data.cards.map((c: { applicableAmount: string }) => c.applicableAmount)).toEqual(['12.50', '7.25']);
  });

  it('keeps the one-card form unchanged', async () => {
    const card = await stack.admin.createCard('25.00');
    const response = await inquire({ cardNumber: card.cardNumber, pin: card.pin, currency: 'USD', requestedAmount: '60.00' });
    expect(response.data).toEqual({ cardLast4: card.cardNumber.slice(-4), currency: 'USD', availableBalance: '25.00', applicableAmount: '25.00', remainingAmount: '35.00' });
  });

  it.each([
    ['an empty list', () => ({ cards: [] }), ['cards']],
    ['a card listed twice', (n: string[]) => ({ cards: [{ cardNumber: n[0], pin: '1234' }, { cardNumber: n[1], pin: '1234' }, { cardNumber: n[0], pin: '1234' }] }), ['cards.2.cardNumber']],
    ['eleven cards', (n: string[]) => ({ cards: Array.from({ length: 11 }, (_, i) => ({ cardNumber: `${n[0].slice(0, -2)}${String(i).padStart(2, '0')}`, pin: '1234' })) }), ['cards']],
    ['a card without its PIN', (n: string[]) => ({ cards: [{ cardNumber: n[0], pin: '1234' }, { cardNumber: n[1] }] }), ['cards.1.pin']],
    ['a bad card number and a bad PIN', (n: string[]) => ({ cards: [{ cardNumber: '12ab', pin: '1234' }, { cardNumber: n[1], pin: 'x' }] }), ['cards.0.cardNumber', 'cards.1.pin']],
    ['a field a card does not have', (n: string[]) => ({ cards: [{ cardNumber: n[0], pin: '1234', amount: '1.00' }] }), ['cards.0.amount']],
    ['both forms', (n: string[]) => ({ cardNumber: n[0], pin: '1234', cards: [{ cardNumber: n[1], pin: '1234' }] }), ['cardNumber', 'cards']],
    ['cards without requestedAmount', (n: string[]) => ({ cards: [{ cardNumber: n[0], pin: '1234' }], requestedAmount: undefined }), ['requestedAmount']],
  ])('refuses %s with a 400 naming the field, asking the provider nothing', async (_name, body, fields) => {
    const first = await stack.admin.createCard('10.00', { pin: '1234' });
    const second = await stack.admin.createCard('10.00', { pin: '1234' });
    const response = await inquire({ currency: 'USD', requestedAmount: '5.00', ...body([first.cardNumber, second.cardNumber]) });
    expect(response.status).toBe(400);
    expect(response.data.error.code).toBe('VALIDATION_FAILED');
    expect(response.data.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([...fields].sort());
    // Nothing was asked: no PIN attempt was counted on either card.
    expect((await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payment_adapter.card_lockout`))[0].n).toBe(0);
  });

  it('counts a wrong PIN on one of several cards toward that card’s lockout, and names the card', async () => {
    const good = await stack.admin.createCard('10.00', { pin: '1111' });
    const guessed = await stack.admin.createCard('10.00', { pin: '2222' });
    const wrong = { currency: 'USD', requestedAmount: '15.00', cards: [{ cardNumber: good.cardNumber, pin: '1111' }, { cardNumber: guessed.cardNumber, pin: '9999' }] };
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await inquire(wrong);
      expect(response.status).toBe(422);
      expect(response.data.error).toMatchObject({ code: 'INVALID_PIN', details: { field: 'cards.1', cardLast4: guessed.cardNumber.slice(-4) } });
      expect(JSON.stringify(response.data)).not.toContain(guessed.cardNumber);
    }
    // Locked now (PIN_MAX_FAILURES=2): even the right PIN, alone or among others, is refused; the other card is not locked.
    const alone = await inquire({ cardNumber: guessed.cardNumber, pin: '2222', currency: 'USD' });
    expect(alone.status).toBe(429);
    expect(alone.data.error.code).toBe('CARD_LOCKED');
    const among = await inquire({ currency: 'USD', requestedAmount: '15.00', cards: [{ cardNumber: good.cardNumber, pin: '1111' }, { cardNumber: guessed.cardNumber, pin: '2222' }] });
    expect(among.status).toBe(429);
    expect(among.data.error).toMatchObject({ code: 'CARD_LOCKED', details: { field: 'cards.1' } });
    expect((await inquire({ cardNumber: good.cardNumber, pin: '1111', currency: 'USD' })).status).toBe(200);
  });

  // Last: it fills this key's failed-lookup window (RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE=6, two counted above).
  it('counts an unknown card among several as a failed look-up, up to the limit', async () => {
    const good = await stack.admin.createCard('10.00');
    const body = { currency: 'USD', requestedAmount: '5.00', cards: [{ cardNumber: good.cardNumber, pin: good.pin }, { cardNumber: '6999999999999999', pin: '1234' }] };
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await inquire(body);
      expect(response.status).toBe(422);
      expect(response.data.error).toMatchObject({ code: 'CARD_NOT_FOUND', details: { field: 'cards.1' } });
    }
    const refused = await inquire({ currency: 'USD', requestedAmount: '5.00', cards: [{ cardNumber: good.cardNumber, pin: good.pin }] });
    expect(refused.status).toBe(429);
    expect(refused.data.error.details).toMatchObject({ reason: 'FAILED_LOOKUPS' });
  });
});
