import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { omsClient, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';
import { authorize, runJob, settleLater, voidHoldBehindOurBack } from '../settlement-job/job-helpers';
import { Arrival, Receiver, startReceiver, TEST_WEBHOOK_SECRET, until } from './receiver';

/**
 * Notifications (issue 17) end to end: the adapter in this process over real PostgreSQL and the sandbox over
 * HTTP, and the OMS's receiver as a Node HTTP server that fails (500), hangs past the sender's timeout, and
 * answers 2xx. Every event arrives, signed (verified with `standardwebhooks`), in order per order id.
 */
jest.setTimeout(120_000);

describe('webhook notifications', () => {
  let stack: Stack;
  let receiver: Receiver;
  const ops = () => omsClient(stack.adapter.url, 'local-operator-key');

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startStack('webhooks', {
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      WEBHOOK_TIMEOUT_MS: '700',
      WEBHOOK_POLL_INTERVAL_MS: '100',
      WEBHOOK_LEASE_SECONDS: '5',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_RETRY_MAX_MS: '400',
      SETTLEMENT_JOB_ENABLED: 'false',
      SETTLEMENT_MAX_ATTEMPTS: '1',
      RECOVERY_ENABLED: 'false',
      CLUTCH_TIMEOUT_MS: '3000',
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });
  afterEach(async () => {
    receiver.behave(() => 200);
    await stack.admin.clearFaults();
  });

  const deliveryRows = (orderId: string) =>
    stack.db.query<{ id: string; type: string; status: string; attempts: number; last_response_status: number | null; last_error: string | null }>(
      `SELECT id, type, status, attempts, last_response_status, last_error FROM payment_adapter.webhook_delivery WHERE order_id = $1 ORDER BY seq`,
      [orderId],
    );
  const allDelivered = (orderId: string, count: number) =>
    until(`${count} deliveries of ${orderId}`, async () => {
      const rows = await deliveryRows(orderId);
      return rows.length === count && rows.every((r) => r.status === 'DELIVERED') && rows;
    });
  const refund = (orderId: string, settlementId: string, amount: string) =>
    stack.oms.post('/v1/refunds', { orderId, settlementId, amount, currency: 'USD' }, withKey());

  it('delivers every event through a 500 and a timeout, signed, in order per order, and never holds up another order', async () => {
    const order = await authorize(stack, '100.00', '60.00');
    const other = await authorize(stack, '100.00', '10.00');
    // The receiver fails the first order's first notification (500), then hangs past the timeout, then answers 503
    // until the test opens it; the other order's notifications are accepted at once.
    let open = false;
    receiver.behave((arrival, seen) => {
      if (arrival.payload.data.orderId !== order.orderId) return 204;
      const earlier = seen.filter((a) => a.payload.data.orderId === order.orderId).length;
      if (earlier === 0) return 500;
      if (earlier === 1) return 'hang';
      return open ? 200 : 503;
    });
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: order.authorizationId, amount: '60.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    const refunded = await refund(order.orderId, settled.data.settlementId, '15.00');
    expect(refunded.status).toBe(201);
    // The request never waited for the receiver: both notifications are still to deliver.
    expect((await deliveryRows(order.orderId)).map((r) => [r.type, r.status])).toEqual([
      ['settlement.settled', 'PENDING'],
      ['refund.succeeded', 'PENDING'],
    ]);

    // Meanwhile another order's notification goes out: only the same order waits.
    const otherSettled = await stack.oms.post('/v1/settlements', { authorizationId: other.authorizationId, amount: '10.00', invoiceId: 'INV-9', final: true }, withKey());
    expect(otherSettled.status).toBe(201);
    await allDelivered(other.orderId, 1);
    await until('the 500, the timeout and a 503', () => receiver.forOrder(order.orderId).length >= 3);
    const waiting = await deliveryRows(order.orderId);
    expect(waiting.map((r) => r.status)).toEqual(['PENDING', 'PENDING']);
    expect(waiting[1].attempts).toBe(0); // the refund's notification waits for the settlement's
    expect(waiting[0].attempts).toBeGreaterThanOrEqual(2);

    open = true;
    const rows = await allDelivered(order.orderId, 2);
    const arrivals = receiver.forOrder(order.orderId);
    expect(arrivals.slice(0, 2).map((a) => a.answer)).toEqual([500, 'hang']);
    expect(arrivals.every((a) => a.verified)).toBe(true);
    // In order: nothing of the refund arrived before the settlement's notification was accepted.
    const settledAccepted = arrivals.findIndex((a) => a.payload.type === 'settlement.settled' && a.answer === 200);
    expect(arrivals.findIndex((a) => a.payload.type === 'refund.succeeded')).toBeGreaterThan(settledAccepted);
    expect(receiver.deliveredFor(order.orderId).map((a) => a.payload.type)).toEqual(['settlement.settled', 'refund.succeeded']);
    expect(rows[0].attempts).toBeGreaterThanOrEqual(3);
    expect(rows[0]).toMatchObject({ status: 'DELIVERED', last_response_status: 200 });

    const [settledNote, refundNote] = receiver.deliveredFor(order.orderId);
    expect(Object.keys(settledNote.payload)).toEqual(['id', 'type', 'createdAt', 'data']);
    expect(settledNote.payload).toEqual({
      id: settledNote.id,
      type: 'settlement.settled',
      createdAt: expect.any(String),
      data: expect.objectContaining({
        orderId: order.orderId, authorizationId: order.authorizationId, settlementId: settled.data.settlementId,
        amount: '60.00', currency: 'USD', cardLast4: order.cardNumber.slice(-4), status: 'SETTLED',
      }),
    });
    expect(refundNote.payload.data).toMatchObject({ refundId: refunded.data.refundId, amount: '15.00', cardLast4: order.cardNumber.slice(-4), status: 'SUCCEEDED' });
    // The Standard Webhooks headers; the same webhook-id on every attempt of one notification.
    expect(Object.keys(settledNote.headers)).toEqual(expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']));
    expect(settledNote.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Set(arrivals.filter((a) => a.payload.type === 'settlement.settled').map((a) => a.id)).size).toBe(1);
    // Never a card number or a PIN.
    for (const a of receiver.arrivals) {
      expect(a.body).not.toContain(order.cardNumber);
      expect(a.body).not.toMatch(new RegExp(`"pin"|${order.pin}"`));
    }
    // A forged signature does not verify: the receiver's check is a real one.
    expect(() => new Webhook(`whsec_${Buffer.from('another-secret-of-32-bytes-......').toString('base64')}`).verify(settledNote.body, settledNote.headers)).toThrow();

    const metrics = await (await fetch(`${stack.adapter.url}/metrics`)).text();
    expect(metrics).toMatch(/gcpa_webhook_deliveries_total\{outcome="DELIVERED"\} [1-9]/);
    expect(metrics).toMatch(/gcpa_webhook_deliveries_total\{outcome="RETRY"\} [1-9]/);
  });

  it('FAILS a delivery not accepted within its retry window, lists it with the last answer, and redelivers it once', async () => {
    const order = await authorize(stack, '100.00', '30.00');
    receiver.behave((a) => (a.payload.data.orderId === order.orderId ? 500 : 200));
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: order.authorizationId, amount: '30.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    await until('a first failed attempt', async () => (await deliveryRows(order.orderId))[0]?.attempts >= 1);
    // The retry window ends now (as if 24 hours had passed): the next failed attempt is the last.
    await stack.db.query(`UPDATE payment_adapter.webhook_delivery SET retry_until = now() WHERE order_id = $1`, [order.orderId]);
    await until('FAILED', async () => (await deliveryRows(order.orderId))[0].status === 'FAILED');

    const failed = await ops().get('/v1/webhook-deliveries', { params: { status: 'FAILED' } });
    expect(failed.status).toBe(200);
    const listed = failed.data.items.find((d: { orderId: string }) => d.orderId === order.orderId);
    expect(listed).toMatchObject({ type: 'settlement.settled', status: 'FAILED', lastResponseStatus: 500, lastResponseExcerpt: 'receiver says 500', nextAttemptAt: null });
    expect(listed.attempts).toBeGreaterThanOrEqual(2);
    expect(listed.payload).toMatchObject({ id: listed.deliveryId, type: 'settlement.settled', data: { orderId: order.orderId, amount: '30.00' } });
    expect(JSON.stringify(failed.data)).not.toContain(order.cardNumber);
    const metrics = await (await fetch(`${stack.adapter.url}/metrics`)).text();
    expect(metrics).toMatch(/gcpa_webhook_deliveries_total\{outcome="FAILED"\} [1-9]/);
    expect(metrics).toMatch(/gcpa_webhook_deliveries\{status="FAILED"\} [1-9]/);

    // Bad input changes nothing; an unknown delivery is 404.
    expect((await ops().get('/v1/webhook-deliveries', { params: { status: 'LOST' } })).status).toBe(400);
    expect((await ops().post('/v1/webhook-deliveries/not-a-uuid/redeliveries')).status).toBe(400);
    expect((await ops().post(`/v1/webhook-deliveries/${randomUUID()}/redeliveries`)).status).toBe(404);

    const before = receiver.forOrder(order.orderId).length;
    receiver.behave(() => 200);
    const key = randomUUID();
    const [first, second] = [await ops().post(`/v1/webhook-deliveries/${listed.deliveryId}/redeliveries`, undefined, withKey(key)), await stack.oms.post(`/v1/webhook-deliveries/${listed.deliveryId}/redeliveries`)];
    expect(first.status).toBe(202);
    expect(first.data).toMatchObject({ deliveryId: listed.deliveryId, status: 'PENDING' });
    // A payments key may redeliver too; asking again while PENDING, or once DELIVERED, changes nothing.
    expect([second.status, ['PENDING', 'DELIVERED'].includes(second.data.status)]).toEqual([202, true]);
    await allDelivered(order.orderId, 1);
    const replay = await ops().post(`/v1/webhook-deliveries/${listed.deliveryId}/redeliveries`, undefined, withKey(key));
    expect(replay.status).toBe(202);
    expect(replay.data.status).toBe('PENDING'); // the first answer, replayed for its key: nothing queued again
    const again = await ops().post(`/v1/webhook-deliveries/${listed.deliveryId}/redeliveries`);
    expect([again.status, again.data.status]).toEqual([202, 'DELIVERED']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = receiver.forOrder(order.orderId).slice(before);
    expect(after.map((a) => [a.id, a.answer, a.verified])).toEqual([[listed.deliveryId, 200, true]]);
    expect((await deliveryRows(order.orderId))[0].status).toBe('DELIVERED');
  });

  it('tells the OMS of a failed batch settlement and of a fulfillment completed or failed', async () => {
    const order = await authorize(stack, '100.00', '40.00');
    await settleLater(stack.oms, order.authorizationId, '40.00', 'INV-1', true);
    await voidHoldBehindOurBack(stack, order.cardNumber);
    expect(await runJob(stack.oms)).toMatchObject({ failed: 1 });
    // The redeem's decline shows the hold is gone: the authorization is closed EXPIRED, then the settlement FAILED.
    const [expiredNote, failedNote] = await until('two notes', () => receiver.deliveredFor(order.orderId).length === 2 && receiver.deliveredFor(order.orderId));
    expect(expiredNote.payload).toMatchObject({ type: 'authorization.expired', data: { authorizationId: order.authorizationId, status: 'CLOSED/EXPIRED' } });
    expect(failedNote.payload).toMatchObject({ type: 'settlement.failed', data: { amount: '40.00', status: 'FAILED', reason: 'HOLD_NOT_AVAILABLE', cardLast4: order.cardNumber.slice(-4) } });

    const orderId = `ORD-${randomUUID().slice(0, 8)}`;
    const done = await stack.oms.post('/v1/gift-card-fulfillments', { orderId, lineId: '1', kind: 'ELECTRONIC', amount: '25.00', currency: 'USD' }, withKey());
    expect(done.status).toBe(201);
    const lost = await stack.oms.post('/v1/gift-card-fulfillments', { orderId, lineId: '2', kind: 'ELECTRONIC', cardSetId: 'no-such-set', amount: '5.00', currency: 'USD' }, withKey());
    expect(lost.status).toBe(422);
    const notes = await until('two fulfillment notes', () => receiver.deliveredFor(orderId).length === 2 && receiver.deliveredFor(orderId));
    expect(notes.map((a: Arrival) => a.payload.type)).toEqual(['fulfillment.completed', 'fulfillment.failed']);
    expect(notes[0].payload.data).toMatchObject({ fulfillmentId: done.data.fulfillmentId, amount: '25.00', status: 'COMPLETED', cardLast4: done.data.cardNumber.slice(-4) });
    expect(notes[1].payload.data).toMatchObject({ amount: '5.00', status: 'FAILED' });
    // The electronic card's number and PIN are shown once, in the answer; never in a notification.
    expect(JSON.stringify(notes)).not.toContain(done.data.cardNumber);
    if (done.data.pin) expect(JSON.stringify(notes.map((n: Arrival) => n.payload))).not.toContain(`"${done.data.pin}"`);
  });

  it('tells the OMS when a call given up as unknown is resolved later by a look-up of the recovery sweep', async () => {
    const order = await authorize(stack, '100.00', '40.00');
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: order.authorizationId, amount: '40.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'cardHistory'], seed: 1 });
    const lost = await refund(order.orderId, settled.data.settlementId, '6.00');
    expect(lost.status).toBe(503);
    const [call] = await stack.db.query<{ id: string }>(`SELECT id FROM payment_adapter.provider_call WHERE order_id = $1 AND operation = 'ISSUE'`, [order.orderId]);
    // A day later, still unknown (its look-ups are lost too): the sweep gives it up.
    await stack.admin.setFaults({ dropRate: 1, methods: ['cardHistory'], seed: 1 });
    await stack.db.query(`UPDATE payment_adapter.provider_call SET created_at = now() - interval '25 hours' WHERE id = $1`, [call.id]);
    await until('given up', async () => {
      expect((await ops().post('/v1/recovery-runs')).status).toBe(200);
      return (await stack.db.query(`SELECT 1 FROM payment_adapter.provider_call WHERE id = $1 AND given_up_at IS NOT NULL`, [call.id])).length === 1;
    });
    await stack.admin.clearFaults();
    // A given-up call is checked again every RECOVERY_GIVEN_UP_CHECK_SECONDS: made due now, until the client's
    // circuit breaker (opened by the lost look-ups) lets the look-up through.
    await until('resolved by the sweep', async () => {
      await stack.db.query(`UPDATE payment_adapter.provider_call SET next_check_at = now() WHERE id = $1`, [call.id]);
      expect((await ops().post('/v1/recovery-runs')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      return (await stack.db.query(`SELECT 1 FROM payment_adapter.refund WHERE order_id = $1 AND status = 'SUCCEEDED'`, [order.orderId])).length === 1;
    }, 45000);
    const notes = await until('four notes', () => receiver.deliveredFor(order.orderId).length === 4 && receiver.deliveredFor(order.orderId));
    expect(notes.map((a: Arrival) => a.payload.type)).toEqual(['settlement.settled', 'transaction.unknown', 'transaction.resolved', 'refund.succeeded']);
    expect(notes[1].payload.data).toMatchObject({ transactionId: call.id, operation: 'ISSUE', amount: '6.00', refundId: expect.any(String) });
    expect(notes[2].payload.data).toMatchObject({ transactionId: call.id, status: 'APPLIED', amount: '6.00', cardLast4: order.cardNumber.slice(-4) });
  });

  it('tells the OMS when a call is given up as unknown, and when it is resolved', async () => {
    const card = await stack.admin.createCard('100.00');
    const orderId = `O-${randomUUID()}`;
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'search'] });
    const lost = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '20.00', currency: 'USD', allowPartial: false }, withKey());
    expect(lost.status).toBe(503);
    await stack.admin.setFaults({ dropRate: 1, methods: ['search'] });
    const [call] = await stack.db.query<{ id: string }>(`SELECT id FROM payment_adapter.provider_call WHERE order_id = $1 AND operation = 'HOLD'`, [orderId]);
    await stack.db.query(`UPDATE payment_adapter.provider_call SET created_at = now() - interval '25 hours' WHERE id = $1`, [call.id]);
    await until('given up', async () => {
      expect((await ops().post('/v1/recovery-runs')).status).toBe(200);
      return (await stack.db.query(`SELECT 1 FROM payment_adapter.provider_call WHERE id = $1 AND given_up_at IS NOT NULL`, [call.id])).length === 1;
    });
    const [unknown] = await until('transaction.unknown', () => receiver.deliveredFor(orderId).length === 1 && receiver.deliveredFor(orderId));
    expect(unknown.payload).toMatchObject({ type: 'transaction.unknown', data: { orderId, transactionId: call.id, amount: '20.00', currency: 'USD', cardLast4: card.cardNumber.slice(-4), operation: 'HOLD' } });

    await stack.admin.clearFaults();
    const resolution = await ops().post(`/v1/transactions/${call.id}/resolutions`, { applied: false, reason: 'not in the card history at Clutch' });
    expect(resolution.status).toBe(200);
    const notes = await until('transaction.resolved', () => receiver.deliveredFor(orderId).length === 2 && receiver.deliveredFor(orderId));
    expect(notes[1].payload).toMatchObject({ type: 'transaction.resolved', data: { transactionId: call.id, status: 'NOT_APPLIED', reason: 'not in the card history at Clutch' } });
    expect(JSON.stringify(notes.map((n: Arrival) => n.payload))).not.toContain(card.cardNumber);
  });
});
