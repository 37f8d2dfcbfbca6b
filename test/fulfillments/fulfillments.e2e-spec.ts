import { randomUUID } from 'node:crypto';
import { Stack, startStack } from '../harness/stack';
import { allocationsFor, createCardSet, electronicLine, fulfill, fulfillmentOf, issuesOn, physicalLine, providerCallCount } from './fulfillment-fixtures';

describe('gift card fulfillment: electronic and physical paths, replays, declines', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('fulfill');
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  it('fulfills an electronic card: allocate, activate, issue; full number and PIN in the first response only', async () => {
    const body = electronicLine({ amount: '25.00' });
    const response = await fulfill(stack, body);
    expect(response.status).toBe(201);
    const first = response.data;
    expect(first).toMatchObject({ status: 'COMPLETED', kind: 'ELECTRONIC', cardSetId: 'egift', amount: '25.00', currency: 'USD', cardNumberMasked: false });
    expect(first.cardNumber).toMatch(/^6\d{15}$/);
    expect(first.pin).toMatch(/^\d+$/);
    expect(first.steps.map((s: { step: string }) => s.step)).toEqual(['ALLOCATED', 'ACTIVATED', 'ISSUED']);
    expect(first.steps[2].providerReference).toEqual(expect.any(String));

    const card = await stack.admin.card(first.cardNumber);
    expect(card).toMatchObject({ active: true, balance: '25.00', available: '25.00', pin: first.pin });
    expect(await issuesOn(stack, first.cardNumber)).toHaveLength(1);
    expect(await allocationsFor(stack, first.fulfillmentId)).toEqual([{ card_number: first.cardNumber }]);

    // Neither the fulfillment row, the stored replay nor the history hold the number or the PIN in clear.
    const stored = JSON.stringify(await stack.db.query(`SELECT * FROM payment_adapter.gift_card_fulfillment WHERE id = $1`, [first.fulfillmentId]));
    const replay = JSON.stringify(await stack.db.query(`SELECT response_body FROM payment_adapter.idempotency_key`));
    const history = JSON.stringify(await stack.db.query(`SELECT * FROM payment_adapter.payment_event WHERE fulfillment_id = $1`, [first.fulfillmentId]));
    for (const text of [stored, replay, history]) expect(text).not.toContain(first.cardNumber);
    expect(replay).not.toContain(`"pin":"${first.pin}"`);
    expect(history).toContain('FULFILLMENT_ISSUED');
  });

  it('replays masked: the same key gives the number as ****last4, no PIN, and makes no provider call', async () => {
    const body = electronicLine({ amount: '10.00' });
    const key = randomUUID();
    const first = (await fulfill(stack, body, key)).data;
    const calls = await providerCallCount(stack, first.fulfillmentId);
    const historyBefore = (await stack.admin.card(first.cardNumber)).history.length;

    const replay = await fulfill(stack, body, key);
    expect(replay.status).toBe(201);
    expect(replay.data).toMatchObject({
      fulfillmentId: first.fulfillmentId,
      status: 'COMPLETED',
      cardNumber: `****${first.cardNumber.slice(-4)}`,
      cardNumberMasked: true,
      pin: null,
      pinNote: expect.stringContaining('erased after'),
    });
    expect(replay.data.steps).toEqual(first.steps);

    // Another key for the same line and request: the existing fulfillment, masked, nothing new at the provider.
    const again = await fulfill(stack, body);
    expect(again.status).toBe(201);
    expect(again.data).toMatchObject({ fulfillmentId: first.fulfillmentId, cardNumberMasked: true, pin: null });

    const read = await stack.oms.get(`/v1/gift-card-fulfillments/${first.fulfillmentId}`);
    expect(read.status).toBe(200);
    expect(read.data).toMatchObject({ cardNumber: `****${first.cardNumber.slice(-4)}`, pin: null, status: 'COMPLETED' });
    expect(JSON.stringify(read.data)).not.toContain(first.cardNumber);

    expect(await providerCallCount(stack, first.fulfillmentId)).toBe(calls);
    expect((await stack.admin.card(first.cardNumber)).history).toHaveLength(historyBefore);
    expect(await stack.admin.card(first.cardNumber)).toMatchObject({ balance: '10.00' });
  });

  it('refuses another request for a fulfilled line (409) and an idempotency key reused with another body', async () => {
    const body = electronicLine();
    const key = randomUUID();
    const first = (await fulfill(stack, body, key)).data;
    const conflict = await fulfill(stack, { ...body, amount: '99.00' });
    expect(conflict.status).toBe(409);
    expect(conflict.data.error).toMatchObject({ code: 'FULFILLMENT_CONFLICT', details: { fulfillmentId: first.fulfillmentId, differingFields: ['amount'] } });
    const reused = await fulfill(stack, { ...body, lineId: '2' }, key);
    expect(reused.status).toBe(409);
    expect(reused.data.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await stack.admin.card(first.cardNumber)).toMatchObject({ balance: '25.00' });
  });

  it('gives two lines of one order two cards, each with its value', async () => {
    const orderId = `ORD-${randomUUID().slice(0, 8)}`;
    const [one, two] = await Promise.all([
      fulfill(stack, electronicLine({ orderId, lineId: '1', amount: '15.00' })),
      fulfill(stack, electronicLine({ orderId, lineId: '2', amount: '30.00' })),
    ]);
    expect([one.status, two.status]).toEqual([201, 201]);
    expect(one.data.cardNumber).not.toBe(two.data.cardNumber);
    expect(await stack.admin.card(one.data.cardNumber)).toMatchObject({ active: true, balance: '15.00' });
    expect(await stack.admin.card(two.data.cardNumber)).toMatchObject({ active: true, balance: '30.00' });
  });

  it('allocates from the card set named in the request', async () => {
    await createCardSet(stack, 'holiday');
    const response = await fulfill(stack, electronicLine({ cardSetId: 'holiday' }));
    expect(response.status).toBe(201);
    expect(await stack.admin.card(response.data.cardNumber)).toMatchObject({ cardSetId: 'holiday', active: true, balance: '25.00' });
  });

  it('fails an unknown card set with 422, nothing allocated', async () => {
    const body = electronicLine({ cardSetId: 'no-such-set' });
    const response = await fulfill(stack, body);
    expect(response.status).toBe(422);
    expect(response.data.error).toMatchObject({ code: 'FULFILLMENT_DECLINED', details: { reason: 'CARD_SET_NOT_FOUND', step: 'ALLOCATE' } });
    const row = await fulfillmentOf(stack, body);
    expect(row.status).toBe('FAILED');
    expect(await allocationsFor(stack, row.id)).toHaveLength(0);
    const read = await stack.oms.get(`/v1/gift-card-fulfillments/${row.id}`);
    expect(read.data).toMatchObject({ status: 'FAILED', failureReason: 'CARD_SET_NOT_FOUND', steps: [] });
  });

  it('fulfills a physical card: the inactive shipped card is activated, then the value issued', async () => {
    const shipped = await stack.admin.createCard('0.00', { pin: '4321', active: false });
    const response = await fulfill(stack, physicalLine(shipped.cardNumber, { pin: '4321', amount: '50.00' }));
    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({
      status: 'COMPLETED',
      kind: 'PHYSICAL',
      cardNumber: `****${shipped.cardNumber.slice(-4)}`,
      cardNumberMasked: true,
      pin: null,
      cardSetId: null,
    });
    expect(response.data).not.toHaveProperty('pinNote');
    expect(response.data.steps.map((s: { step: string }) => s.step)).toEqual(['ACTIVATED', 'ISSUED']);
    expect(await stack.admin.card(shipped.cardNumber)).toMatchObject({ active: true, balance: '50.00' });
    expect(await issuesOn(stack, shipped.cardNumber)).toHaveLength(1);
  });

  it('fulfills a physical card that was already active', async () => {
    const shipped = await stack.admin.createCard('0.00', { active: true });
    const response = await fulfill(stack, physicalLine(shipped.cardNumber, { amount: '20.00' }));
    expect(response.status).toBe(201);
    expect(await stack.admin.card(shipped.cardNumber)).toMatchObject({ active: true, balance: '20.00' });
  });

  it('fails an unknown physical card with 422, and takes a corrected card for the same line', async () => {
    const body = physicalLine('6999999999999999');
    const unknown = await fulfill(stack, body);
    expect(unknown.status).toBe(422);
    expect(unknown.data.error.details).toMatchObject({ reason: 'CARD_NOT_FOUND' });
    expect((await fulfillmentOf(stack, body)).status).toBe('FAILED');

    const shipped = await stack.admin.createCard('0.00', { active: false });
    const corrected = await fulfill(stack, { ...body, cardNumber: shipped.cardNumber });
    expect(corrected.status).toBe(201);
    expect(corrected.data).toMatchObject({ status: 'COMPLETED', cardLast4: shipped.cardNumber.slice(-4) });
    expect(await stack.admin.card(shipped.cardNumber)).toMatchObject({ active: true, balance: '50.00' });
  });

  it('fails a physical card with a wrong PIN before activating it', async () => {
    const shipped = await stack.admin.createCard('0.00', { pin: '4321', active: false });
    const response = await fulfill(stack, physicalLine(shipped.cardNumber, { pin: '9999' }));
    expect(response.status).toBe(422);
    expect(response.data.error.details).toMatchObject({ reason: 'INVALID_PIN' });
    expect(await stack.admin.card(shipped.cardNumber)).toMatchObject({ active: false, balance: '0.00' });
  });

  it('names every field a kind needs or refuses (400)', async () => {
    const noCard = await fulfill(stack, { ...physicalLine('6000000000000003'), cardNumber: undefined, cardSetId: 'egift' });
    expect(noCard.status).toBe(400);
    expect(noCard.data.error.details.fields.map((f: { field: string }) => f.field)).toEqual(['cardNumber', 'cardSetId']);
    const electronicWithCard = await fulfill(stack, electronicLine({ cardNumber: '6000000000000003', pin: '4321' }));
    expect(electronicWithCard.status).toBe(400);
    expect(electronicWithCard.data.error.details.fields.map((f: { field: string }) => f.field)).toEqual(['cardNumber', 'pin']);
    const bad = await fulfill(stack, { orderId: '', lineId: 'x', kind: 'DIGITAL', amount: '1.001', currency: 'USD' } as never);
    expect(bad.status).toBe(400);
    const missing = await stack.oms.get(`/v1/gift-card-fulfillments/${randomUUID()}`);
    expect(missing.status).toBe(404);
  });

  it('keeps the sandbox ledger consistent', async () => {
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });
});
