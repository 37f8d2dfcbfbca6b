import { randomUUID } from 'node:crypto';
import { allocationsFor, seedFailingCall } from '../fulfillments/fulfillment-fixtures';
import { omsClient, SandboxCard, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

const CREDIT_KEY = 'credit-desk-key';
const returnIssues = (card: SandboxCard) => card.history.filter((t) => t.action === 'issue' && t.isReturnRelated === true);

/**
 * Refund to a new card (lifecycle.md, Extensions; issue 17, item 3): a new electronic card is allocated, activated
 * and loaded with the refund (return-related) through the gift card fulfillment steps; its number and PIN in full in
 * the first answer only. A failure after the allocation and a retry: still one card, loaded once, PIN shown once.
 */
describe('refund to a new card', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('refund_new_card', { API_KEYS: `oms:local-dev-key,credit-desk:${CREDIT_KEY}:credits`, RECOVERY_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  async function orderSettled(amount: string) {
    const card = await stack.admin.createCard('100.00');
    const orderId = `O-${randomUUID()}`;
    const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount, invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    return { orderId, paidWith: card };
  }
  const refund = (body: Record<string, unknown>, key = randomUUID(), client = stack.oms) => client.post('/v1/refunds', body, withKey(key));
  const newCardFulfillments = (orderId: string) =>
    stack.db.query<{ id: string; status: string; pin_encrypted: string | null; revealed_at: Date | null; return_related: boolean }>(
      `SELECT id, status, pin_encrypted, revealed_at, return_related FROM payment_adapter.gift_card_fulfillment WHERE order_id = $1`,
      [orderId],
    );

  /** One card allocated for the refund, active, holding `amount` from exactly one return-related issue. */
  async function expectOneLoadedCard(orderId: string, cardNumber: string, amount: string) {
    const [fulfillment, ...others] = await newCardFulfillments(orderId);
    expect(others).toEqual([]);
    expect(fulfillment).toMatchObject({ status: 'COMPLETED', pin_encrypted: null, revealed_at: expect.any(Date), return_related: true });
    expect(await allocationsFor(stack, fulfillment.id)).toEqual([{ card_number: cardNumber }]);
    const card = await stack.admin.card(cardNumber);
    expect(card).toMatchObject({ active: true, balance: amount });
    expect(returnIssues(card)).toEqual([expect.objectContaining({ amount })]);
  }

  it('allocates, activates and loads a new card with the refund; number and PIN in full once, masked in the replay and the read', async () => {
    const { orderId, paidWith } = await orderSettled('50.00');
    const key = randomUUID();
    const body = { orderId, amount: '20.00', currency: 'USD', toNewCard: {} };
    const first = await refund(body, key);
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/v1/refunds/${first.data.refundId}`);
    expect(first.data).toMatchObject({ orderId, status: 'SUCCEEDED', kind: 'REFUND', amount: '20.00', refundedAmount: '20.00', settlementId: null });
    const { cardNumber, pin, cardLast4 } = first.data.newCard;
    expect(cardNumber).toMatch(/^\d{12,19}$/);
    expect(cardLast4).toBe(cardNumber.slice(-4));
    expect(pin).toBe((await stack.admin.card(cardNumber)).pin);
    expect(first.data.cardLast4).toBe(cardLast4);
    await expectOneLoadedCard(orderId, cardNumber, '20.00');
    expect(returnIssues(await stack.admin.card(paidWith.cardNumber))).toEqual([]);

    const replay = await refund(body, key);
    expect(replay.status).toBe(201);
    expect(replay.data.newCard).toEqual({ cardNumber: `****${cardLast4}`, pin: null, cardLast4 });
    expect(JSON.stringify(replay.data)).not.toContain(cardNumber);
    const read = await stack.oms.get(`/v1/refunds/${first.data.refundId}`);
    expect(read.data).toMatchObject({ status: 'SUCCEEDED', newCard: { cardNumber: `****${cardLast4}`, pin: null, cardLast4 } });
    // Nothing about the card is kept in the clear: not in the idempotency store, not in the history.
    const stored = await stack.db.query(`SELECT response_body::text AS body FROM payment_adapter.idempotency_key`);
    expect(JSON.stringify(stored)).not.toContain(cardNumber);
    const events = await stack.db.query(`SELECT detail::text AS detail, provider_message FROM payment_adapter.payment_event WHERE order_id = $1`, [orderId]);
    expect(JSON.stringify(events)).not.toContain(cardNumber);
  });

  it('activation refused after the allocation: the retry activates and loads the same card once, and shows the PIN once', async () => {
    const { orderId } = await orderSettled('50.00');
    const key = randomUUID();
    const body = { orderId, amount: '12.50', currency: 'USD', toNewCard: {} };
    // Faults on the `allocate` method: its first call (the allocation) passes, the second (the activation) is refused.
    await stack.admin.setFaults({ rateLimitRate: 0.5, methods: ['allocate'], seed: seedFailingCall(1, 0.5) });
    const failed = await refund(body, key);
    expect(failed.status).toBe(503);
    expect(failed.data.error.details).toMatchObject({ outcome: 'NOT_APPLIED', retryable: true, refundId: expect.any(String) });
    const [pending] = await newCardFulfillments(orderId);
    const [allocated] = await allocationsFor(stack, pending.id);
    expect(await stack.admin.card(allocated.card_number)).toMatchObject({ active: false, balance: '0.00' });
    expect(pending.pin_encrypted).not.toBeNull();
    expect((await stack.oms.get(`/v1/refunds/${failed.data.error.details.refundId}`)).data).toMatchObject({ status: 'PENDING', refundedAmount: '0.00' });
    await stack.admin.clearFaults();

    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ refundId: failed.data.error.details.refundId, status: 'SUCCEEDED', refundedAmount: '12.50' });
    expect(retry.data.newCard).toEqual({ cardNumber: allocated.card_number, pin: (await stack.admin.card(allocated.card_number)).pin, cardLast4: allocated.card_number.slice(-4) });
    await expectOneLoadedCard(orderId, allocated.card_number, '12.50');
    expect((await refund(body, key)).data.newCard).toMatchObject({ cardNumber: `****${allocated.card_number.slice(-4)}`, pin: null });
  });

  it('issue refused after activation: the retry loads the card once', async () => {
    const { orderId } = await orderSettled('50.00');
    const key = randomUUID();
    const body = { orderId, amount: '7.00', currency: 'USD', toNewCard: {} };
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['updateBalance'] });
    expect((await refund(body, key)).status).toBe(503);
    await stack.admin.clearFaults();
    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    expect(retry.data.newCard.pin).toMatch(/^\d+$/);
    await expectOneLoadedCard(orderId, retry.data.newCard.cardNumber, '7.00');
  });

  it('issue answer lost (applied, then dropped): resolved from the card, loaded once', async () => {
    const { orderId } = await orderSettled('50.00');
    const key = randomUUID();
    const body = { orderId, amount: '9.00', currency: 'USD', toNewCard: {} };
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance'] });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    const answer = first.status === 201 ? first : await refund(body, key);
    expect(answer.status).toBe(201);
    expect(answer.data.newCard.pin).toMatch(/^\d+$/);
    await expectOneLoadedCard(orderId, answer.data.newCard.cardNumber, '9.00');
  });

  it('issue answer lost and nobody retries: the recovery sweep loads the card and the refund SUCCEEDED; the retry shows the card once', async () => {
    const { orderId } = await orderSettled('40.00');
    const key = randomUUID();
    const body = { orderId, amount: '15.00', currency: 'USD', toNewCard: {} };
    // The issue is applied, its answer dropped, and every look-up fails: the request can only answer 503.
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'cardHistory'] });
    const lost = await refund(body, key);
    await stack.admin.clearFaults();
    expect(lost.status).toBe(503);
    const status = async () => (await stack.db.query<{ status: string }>(`SELECT status FROM payment_adapter.refund WHERE order_id = $1`, [orderId]))[0].status;
    for (let i = 0; i < 40 && (await status()) !== 'SUCCEEDED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await stack.oms.post('/v1/recovery-runs');
    }
    expect(await status()).toBe('SUCCEEDED');
    const [fulfillment] = await newCardFulfillments(orderId);
    expect(fulfillment).toMatchObject({ status: 'COMPLETED', revealed_at: null });

    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'SUCCEEDED', refundedAmount: '15.00' });
    const { cardNumber, pin } = retry.data.newCard;
    expect(pin).toBe((await stack.admin.card(cardNumber)).pin);
    await expectOneLoadedCard(orderId, cardNumber, '15.00');
  });

  it('counts refunds to new cards in /metrics by kind', async () => {
    const metrics = await stack.oms.get('/metrics', { headers: { Authorization: '' } });
    expect(metrics.data).toMatch(/gcpa_refunds_to_new_cards_total\{kind="REFUND"\} [1-9]/);
  });

  it("is capped by the order's settled minus refunded; beyond it only a credits key, as kind CREDIT", async () => {
    const { orderId, paidWith } = await orderSettled('30.00');
    expect((await refund({ orderId, cardNumber: paidWith.cardNumber, amount: '10.00', currency: 'USD' })).status).toBe(201);
    const over = await refund({ orderId, amount: '20.01', currency: 'USD', toNewCard: {} });
    expect(over.status).toBe(422);
    expect(over.data.error).toMatchObject({ code: 'REFUND_EXCEEDS_SETTLED', details: { refundableAmount: '20.00' } });
    expect(await newCardFulfillments(orderId)).toEqual([]);

    const credit = await refund({ orderId, amount: '25.00', currency: 'USD', toNewCard: {} }, randomUUID(), omsClient(stack.adapter.url, CREDIT_KEY));
    expect(credit.status).toBe(201);
    expect(credit.data).toMatchObject({ kind: 'CREDIT', status: 'SUCCEEDED', refundedAmount: '25.00' });
    await expectOneLoadedCard(orderId, credit.data.newCard.cardNumber, '25.00');
  });

  it.each([
    [{ cardNumber: 'CARD', toNewCard: {} }, ['cardNumber', 'toNewCard']],
    [{ settlementId: randomUUID(), toNewCard: {} }, ['settlementId', 'toNewCard']],
    [{ toNewCard: { cardSetId: '' } }, ['toNewCard.cardSetId']],
    [{ toNewCard: { pin: '1234' } }, ['toNewCard.pin']],
    [{ toNewCard: 'yes' }, ['toNewCard']],
  ])('refuses %j with a 400 naming the fields, allocating nothing', async (extra, fields) => {
    const { orderId, paidWith } = await orderSettled('30.00');
    const body: Record<string, unknown> = { orderId, amount: '5.00', currency: 'USD', ...extra };
    if (body.cardNumber === 'CARD') body.cardNumber = paidWith.cardNumber;
    const response = await refund(body);
    expect(response.status).toBe(400);
    expect(response.data.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([...fields].sort());
    expect(await newCardFulfillments(orderId)).toEqual([]);
  });
});
