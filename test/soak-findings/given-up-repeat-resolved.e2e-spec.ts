import { randomUUID } from 'node:crypto';
import { allocationsFor, electronicLine, fulfill, fulfillmentOf, seedFailingCall } from '../fulfillments/fulfillment-fixtures';
import { Stack, startStack } from '../harness/stack';
import { TEST_WEBHOOK_SECRET } from '../webhooks/receiver';

/**
 * Soak finding (issue 17, 2000 orders, seed 2301685993): 13 calls the recovery sweep had given up on (the OMS was
 * told `transaction.unknown`) were never announced `transaction.resolved`. They were a fulfillment's lost
 * allocations and activations, settled by the step's later repeat (`settleRepeatedCalls`: a repeated activation
 * is APPLIED, a lost allocation NOT_APPLIED), which wrote the outcome without the TRANSACTION_RESOLVED history
 * event that every other resolution of a given-up call writes.
 */
describe('soak finding: a given-up call settled by a later repeat of its step is announced resolved', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('given_up_repeat', {
      // The outbox is written with WEBHOOK_URL set; nothing needs to answer for this test.
      WEBHOOK_URL: 'http://127.0.0.1:9/webhooks',
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      RECOVERY_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  /** What the sweep records when it gives a call up (recovery-claims.ts): the call stays UNKNOWN, for an operator. */
  const giveUp = (fulfillmentId: string, operation: string) =>
    stack.db.query(`UPDATE payment_adapter.provider_call SET outcome = 'UNKNOWN', given_up_at = now() WHERE fulfillment_id = $1 AND operation = $2 AND outcome IN ('PENDING', 'UNKNOWN')`, [
      fulfillmentId,
      operation,
    ]);

  async function resolvedEvents(fulfillmentId: string) {
    const calls = await stack.db.query<{ id: string; operation: string; outcome: string }>(
      `SELECT id::text, operation, outcome FROM payment_adapter.provider_call WHERE fulfillment_id = $1 AND given_up_at IS NOT NULL`,
      [fulfillmentId],
    );
    const events = await stack.db.query<{ provider_call_id: string; to_state: string }>(
      `SELECT provider_call_id::text, to_state FROM payment_adapter.payment_event WHERE type = 'TRANSACTION_RESOLVED' AND fulfillment_id = $1`,
      [fulfillmentId],
    );
    const deliveries = await stack.db.query<{ call: string; status: string }>(
      `SELECT payload->'data'->>'transactionId' AS call, payload->'data'->>'status' AS status FROM payment_adapter.webhook_delivery
        WHERE type = 'transaction.resolved' AND payload->'data'->>'fulfillmentId' = $1`,
      [fulfillmentId],
    );
    return { calls, events, deliveries };
  }

  it('a lost allocation, given up, then allocated anew: TRANSACTION_RESOLVED NOT_APPLIED and transaction.resolved', async () => {
    const body = electronicLine();
    const key = randomUUID();
    await stack.admin.setFaults({ dropRate: 1, methods: ['allocate'] });
    expect((await fulfill(stack, body, key)).status).toBe(503);
    const row = await fulfillmentOf(stack, body);
    await giveUp(row.id, 'ALLOCATE');

    await stack.admin.clearFaults();
    expect((await fulfill(stack, body, key)).status).toBe(201);
    expect(await allocationsFor(stack, row.id)).toHaveLength(2);

    const { calls, events, deliveries } = await resolvedEvents(row.id);
    expect(calls).toEqual([{ id: expect.any(String), operation: 'ALLOCATE', outcome: 'NOT_APPLIED' }]);
    expect(events).toEqual([{ provider_call_id: calls[0].id, to_state: 'NOT_APPLIED' }]);
    expect(deliveries).toEqual([{ call: calls[0].id, status: 'NOT_APPLIED' }]);
  });

  it('a lost activation, given up, then activated again: TRANSACTION_RESOLVED APPLIED and transaction.resolved', async () => {
    const body = electronicLine();
    const key = randomUUID();
    // Faults on the `allocate` method: its first call (the allocation) passes, the second (activation) is dropped.
    await stack.admin.setFaults({ dropRate: 0.5, methods: ['allocate'], seed: seedFailingCall(1, 0.5) });
    expect((await fulfill(stack, body, key)).status).toBe(503);
    const row = await fulfillmentOf(stack, body);
    await giveUp(row.id, 'ACTIVATE');

    await stack.admin.clearFaults();
    expect((await fulfill(stack, body, key)).status).toBe(201);

    const { calls, events, deliveries } = await resolvedEvents(row.id);
    expect(calls).toEqual([{ id: expect.any(String), operation: 'ACTIVATE', outcome: 'APPLIED' }]);
    expect(events).toEqual([{ provider_call_id: calls[0].id, to_state: 'APPLIED' }]);
    expect(deliveries).toEqual([{ call: calls[0].id, status: 'APPLIED' }]);
  });
});
