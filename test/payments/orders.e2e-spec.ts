import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

describe('order view', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('orders');
  });
  afterAll(() => stack?.stop());

  const post = async (path: string, body: Record<string, unknown>, expected: number) => {
    const response = await stack.oms.post(path, body, withKey());
    expect({ path, status: response.status, body: response.data }).toMatchObject({ status: expected });
    return response.data;
  };

  it('adds up a whole lifecycle: holds, partial and final settlements, a reversal and a refund', async () => {
    const orderId = `O-${randomUUID()}`;
    const first = await stack.admin.createCard('100.00', { pin: '1234' });
    const second = await stack.admin.createCard('30.00');

    const hold = await post('/v1/authorizations', { orderId, cardNumber: first.cardNumber, pin: '1234', amount: '60.00', currency: 'USD' }, 201);
    const partial = await post('/v1/settlements', { authorizationId: hold.authorizationId, amount: '25.00', invoiceId: 'INV-1' }, 201);
    expect(partial.advancedAuthorization).toMatchObject({ approvedAmount: '35.00' });
    const last = await post('/v1/settlements', { authorizationId: hold.authorizationId, amount: '35.00', invoiceId: 'INV-2', final: true }, 201);
    const other = await post('/v1/authorizations', { orderId, cardNumber: second.cardNumber, pin: second.pin, amount: '20.00', currency: 'USD' }, 201);
    await post(`/v1/authorizations/${other.authorizationId}/reversals`, { amount: '0.00' }, 200);
    const refund = await post('/v1/refunds', { orderId, settlementId: last.settlementId, amount: '10.00', currency: 'USD' }, 201);

    const response = await stack.oms.get(`/v1/orders/${orderId}/payments`);
    expect(response.status).toBe(200);
    const view = response.data;
    expect(view).toMatchObject({ orderId, currency: 'USD', totals: { authorized: '80.00', settled: '60.00', refunded: '10.00', held: '0.00' } });

    expect(view.authorizations).toHaveLength(2);
    const [a, b] = view.authorizations;
    expect(a).toMatchObject({ authorizationId: hold.authorizationId, closedReason: 'SUPERSEDED', approvedAmount: '60.00', cardLast4: first.cardNumber.slice(-4) });
    expect(a.chain.map((l: { closedReason: string }) => l.closedReason)).toEqual(['SUPERSEDED', 'SETTLED']);
    expect(a.settlements.map((s: { settledAmount: string }) => s.settledAmount)).toEqual(['25.00', '35.00']);
    expect(b).toMatchObject({ authorizationId: other.authorizationId, closedReason: 'REVERSED', chain: [expect.anything()], settlements: [] });
    expect(view.refunds).toEqual([expect.objectContaining({ refundId: refund.refundId, status: 'SUCCEEDED', refundedAmount: '10.00' })]);

    const types = view.history.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('AUTHORIZATION_HOLD_APPROVED');
    expect(types).toEqual(expect.arrayContaining(['SETTLEMENT_REQUESTED', 'AUTHORIZATION_SUPERSEDED', 'AUTHORIZATION_REVERSED', 'REFUND_REQUESTED', 'REFUND_ISSUED']));
    expect(types[types.length - 1]).toBe('REFUND_ISSUED');
    const times = view.history.map((e: { createdAt: string }) => Date.parse(e.createdAt));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    for (const event of view.history) {
      expect(Object.keys(event)).toEqual(expect.arrayContaining(['type', 'fromState', 'toState', 'amount', 'actor', 'providerTransactionId', 'createdAt']));
      expect(event.actor).toBe('local-dev');
    }
    expect(view.history.find((e: { type: string }) => e.type === 'REFUND_ISSUED')).toMatchObject({ amount: '10.00', providerTransactionId: refund.providerReference });

    const text = JSON.stringify(view);
    expect(text).not.toContain(first.cardNumber);
    expect(text).not.toContain(second.cardNumber);
  });

  it('counts what open holds still hold, and a partial approval at what was approved', async () => {
    const orderId = `O-${randomUUID()}`;
    const short = await stack.admin.createCard('15.00');
    const hold = await post('/v1/authorizations', { orderId, cardNumber: short.cardNumber, pin: short.pin, amount: '40.00', currency: 'USD' }, 201);
    expect(hold.status).toBe('PARTIALLY_APPROVED');
    await post('/v1/settlements', { authorizationId: hold.authorizationId, amount: '5.00', invoiceId: 'INV-1' }, 201);
    const view = (await stack.oms.get(`/v1/orders/${orderId}/payments`)).data;
    expect(view.totals).toEqual({ authorized: '15.00', settled: '5.00', refunded: '0.00', held: '10.00' });
    expect(view.authorizations[0].currentAuthorizationId).not.toBe(hold.authorizationId);
  });

  it('answers 404 for an order it knows nothing of', async () => {
    const response = await stack.oms.get(`/v1/orders/O-${randomUUID()}/payments`);
    expect(response.status).toBe(404);
    expect(response.data.error.code).toBe('NOT_FOUND');
  });
});
