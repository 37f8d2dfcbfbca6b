import { randomUUID } from 'node:crypto';
import { omsClient, SandboxCard, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** Return-related issues at the provider (the starting balance is an issue too, but not return-related). */
const refundsAt = (card: SandboxCard) => card.history.filter((t) => t.action === 'issue' && t.isReturnRelated === true);
const CREDIT_KEY = 'credit-desk-key';

/**
 * Refund ceilings (lifecycle.md, "Extensions"): every refund of an order, against a settlement or to a card
 * named by number, is capped by what the order settled on gift cards minus what is already refunded
 * (PENDING and SUCCEEDED), counted under a lock on the order. Beyond that only a `credits` key may go
 * (`kind: CREDIT`).
 */
describe('refund ceilings', () => {
  let stack: Stack;
  let credits: ReturnType<typeof omsClient>;
  beforeAll(async () => {
    stack = await startStack('refund_ceilings', {
      API_KEYS: `oms:local-dev-key,credit-desk:${CREDIT_KEY}:credits`,
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
    });
    credits = omsClient(stack.adapter.url, CREDIT_KEY);
  });
  afterAll(() => stack?.stop());

  /** An order that settled `settled` (in one or more invoices) from one card holding `held`. */
  async function orderSettled(balance: string, held: string, invoices: string[]) {
    const card = await stack.admin.createCard(balance);
    const orderId = `O-${randomUUID()}`;
    const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: held, currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const settlementIds: string[] = [];
    for (const [i, amount] of invoices.entries()) {
      const settlement = await stack.oms.post(
        '/v1/settlements',
        { authorizationId: hold.data.authorizationId, amount, invoiceId: `INV-${i + 1}`, final: i === invoices.length - 1 },
        withKey(),
      );
      expect(settlement.status).toBe(201);
      settlementIds.push(settlement.data.settlementId);
    }
    return { card, orderId, settlementIds };
  }
  const refund = (body: Record<string, unknown>, client = stack.oms) => client.post('/v1/refunds', body, withKey());
  const refundRows = (orderId: string) =>
    stack.db.query<{ status: string; amount_minor: string; kind: string }>(
      `SELECT status, amount_minor, kind FROM payment_adapter.refund WHERE order_id = $1 ORDER BY created_at`,
      [orderId],
    );

  it('refuses a card-only refund of an order that settled nothing (422, refundable 0.00), issuing nothing', async () => {
    const card = await stack.admin.createCard('5.00');
    const before = await stack.admin.card(card.cardNumber);
    const response = await refund({ orderId: 'NO-SUCH-ORDER', cardNumber: card.cardNumber, amount: '9999999999.00', currency: 'USD' });
    expect(response.status).toBe(422);
    expect(response.data.error).toMatchObject({ code: 'REFUND_EXCEEDS_SETTLED', details: { settledAmount: '0.00', refundedAmount: '0.00', refundableAmount: '0.00' } });
    expect(JSON.stringify(response.data)).not.toContain(card.cardNumber);
    expect(await stack.admin.card(card.cardNumber)).toEqual(before);
    expect(await refundRows('NO-SUCH-ORDER')).toEqual([]);
  });

  it('caps refunds by settlement and to the card together by what the order settled minus what was refunded', async () => {
    const { card, orderId, settlementIds } = await orderSettled('100.00', '50.00', ['20.00', '30.00']);
    expect((await refund({ orderId, settlementId: settlementIds[0], amount: '15.00', currency: 'USD' })).status).toBe(201);

    const tooMuch = await refund({ orderId, cardNumber: card.cardNumber, amount: '35.01', currency: 'USD' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.data.error).toMatchObject({
      code: 'REFUND_EXCEEDS_SETTLED',
      details: { settledAmount: '50.00', refundedAmount: '15.00', refundableAmount: '35.00' },
    });
    const toCard = await refund({ orderId, cardNumber: card.cardNumber, amount: '30.00', currency: 'USD' });
    expect(toCard.status).toBe(201);
    expect(toCard.data).toMatchObject({ status: 'SUCCEEDED', kind: 'REFUND', settlementId: null, refundedAmount: '30.00' });

    // The second settlement alone has 30.00 left, the order only 5.00.
    const bySettlement = await refund({ orderId, settlementId: settlementIds[1], amount: '6.00', currency: 'USD' });
    expect(bySettlement.status).toBe(422);
    expect(bySettlement.data.error).toMatchObject({ code: 'REFUND_EXCEEDS_SETTLED', details: { refundableAmount: '5.00' } });
    expect((await refund({ orderId, settlementId: settlementIds[1], amount: '5.00', currency: 'USD' })).status).toBe(201);
    expect((await refund({ orderId, cardNumber: card.cardNumber, amount: '0.01', currency: 'USD' })).status).toBe(422);

    const ledger = await stack.admin.card(card.cardNumber);
    expect(refundsAt(ledger).map((t) => t.amount).sort()).toEqual(['15.00', '30.00', '5.00']);
    expect(ledger.balance).toBe('100.00');
    expect((await refundRows(orderId)).map((r) => [r.kind, r.amount_minor])).toEqual([
      ['REFUND', '1500'],
      ['REFUND', '3000'],
      ['REFUND', '500'],
    ]);
  });

  it('counts a PENDING refund (answer lost) against the ceiling', async () => {
    const { card, orderId } = await orderSettled('100.00', '20.00', ['20.00']);
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'cardHistory'], seed: 1 });
    const lost = await refund({ orderId, cardNumber: card.cardNumber, amount: '12.00', currency: 'USD' });
    await stack.admin.clearFaults();
    expect(lost.status).toBe(503);
    expect(await refundRows(orderId)).toEqual([{ status: 'PENDING', amount_minor: '1200', kind: 'REFUND' }]);
    const next = await refund({ orderId, cardNumber: card.cardNumber, amount: '8.01', currency: 'USD' });
    expect(next.status).toBe(422);
    expect(next.data.error.details).toMatchObject({ refundableAmount: '8.00' });
  });

  it('refuses a refund to a card the order did not settle on (422 REFUND_CARD_NOT_IN_ORDER), issuing nothing', async () => {
    const { orderId } = await orderSettled('100.00', '40.00', ['40.00']);
    const stranger = await stack.admin.createCard('1.00');
    const response = await refund({ orderId, cardNumber: stranger.cardNumber, amount: '10.00', currency: 'USD' });
    expect(response.status).toBe(422);
    expect(response.data.error.code).toBe('REFUND_CARD_NOT_IN_ORDER');
    expect(JSON.stringify(response.data)).not.toContain(stranger.cardNumber);
    expect(refundsAt(await stack.admin.card(stranger.cardNumber))).toEqual([]);
    expect(await refundRows(orderId)).toEqual([]);
  });

  it('issues value beyond the ceiling, or to another card, only to a credits key, and says so (kind CREDIT)', async () => {
    const { card, orderId, settlementIds } = await orderSettled('100.00', '20.00', ['20.00']);
    const stranger = await stack.admin.createCard('1.00');

    const withinByCredits = await refund({ orderId, settlementId: settlementIds[0], amount: '5.00', currency: 'USD' }, credits);
    expect(withinByCredits.status).toBe(201);
    expect(withinByCredits.data).toMatchObject({ kind: 'REFUND', status: 'SUCCEEDED' });

    const beyond = await refund({ orderId, cardNumber: card.cardNumber, amount: '25.00', currency: 'USD' }, credits);
    expect(beyond.status).toBe(201);
    expect(beyond.data).toMatchObject({ kind: 'CREDIT', status: 'SUCCEEDED', refundedAmount: '25.00' });
    const otherCard = await refund({ orderId, cardNumber: stranger.cardNumber, amount: '2.00', currency: 'USD' }, credits);
    expect(otherCard.status).toBe(201);
    expect(otherCard.data).toMatchObject({ kind: 'CREDIT', cardLast4: stranger.cardNumber.slice(-4) });
    // A credit to another card on an order that settled nothing.
    const noOrder = await refund({ orderId: `O-${randomUUID()}`, cardNumber: stranger.cardNumber, amount: '3.00', currency: 'USD' }, credits);
    expect(noOrder.status).toBe(201);
    expect(noOrder.data.kind).toBe('CREDIT');

    const read = await stack.oms.get(`/v1/refunds/${beyond.data.refundId}`);
    expect(read.data).toMatchObject({ refundId: beyond.data.refundId, kind: 'CREDIT' });
    expect((await stack.oms.get(`/v1/refunds/${withinByCredits.data.refundId}`)).data.kind).toBe('REFUND');
    const order = await stack.oms.get(`/v1/orders/${orderId}/payments`);
    expect(order.status).toBe(200);
    expect(order.data.refunds.map((r: { kind: string }) => r.kind)).toEqual(['REFUND', 'CREDIT', 'CREDIT']);

    const [requested] = await stack.db.query<{ actor: string; detail: Record<string, unknown> }>(
      `SELECT actor, detail FROM payment_adapter.payment_event WHERE refund_id = $1 AND type = 'REFUND_REQUESTED'`,
      [beyond.data.refundId],
    );
    expect(requested).toMatchObject({ actor: 'credit-desk', detail: { kind: 'CREDIT', refundableAmount: '15.00' } });

    // The credits spent the ceiling: a payments key gets nothing more on this order.
    const after = await refund({ orderId, cardNumber: card.cardNumber, amount: '0.01', currency: 'USD' });
    expect(after.status).toBe(422);
    expect(after.data.error.details).toMatchObject({ refundableAmount: '0.00' });
    expect((await stack.admin.card(card.cardNumber)).balance).toBe('110.00');
    expect((await stack.admin.card(stranger.cardNumber)).balance).toBe('6.00');
  });

  it('never lets concurrent refunds of one order, by settlement and to the card, exceed what it settled', async () => {
    const { card, orderId, settlementIds } = await orderSettled('100.00', '50.00', ['50.00']);
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        refund(i % 2 === 0 ? { orderId, cardNumber: card.cardNumber, amount: '8.00', currency: 'USD' } : { orderId, settlementId: settlementIds[0], amount: '8.00', currency: 'USD' }),
      ),
    );
    expect(responses.every((r) => r.status === 201 || r.status === 422)).toBe(true);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(6); // 6 x 8.00 = 48.00 of 50.00
    expect(responses.filter((r) => r.status === 422).every((r) => r.data.error.code === 'REFUND_EXCEEDS_SETTLED')).toBe(true);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(refundsAt(ledger)).toHaveLength(6);
    expect(ledger.balance).toBe('98.00');
    expect((await refundRows(orderId)).map((r) => r.status)).toEqual(Array(6).fill('SUCCEEDED'));
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });

});
