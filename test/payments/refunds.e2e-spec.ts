import { randomUUID } from 'node:crypto';
import { RefundsService } from '../../apps/payment-adapter/src/refunds/refunds.service';
import { omsClient, SandboxCard, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** Return-related issues at the provider (the starting balance is an issue too, but not return-related). */
const refundsAt = (card: SandboxCard) => card.history.filter((t) => t.action === 'issue' && t.isReturnRelated === true);

describe('refunds', () => {
  let stack: Stack;
  beforeAll(async () => {
    // local-dev as before; credit-desk may issue value beyond what an order settled (kind CREDIT).
    stack = await startStack('refunds', { API_KEYS: 'local-dev:local-dev-key,credit-desk:credit-desk-key:credits' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  /** A card with `balance`, a hold of `held` for a new order, and a final settlement of `settled` from it. */
  async function settled(balance: string, held: string, settledAmount: string) {
    const card = await stack.admin.createCard(balance);
    const orderId = `O-${randomUUID()}`;
    const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: held, currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const settlement = await stack.oms.post(
      '/v1/settlements',
      { authorizationId: hold.data.authorizationId, amount: settledAmount, invoiceId: 'INV-1', final: true },
      withKey(),
    );
    expect(settlement.status).toBe(201);
    return { card, orderId, authorizationId: hold.data.authorizationId as string, settlementId: settlement.data.settlementId as string };
  }
  const refund = (body: Record<string, unknown>, key = randomUUID()) => stack.oms.post('/v1/refunds', body, withKey(key));
  const credit = (body: Record<string, unknown>, key = randomUUID()) => omsClient(stack.adapter.url, 'credit-desk-key').post('/v1/refunds', body, withKey(key));
  const refundRows = (orderId: string) => stack.db.query<{ status: string; amount_minor: string }>(`SELECT status, amount_minor FROM payment_adapter.refund WHERE order_id = $1`, [orderId]);

  it('issues value back to the card of a settlement, marked return-related', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '60.00', '60.00');
    const response = await refund({ orderId, settlementId, amount: '10.00', currency: 'USD' });
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({
      orderId,
      settlementId,
      status: 'SUCCEEDED',
      amount: '10.00',
      refundedAmount: '10.00',
      currency: 'USD',
      cardLast4: card.cardNumber.slice(-4),
    });
    expect(JSON.stringify(response.data)).not.toContain(card.cardNumber);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.balance).toBe('50.00');
    expect(refundsAt(ledger)).toEqual([expect.objectContaining({ amount: '10.00', transactionId: response.data.providerReference })]);

    const events = await stack.db.query<{ type: string; actor: string; to_state: string }>(
      `SELECT type, actor, to_state FROM payment_adapter.payment_event WHERE refund_id = $1 ORDER BY id`,
      [response.data.refundId],
    );
    expect(events.map((e) => [e.type, e.to_state])).toEqual([
      ['REFUND_REQUESTED', 'PENDING'],
      ['REFUND_ISSUED', 'SUCCEEDED'],
    ]);
    expect(events.every((e) => e.actor === 'local-dev')).toBe(true);

    const read = await stack.oms.get(`/v1/refunds/${response.data.refundId}`);
    expect(read.data).toMatchObject({ refundId: response.data.refundId, status: 'SUCCEEDED' });
  });

  it('issues value to a card of the order named by number', async () => {
    const { card, orderId } = await settled('15.00', '10.00', '10.00');
    const response = await refund({ orderId, cardNumber: card.cardNumber, amount: '7.25', currency: 'USD' });
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({ status: 'SUCCEEDED', kind: 'REFUND', refundedAmount: '7.25', settlementId: null, cardLast4: card.cardNumber.slice(-4) });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.balance).toBe('12.25');
    expect(refundsAt(ledger)).toHaveLength(1);
    const [row] = await stack.db.query<{ card_encrypted: string }>(`SELECT card_encrypted FROM payment_adapter.refund WHERE id = $1`, [response.data.refundId]);
    expect(row.card_encrypted).not.toContain(card.cardNumber);
  });

  it('refuses a refund beyond what is left of the settled amount (422), issuing nothing', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '20.00', '20.00');
    expect((await refund({ orderId, settlementId, amount: '15.00', currency: 'USD' })).status).toBe(201);
    const tooMuch = await refund({ orderId, settlementId, amount: '5.01', currency: 'USD' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.data.error).toMatchObject({ code: 'REFUND_EXCEEDS_SETTLED', details: { settledAmount: '20.00', refundableAmount: '5.00' } });
    expect((await refund({ orderId, settlementId, amount: '5.00', currency: 'USD' })).status).toBe(201);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(refundsAt(ledger).map((t) => t.amount).sort()).toEqual(['15.00', '5.00']);
    expect(ledger.balance).toBe('100.00');
  });

  it('never refunds more than was settled under 10 concurrent refunds', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '50.00', '50.00');
    const responses = await Promise.all(Array.from({ length: 10 }, () => refund({ orderId, settlementId, amount: '8.00', currency: 'USD' })));
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 422);
    expect(created.length + refused.length).toBe(10);
    expect(created).toHaveLength(6); // 6 x 8.00 = 48.00 of 50.00
    expect(refused.every((r) => r.data.error.code === 'REFUND_EXCEEDS_SETTLED')).toBe(true);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(refundsAt(ledger)).toHaveLength(6);
    expect(ledger.balance).toBe('98.00');
    expect((await refundRows(orderId)).map((r) => r.status)).toEqual(Array(6).fill('SUCCEEDED'));
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });

  it('replays a refund for the same key: same refund, one issue at the provider', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '30.00', '30.00');
    const key = randomUUID();
    const body = { orderId, settlementId, amount: '10.00', currency: 'USD' };
    const [a, b] = await Promise.all([refund(body, key), refund(body, key)]);
    const c = await refund(body, key);
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(b.data.refundId).toBe(a.data.refundId);
    expect(c.data.refundId).toBe(a.data.refundId);
    expect(refundsAt(await stack.admin.card(card.cardNumber))).toHaveLength(1);
    const conflict = await refund({ ...body, amount: '11.00' }, key);
    expect(conflict.status).toBe(409);
  });

  it('issues exactly once when the provider applies the refund and drops the answer, then the OMS retries', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '40.00', '40.00');
    const key = randomUUID();
    const body = { orderId, settlementId, amount: '12.00', currency: 'USD' };
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance'], seed: 1 });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    // The adapter looks a lost answer up at once: it finds the issue (201), or says not processed (503).
    expect([201, 503]).toContain(first.status);
    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'SUCCEEDED', refundedAmount: '12.00' });
    if (first.status === 201) expect(retry.data.refundId).toBe(first.data.refundId);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(refundsAt(ledger)).toHaveLength(1);
    expect(ledger.balance).toBe('72.00');
    expect(await refundRows(orderId)).toEqual([{ status: 'SUCCEEDED', amount_minor: '1200' }]);
  });

  it('confirms a refund whose answer and look-up were both lost before it issues anything again', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '40.00', '40.00');
    const key = randomUUID();
    const body = { orderId, settlementId, amount: '9.00', currency: 'USD' };
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'cardHistory'], seed: 1 });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    expect(first.status).toBe(503);
    expect(first.data.error.details).toMatchObject({ outcome: 'UNKNOWN', retryable: true });
    expect(await refundRows(orderId)).toEqual([{ status: 'PENDING', amount_minor: '900' }]);

    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    expect(retry.data.status).toBe('SUCCEEDED');
    const ledger = await stack.admin.card(card.cardNumber);
    expect(refundsAt(ledger)).toHaveLength(1);
    expect(ledger.balance).toBe('69.00');
  });

  it('lets the recovery sweep finish a refund whose answer was lost (resolvePending), and the retry replays it', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '40.00', '40.00');
    const key = randomUUID();
    const body = { orderId, settlementId, amount: '6.00', currency: 'USD' };
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'cardHistory'], seed: 1 });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    expect(first.status).toBe(503);
    const [{ id }] = await stack.db.query<{ id: string }>(`SELECT id FROM payment_adapter.refund WHERE order_id = $1`, [orderId]);

    const sweep = stack.adapter.app.get(RefundsService, { strict: false });
    const resolved = await sweep.resolvePending(id, 'recovery-sweep');
    expect(resolved.outcome).toBe('SUCCEEDED');
    expect(resolved.refund.status).toBe('SUCCEEDED');
    expect(await sweep.resolvePending(id, 'recovery-sweep')).toMatchObject({ outcome: 'SUCCEEDED' });

    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ refundId: id, status: 'SUCCEEDED' });
    expect(refundsAt(await stack.admin.card(card.cardNumber))).toHaveLength(1);
    const [event] = await stack.db.query<{ actor: string }>(
      `SELECT actor FROM payment_adapter.payment_event WHERE refund_id = $1 AND type = 'REFUND_ISSUED'`,
      [id],
    );
    expect(event.actor).toBe('recovery-sweep');
  });

  it('issues again on retry when the lost attempt is known not to have applied', async () => {
    const { card, orderId, settlementId } = await settled('100.00', '40.00', '40.00');
    const key = randomUUID();
    const body = { orderId, settlementId, amount: '4.00', currency: 'USD' };
    // Never answered and never applied: the client times out (1 s), the look-up finds nothing yet.
    await stack.admin.setFaults({ timeoutRate: 1, hangMs: 3000, methods: ['updateBalance'], seed: 1 });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    expect(first.status).toBe(503);
    // After the grace period (1 s in tests) "not found" is believed.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    const ledger = await stack.admin.card(card.cardNumber);
    expect(refundsAt(ledger)).toHaveLength(1);
    expect(ledger.balance).toBe('64.00');
    const types = await stack.db.query<{ type: string }>(
      `SELECT type FROM payment_adapter.payment_event WHERE refund_id = $1 ORDER BY id`,
      [retry.data.refundId],
    );
    expect(types.map((t) => t.type)).toEqual(['REFUND_REQUESTED', 'REFUND_OUTCOME_UNKNOWN', 'REFUND_RETRIED', 'REFUND_ISSUED']);
  });

  it('keeps the refund PENDING when the provider refuses the call (429) and completes it on retry', async () => {
    const { card, orderId } = await settled('11.00', '10.00', '10.00'); // 1.00 left on the card
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, amount: '3.00', currency: 'USD' };
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['updateBalance'] });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    expect(first.status).toBe(503);
    expect(first.data.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { outcome: 'NOT_APPLIED' } });
    expect(await refundRows(orderId)).toEqual([{ status: 'PENDING', amount_minor: '300' }]);
    const retry = await refund(body, key);
    expect(retry.status).toBe(201);
    expect((await stack.admin.card(card.cardNumber)).balance).toBe('4.00');
  });

  it('answers UNKNOWN after a 503 (a 5xx on a money call may have applied), then issues once after the grace period', async () => {
    const { card, orderId } = await settled('11.00', '10.00', '10.00'); // 1.00 left on the card
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, amount: '3.00', currency: 'USD' };
    await stack.admin.setFaults({ errorRate: 1, methods: ['updateBalance'] });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    expect(first.status).toBe(503);
    expect(first.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    let retry = await refund(body, key);
    for (let i = 0; retry.status === 503 && i < 40; i++) {
      expect(retry.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      retry = await refund(body, key);
    }
    expect(retry.status).toBe(201);
    expect((await stack.admin.card(card.cardNumber)).balance).toBe('4.00');
    expect((await stack.admin.card(card.cardNumber)).history.filter((t) => t.action === 'issue' && t.customRequestId)).toHaveLength(1);
  });

  it('finds an issue answered with a 500 after it applied in the card history at once, and never issues it again', async () => {
    const { card, orderId } = await settled('11.00', '10.00', '10.00'); // 1.00 left on the card
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, amount: '3.00', currency: 'USD' };
    await stack.admin.setFaults({ applyThenErrorRate: 1, methods: ['updateBalance'] });
    const first = await refund(body, key);
    await stack.admin.clearFaults();
    expect(first.status).toBe(201);
    expect(first.data).toMatchObject({ status: 'SUCCEEDED', refundedAmount: '3.00' });
    const issues = (await stack.admin.card(card.cardNumber)).history.filter((t) => t.action === 'issue' && t.customRequestId);
    expect(issues).toHaveLength(1);
    expect(first.data.providerReference ?? issues[0].transactionId).toBe(issues[0].transactionId);
    expect((await refund(body, key)).status).toBe(201);
    expect((await stack.admin.card(card.cardNumber)).balance).toBe('4.00');
    const [call] = await stack.db.query<{ outcome: string }>(`SELECT outcome FROM payment_adapter.provider_call WHERE order_id = $1 AND operation = 'ISSUE'`, [orderId]);
    expect(call.outcome).toBe('APPLIED');
  });

  it('fails the refund with the decline reason (422) and replays that answer', async () => {
    const orderId = `O-${randomUUID()}`;
    const key = randomUUID();
    // Only a credit may go to a card the order did not settle on; the provider knows no such card.
    const body = { orderId, cardNumber: '6999999999999982', amount: '3.00', currency: 'USD' };
    const first = await credit(body, key);
    expect(first.status).toBe(422);
    expect(first.data.error.code).toBe('CARD_NOT_FOUND');
    expect(await refundRows(orderId)).toEqual([{ status: 'FAILED', amount_minor: '300' }]);
    const again = await credit(body, key);
    expect(again.status).toBe(422);
    expect(again.data).toEqual(first.data);
  });

  it('refuses refunds of a settlement of another order, of one not settled, or in another currency', async () => {
    const { orderId, settlementId, authorizationId } = await settled('100.00', '50.00', '20.00');
    const otherOrder = await refund({ orderId: 'O-else', settlementId, amount: '1.00', currency: 'USD' });
    expect(otherOrder.status).toBe(422);
    expect(otherOrder.data.error.code).toBe('SETTLEMENT_NOT_IN_ORDER');
    const euros = await refund({ orderId, settlementId, amount: '1.00', currency: 'EUR' });
    expect(euros.status).toBe(422);
    expect(euros.data.error.code).toBe('CURRENCY_MISMATCH');

    const card = await stack.admin.createCard('50.00');
    const hold = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '10.00', currency: 'USD' }, withKey());
    const batch = await stack.oms.post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount: '5.00', invoiceId: 'INV-B', mode: 'batch' }, withKey());
    expect(batch.status).toBe(202);
    const open = await refund({ orderId, settlementId: batch.data.settlementId, amount: '1.00', currency: 'USD' });
    expect(open.status).toBe(422);
    expect(open.data.error.code).toBe('SETTLEMENT_NOT_SETTLED');

    expect((await refund({ orderId, settlementId: randomUUID(), amount: '1.00', currency: 'USD' })).status).toBe(404);
    expect(authorizationId).toBeDefined();
    expect(await refundRows(orderId)).toEqual([]);
  });

  it.each([
    // Neither settlementId nor cardNumber is the order-only form now (issue 17): test/payments/refunds-across-cards.
    [{ orderId: 'O-V', settlementId: 'SETTLEMENT', cardNumber: 'CARD', amount: '1.00', currency: 'USD' }, ['settlementId', 'cardNumber']],
    [{ orderId: 'O-V', cardNumber: 'CARD', amount: '1e3', currency: 'USD' }, ['amount']],
    [{ orderId: 'O-V', cardNumber: 'CARD', amount: 1.5, currency: 'USD' }, ['amount']],
    [{ orderId: 'O-V', cardNumber: 'CARD', amount: '1.0', currency: 'USD' }, ['amount']],
    [{ orderId: 'O-V', cardNumber: 'CARD', amount: '1.5', currency: 'JPY' }, ['amount']],
    [{ orderId: 'O-V', cardNumber: 'CARD', amount: '0.00', currency: 'USD' }, ['amount']],
    [{ orderId: 'O-V', cardNumber: 'CARD', amount: '1.00', currency: 'ABC' }, ['currency']],
    [{ orderId: 'O-V', cardNumber: 'CARD', amount: '1.00', currency: 'USD', note: 'x' }, ['note']],
    [{ cardNumber: 'CARD', settlementId: 'nope', amount: '1.00', currency: 'USD' }, ['orderId', 'settlementId']],
  ])('names the bad fields of %j in a 400, changing nothing', async (template, fields) => {
    const { card, settlementId } = await settled('100.00', '10.00', '10.00');
    const before = await stack.admin.card(card.cardNumber);
    const body: Record<string, unknown> = { ...template };
    if (body.cardNumber === 'CARD') body.cardNumber = card.cardNumber;
    if (body.settlementId === 'SETTLEMENT') body.settlementId = settlementId;
    const response = await refund(body);
    expect(response.status).toBe(400);
    expect(response.data.error.code).toBe('VALIDATION_FAILED');
    expect(response.data.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([...fields].sort());
    expect(await stack.admin.card(card.cardNumber)).toEqual(before);
    expect(await stack.db.query(`SELECT id FROM payment_adapter.refund WHERE order_id = 'O-V'`)).toEqual([]);
  });
});
