import { omsClient, sandboxAdmin, withKey } from '../harness/clients';
import { startProcesses } from '../harness/spawned-stack';
import { randomUUID } from 'node:crypto';
import { Receiver, startReceiver, TEST_WEBHOOK_SECRET, until } from './receiver';

/**
 * At least once across a crash: the adapter process is SIGKILLed while its sender is in the middle of
 * deliveries (the receiver holds them without answering). Another adapter process, on the same database,
 * takes the dead claims after their lease and delivers everything, in order per order. Needs `npm run build`.
 */
jest.setTimeout(150_000);

describe('the webhook sender killed mid-delivery', () => {
  const env = {
    SETTLEMENT_JOB_ENABLED: 'false',
    RECOVERY_ENABLED: 'false',
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    WEBHOOK_TIMEOUT_MS: '20000',
    WEBHOOK_LEASE_SECONDS: '25',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    WEBHOOK_RETRY_BASE_MS: '100',
    WEBHOOK_RETRY_MAX_MS: '400',
  };
  let procs: Awaited<ReturnType<typeof startProcesses>>;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver(() => 'hang');
    procs = await startProcesses('webhook_crash', { ...env, WEBHOOK_URL: receiver.url });
  }, 90000);
  afterAll(async () => {
    await procs?.stop();
    await receiver?.close();
  });

  it('loses nothing: the dead claims come back after their lease and every event is delivered once accepted, in order', async () => {
    const victim = await procs.startAdapter();
    const oms = omsClient(victim.url);
    const admin = sandboxAdmin(procs.sandboxUrl);
    const orders: Array<{ orderId: string; cardNumber: string }> = [];
    for (let i = 0; i < 3; i++) {
      const card = await admin.createCard('100.00');
      const orderId = `O-${randomUUID()}`;
      const hold = await oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '50.00', currency: 'USD' }, withKey());
      expect(hold.status).toBe(201);
      const settled = await oms.post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount: '50.00', invoiceId: 'INV-1', final: true }, withKey());
      expect(settled.status).toBe(201);
      const refund = await oms.post('/v1/refunds', { orderId, settlementId: settled.data.settlementId, amount: '5.00', currency: 'USD' }, withKey());
      expect(refund.status).toBe(201);
      orders.push({ orderId, cardNumber: card.cardNumber });
    }
    // The victim's sender has the first notification of each order in flight, unanswered.
    await until('three deliveries in flight', () => new Set(receiver.arrivals.map((a) => a.id)).size >= 3, 30000);
    const claimed = await procs.db.query<{ id: string; lease_until: Date }>(
      `SELECT id, lease_until FROM payment_adapter.webhook_delivery WHERE lease_owner IS NOT NULL`,
    );
    expect(claimed).toHaveLength(3);
    await victim.process.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await procs.db.query(`SELECT 1 FROM payment_adapter.webhook_delivery WHERE status = 'DELIVERED'`)).toHaveLength(0);

    receiver.behave(() => 200);
    await procs.startAdapter();
    const rows = await until(
      'every delivery DELIVERED',
      async () => {
        const all = await procs.db.query<{ id: string; order_id: string; type: string; status: string; delivered_at: Date }>(
          `SELECT id, order_id, type, status, delivered_at FROM payment_adapter.webhook_delivery ORDER BY seq`,
        );
        return all.length === 6 && all.every((r) => r.status === 'DELIVERED') && all;
      },
      90000,
    );
    // Not taken over before the dead claim's lease ran out.
    for (const claim of claimed) {
      expect(new Date(rows.find((r) => r.id === claim.id)!.delivered_at).getTime()).toBeGreaterThanOrEqual(new Date(claim.lease_until).getTime() - 1000);
    }
    expect(Date.now() - killedAt).toBeGreaterThan(0);
    for (const { orderId, cardNumber } of orders) {
      expect(receiver.deliveredFor(orderId).map((a) => a.payload.type)).toEqual(['settlement.settled', 'refund.succeeded']);
      for (const a of receiver.forOrder(orderId)) expect(a.body).not.toContain(cardNumber);
    }
    // At least once: the notifications the victim had in flight arrived twice (same webhook-id), all signed.
    for (const claim of claimed) expect(receiver.arrivals.filter((a) => a.id === claim.id).length).toBeGreaterThanOrEqual(2);
    expect(receiver.arrivals.every((a) => a.verified)).toBe(true);
  });
});
