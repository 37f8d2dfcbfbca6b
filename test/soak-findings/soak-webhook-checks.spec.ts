import axios from 'axios';
import { Webhook } from 'standardwebhooks';
import { reconcileWebhooks } from '../soak/reconcile-webhooks';
import { seededRandom } from '../soak/settings';
import { WebhookReceiver } from '../soak/webhook-receiver';

/**
 * The soak's notification checks must be able to fail: its receiver refuses a delivery that does not verify and
 * counts a repeat, and `reconcileWebhooks` finds a change never announced, one announced with the wrong amount,
 * one announced that did not happen, and a delivery left FAILED. The adapter's rows are given as a database
 * stand-in answering the soak's statements (the soak itself runs them on PostgreSQL).
 */
describe('the chaos soak: notification checks', () => {
  const send = async (url: string, secret: string, payload: { id: string; type: string; data: Record<string, unknown> }) => {
    const body = JSON.stringify(payload);
    const now = new Date();
    const signature = new Webhook(secret).sign(payload.id, now, body);
    return axios.post(url, body, {
      headers: { 'content-type': 'application/json', 'webhook-id': payload.id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature },
      validateStatus: () => true,
    });
  };

  it('the receiver verifies every signature with standardwebhooks and counts repeats', async () => {
    const receiver = new WebhookReceiver({ failRate: 0, slowRate: 0, slowMs: 0 }, seededRandom(1));
    const url = await receiver.start();
    try {
      const event = { id: 'msg_1', type: 'settlement.settled', data: { orderId: 'O-1', settlementId: 's-1', amount: '5.00' } };
      expect((await send(url, receiver.secret, event)).status).toBe(204);
      expect((await send(url, receiver.secret, event)).status).toBe(204);
      const forged = await send(url, `whsec_${Buffer.from('another secret, 32 bytes long....').toString('base64')}`, { ...event, id: 'msg_2' });
      expect(forged.status).toBe(400);
      expect(receiver.events.size).toBe(1);
      expect(receiver.duplicates).toBe(1);
      expect(receiver.stats.badSignatures).toBe(1);
      receiver.down = true;
      expect((await send(url, receiver.secret, { ...event, id: 'msg_3' })).status).toBe(500);
      expect(receiver.events.has('msg_3')).toBe(false);
    } finally {
      await receiver.stop();
    }
  });

  const rows: Record<string, Array<Record<string, unknown>>> = {
    settlement: [
      { id: 's-1', order_id: 'O-1', status: 'SETTLED', settled_minor: '500' },
      { id: 's-2', order_id: 'O-1', status: 'SETTLED', settled_minor: '700' },
      { id: 's-3', order_id: 'O-2', status: 'FAILED', settled_minor: '0' },
    ],
    refund: [{ id: 'r-1', order_id: 'O-1', status: 'SUCCEEDED', amount_minor: '200' }],
    gift_card_fulfillment: [],
    authorization_hold: [{ id: 'a-1', order_id: 'O-1', state: 'CLOSED', closed_reason: 'REAUTHORIZED' }],
    payment_event: [],
    provider_call: [],
    webhook_delivery: [
      { id: 'd-1', type: 'settlement.settled', order_id: 'O-1', status: 'DELIVERED', attempts: 1 },
      { id: 'd-2', type: 'refund.succeeded', order_id: 'O-1', status: 'DELIVERED', attempts: 1 },
      { id: 'd-3', type: 'settlement.settled', order_id: 'O-2', status: 'DELIVERED', attempts: 1 },
      { id: 'd-4', type: 'authorization.reauthorized', order_id: 'O-1', status: 'FAILED', attempts: 9, last_error: 'no answer within 1000 ms' },
    ],
  };
  const db = { query: async (sql: string) => rows[/FROM payment_adapter\.(\w+)/.exec(sql)![1]] } as never;

  it('finds a change never announced, a wrong amount, an announcement of what did not happen and a FAILED delivery', async () => {
    const receiver = new WebhookReceiver({ failRate: 0, slowRate: 0, slowMs: 0 }, seededRandom(1));
    const arrive = (id: string, type: string, data: Record<string, unknown>) => receiver.events.set(id, { id, type, data, times: 1 });
    arrive('d-1', 'settlement.settled', { orderId: 'O-1', settlementId: 's-1', amount: '5.00' }); // right
    arrive('d-2', 'refund.succeeded', { orderId: 'O-1', refundId: 'r-1', amount: '2.01' }); // wrong amount
    arrive('d-3', 'settlement.settled', { orderId: 'O-2', settlementId: 's-3', amount: '1.00' }); // s-3 FAILED: did not happen
    // s-2 SETTLED and s-3 FAILED never announced; a-1's REAUTHORIZED only in a FAILED delivery.

    const { counts, findings } = await reconcileWebhooks(db, receiver);

    expect(counts).toMatchObject({ received: 3, missing: 3, wrong: 1, unexpected: 1, undelivered: 1, badSignatures: 0 });
    const details = findings.map((f) => `${f.subject}: ${f.detail}`);
    expect(details).toEqual(
      expect.arrayContaining([
        'settlement s-2 (order O-1): settlement.settled never arrived',
        'settlement s-3 (order O-2): settlement.failed never arrived',
        'authorization a-1 (order O-1): authorization.reauthorized never arrived',
        expect.stringMatching(/^refund r-1: refund.succeeded arrived with order O-1 amount 2.01; the adapter has order O-1 amount 200/),
        expect.stringMatching(/settlement.settled for .*s-3.*, but settlement is FAILED/),
        expect.stringMatching(/^delivery d-4 .*FAILED after 9 attempts/),
      ]),
    );
  });
});
