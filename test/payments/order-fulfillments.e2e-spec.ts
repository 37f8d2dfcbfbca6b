import { electronicLine, fulfill } from '../fulfillments/fulfillment-fixtures';
import { Stack, startStack } from '../harness/stack';

/** The order view (the console's timeline) lists the gift cards sold on the order, masked. */
describe('the order view with gift card fulfillments', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('order_fulfill');
  });
  afterAll(() => stack?.stop());

  it('lists the fulfillment with its steps, the card masked and no PIN, even on an order with nothing else', async () => {
    const line = electronicLine({ amount: '40.00' });
    const first = await fulfill(stack, line);
    expect(first.status).toBe(201);
    expect(first.data.cardNumberMasked).toBe(false);
    const { cardNumber, pin } = first.data as { cardNumber: string; pin: string };

    const view = await stack.oms.get(`/v1/orders/${line.orderId}/payments`);
    expect(view.status).toBe(200);
    expect(view.data.fulfillments).toEqual([
      expect.objectContaining({
        fulfillmentId: first.data.fulfillmentId,
        lineId: '1',
        kind: 'ELECTRONIC',
        status: 'COMPLETED',
        amount: '40.00',
        cardNumber: `****${cardNumber.slice(-4)}`,
        cardNumberMasked: true,
        pin: null,
        steps: [expect.objectContaining({ step: 'ALLOCATED' }), expect.objectContaining({ step: 'ACTIVATED' }), expect.objectContaining({ step: 'ISSUED' })],
      }),
    ]);
    const text = JSON.stringify(view.data);
    expect(text).not.toContain(cardNumber);
    expect(text).not.toContain(`"${pin}"`);
  });
});
