import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Partial approval without trusting an amount field (Clutch's hold answer has none): the adapter reads the
 * balance, holds min(requested, available), and when that hold is refused for funds because another channel
 * spent the card in between, reads again and tries once more. What it reports is what the provider holds.
 */
describe('partial approval from a balance read', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('partial_approval');
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  const hold = (card: { cardNumber: string; pin: string }, amount: string) =>
    stack.oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());

  it('holds what the card has when it is short, and exactly that is held at the provider', async () => {
    const card = await stack.admin.createCard('25.00');
    const response = await hold(card, '60.00');
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({ status: 'PARTIALLY_APPROVED', approvedAmount: '25.00', remainingAmount: '35.00' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '25.00', available: '0.00' });
  });

  it('reads again and holds what is left when another channel spent the card between the read and the hold', async () => {
    const card = await stack.admin.createCard('50.00');
    // Holds reach the ledger 500 ms after they are sent; the balance read is not delayed.
    await stack.admin.setFaults({ latencyMs: 500, methods: ['updateBalance'] });
    const pending = hold(card, '40.00');
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Another channel (a store's till) spends 30.00 meanwhile, straight on the provider's ledger.
    await stack.db.query(
      `WITH spent AS (UPDATE clutch_sandbox.card SET balance_minor = balance_minor - 3000 WHERE card_number = $1 RETURNING card_number, currency)
       INSERT INTO clutch_sandbox.ledger_transaction (id, card_number, action, amount_minor, currency)
       SELECT $2, card_number, 'redeem', 3000, currency FROM spent`,
      [card.cardNumber, randomUUID()],
    );
    const response = await pending;
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({ status: 'PARTIALLY_APPROVED', requestedAmount: '40.00', approvedAmount: '20.00' });
    const view = await stack.admin.card(card.cardNumber);
    expect(view).toMatchObject({ balance: '20.00', held: '20.00', available: '0.00' });
    expect(view.holds.filter((h) => h.status === 'OPEN')).toEqual([expect.objectContaining({ holdId: response.data.providerReference, amount: '20.00' })]);
    const calls = await stack.db.query<{ outcome: string; amount_minor: string }>(
      `SELECT outcome, amount_minor::text FROM payment_adapter.provider_call WHERE authorization_id = $1 ORDER BY created_at`,
      [response.data.authorizationId],
    );
    expect(calls).toEqual([
      { outcome: 'DECLINED', amount_minor: '4000' },
      { outcome: 'SUCCEEDED', amount_minor: '2000' },
    ]);
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });

  it('declines without a provider hold when the card is empty', async () => {
    const card = await stack.admin.createCard('0.00');
    const response = await hold(card, '10.00');
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({ status: 'DECLINED', declineReason: 'INSUFFICIENT_FUNDS' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '0.00' });
  });
});
