import { randomUUID } from 'node:crypto';
import { SandboxCard, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** Return-related issues at the provider (the starting balance is an issue too, but not return-related). */
const refundsAt = (card: SandboxCard): string[] =>
  card.history
    .filter((t) => t.action === 'issue' && t.isReturnRelated === true)
    .map((t) => String(t.amount))
    .sort();

/**
 * A refund naming only its order (issue 17, item 2) is split across the order's settled cards: the card of the most
 * recent settlement first, never more than a card settled minus what was refunded to it; each part its own refund row
 * and provider call; a retry with the same key resumes the same parts.
 */
describe('refunds across the cards of an order', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('refunds_across_cards', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  /** An order paid with two cards: `first` settled from card A, then `second` from card B (the most recent). */
  async function paidWithTwoCards(first: string, second: string) {
    const orderId = `O-${randomUUID()}`;
    const cards: Array<{ cardNumber: string }> = [];
    for (const [i, amount] of [first, second].entries()) {
      const card = await stack.admin.createCard('100.00');
      const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
      expect(hold.status).toBe(201);
      const settlement = await stack.oms.post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount, invoiceId: `INV-${i}`, final: true }, withKey());
      expect(settlement.status).toBe(201);
      cards.push(card);
    }
    return { orderId, older: cards[0], newer: cards[1] };
  }
  const refund = (body: Record<string, unknown>, key = randomUUID()) => stack.oms.post('/v1/refunds', body, withKey(key));
  const ledger = async (card: { cardNumber: string }) => refundsAt(await stack.admin.card(card.cardNumber));
  const issueCalls = (orderId: string) =>
    stack.db.query<{ refund_id: string; outcome: string }>(
      `SELECT refund_id, outcome FROM payment_adapter.provider_call WHERE order_id = $1 AND operation = 'ISSUE' ORDER BY created_at`,
      [orderId],
    );

  it('takes the most recent card first, then the older one for the rest: one part, one refund row and one issue per card', async () => {
    const { orderId, older, newer } = await paidWithTwoCards('30.00', '20.00');
    const response = await refund({ orderId, amount: '35.00', currency: 'USD' });
    expect(response.status).toBe(201);
    expect(response.headers.location).toBe(`/v1/refunds/${response.data.refundId}`);
    expect(response.data).toMatchObject({ orderId, settlementId: null, kind: 'REFUND', status: 'SUCCEEDED', amount: '35.00', refundedAmount: '35.00', currency: 'USD' });
    expect(response.data.parts).toEqual([
      expect.objectContaining({ partOf: response.data.refundId, partIndex: 1, status: 'SUCCEEDED', amount: '20.00', cardLast4: newer.cardNumber.slice(-4), kind: 'REFUND' }),
      expect.objectContaining({ partOf: response.data.refundId, partIndex: 2, status: 'SUCCEEDED', amount: '15.00', cardLast4: older.cardNumber.slice(-4), kind: 'REFUND' }),
    ]);
    expect(JSON.stringify(response.data)).not.toContain(newer.cardNumber);
    expect(await ledger(newer)).toEqual(['20.00']);
    expect(await ledger(older)).toEqual(['15.00']);
    expect((await issueCalls(orderId)).map((c) => c.outcome)).toEqual(['SUCCEEDED', 'SUCCEEDED']);

    // The whole and each part can be read; the order view counts the parts once.
    const read = await stack.oms.get(`/v1/refunds/${response.data.refundId}`);
    expect(read.status).toBe(200);
    expect(read.data).toMatchObject({ refundId: response.data.refundId, status: 'SUCCEEDED', refundedAmount: '35.00' });
    expect(read.data.parts.map((p: { refundId: string }) => p.refundId)).toEqual(response.data.parts.map((p: { refundId: string }) => p.refundId));
    expect((await stack.oms.get(`/v1/refunds/${response.data.parts[1].refundId}`)).data).toMatchObject({ amount: '15.00', partOf: response.data.refundId });
    const order = await stack.oms.get(`/v1/orders/${orderId}/payments`);
    expect(order.data.totals).toMatchObject({ settled: '50.00', refunded: '35.00' });
  });

  it("holds the ceilings: no card beyond what it settled minus what was refunded to it, the whole within the order's", async () => {
    const { orderId, older, newer } = await paidWithTwoCards('30.00', '20.00');
    // 5.00 already went back to the newer card by number: it has 15.00 left, the older card 30.00.
    expect((await refund({ orderId, cardNumber: newer.cardNumber, amount: '5.00', currency: 'USD' })).status).toBe(201);

    const tooMuch = await refund({ orderId, amount: '45.01', currency: 'USD' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.data.error).toMatchObject({
      code: 'REFUND_EXCEEDS_SETTLED',
      details: { settledAmount: '50.00', refundedAmount: '5.00', refundableAmount: '45.00' },
    });
    const split = await refund({ orderId, amount: '40.00', currency: 'USD' });
    expect(split.status).toBe(201);
    expect(split.data.parts.map((p: { amount: string; cardLast4: string }) => [p.cardLast4, p.amount])).toEqual([
      [newer.cardNumber.slice(-4), '15.00'],
      [older.cardNumber.slice(-4), '25.00'],
    ]);
    // 5.00 is left, all of it on the older card.
    const last = await refund({ orderId, amount: '5.00', currency: 'USD' });
    expect(last.data.parts.map((p: { cardLast4: string }) => p.cardLast4)).toEqual([older.cardNumber.slice(-4)]);
    expect((await refund({ orderId, amount: '0.01', currency: 'USD' })).data.error).toMatchObject({ code: 'REFUND_EXCEEDS_SETTLED', details: { refundableAmount: '0.00' } });

    expect(await ledger(newer)).toEqual(['15.00', '5.00']);
    expect(await ledger(older)).toEqual(['25.00', '5.00']);
  });

  it('lets concurrent order refunds together never pass the ceiling', async () => {
    const { orderId, older, newer } = await paidWithTwoCards('30.00', '20.00');
    const answers = await Promise.all([1, 2, 3].map(() => refund({ orderId, amount: '20.00', currency: 'USD' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 422]);
    const issued = [...(await ledger(newer)), ...(await ledger(older))].reduce((sum, a) => sum + Math.round(Number(a) * 100), 0);
    expect(issued).toBe(4000);
  });

  it('resumes the same parts on a retry with the same key, issuing none twice', async () => {
    const { orderId, older, newer } = await paidWithTwoCards('30.00', '20.00');
    const key = randomUUID();
    const body = { orderId, amount: '35.00', currency: 'USD' };
    // 429: the provider refused it unread (nothing applied).
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['updateBalance'] });
    const failed = await refund(body, key);
    expect(failed.status).toBe(503);
    expect(failed.data.error.details).toMatchObject({ outcome: 'NOT_APPLIED', retryable: true });
    const refundId = failed.data.error.details.refundId;
    expect(await ledger(newer)).toEqual([]);
    await stack.admin.clearFaults();

    const retried = await refund(body, key);
    expect(retried.status).toBe(201);
    expect(retried.data).toMatchObject({ refundId, status: 'SUCCEEDED', refundedAmount: '35.00' });
    expect(await ledger(newer)).toEqual(['20.00']);
    expect(await ledger(older)).toEqual(['15.00']);
    const rows = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payment_adapter.refund WHERE order_id = $1`, [orderId]);
    expect(rows[0].n).toBe(2);
    expect((await refund(body, key)).data).toEqual(retried.data);
  });

  it('resolves a part whose answer was lost from the card, as a single refund is, issued once', async () => {
    const { orderId, older, newer } = await paidWithTwoCards('30.00', '20.00');
    const key = randomUUID();
    await stack.admin.setFaults({ applyThenErrorRate: 1, methods: ['updateBalance'] });
    const response = await refund({ orderId, amount: '35.00', currency: 'USD' }, key);
    await stack.admin.clearFaults();
    if (response.status !== 201) {
      // The look-up could not yet tell: the retry with the key confirms it.
      expect(response.status).toBe(503);
      expect((await refund({ orderId, amount: '35.00', currency: 'USD' }, key)).status).toBe(201);
    }
    expect(await ledger(newer)).toEqual(['20.00']);
    expect(await ledger(older)).toEqual(['15.00']);
    expect((await issueCalls(orderId)).map((c) => c.outcome)).toEqual(['APPLIED', 'APPLIED']);
  });
});
