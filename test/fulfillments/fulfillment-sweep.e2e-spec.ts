import { randomUUID } from 'node:crypto';
import { Stack, startStack } from '../harness/stack';
import { allocationsFor, electronicLine, fulfill, fulfillmentOf, issuesOn } from './fulfillment-fixtures';

/** A fulfillment whose issue answer was lost and that no client retried: the recovery sweep finishes it. */
describe('gift card fulfillment finished by the recovery sweep', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('fulfill_sweep', { SETTLEMENT_JOB_ENABLED: 'false', RECOVERY_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  it('confirms the lost issue at the provider and completes the line without a second issue', async () => {
    const body = electronicLine();
    // The issue is applied but its answer dropped, and every look-up fails too: the outcome stays unknown.
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'cardHistory'] });
    const failed = await fulfill(stack, body, randomUUID());
    await stack.admin.clearFaults();
    expect(failed.status).toBe(503);
    expect(failed.data.error.details.outcome).toBe('UNKNOWN');
    const row = await fulfillmentOf(stack, body);
    expect(row.status).toBe('PENDING');

    const deadline = Date.now() + 45000;
    let status = row.status;
    while (status !== 'COMPLETED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await stack.oms.post('/v1/recovery-runs');
      status = (await fulfillmentOf(stack, body)).status;
    }
    expect(status).toBe('COMPLETED');
    const [allocation] = await allocationsFor(stack, row.id);
    expect(await issuesOn(stack, allocation.card_number)).toHaveLength(1);
    expect(await stack.admin.card(allocation.card_number)).toMatchObject({ active: true, balance: '25.00' });
    const unresolved = await stack.db.query(`SELECT id FROM payment_adapter.provider_call WHERE fulfillment_id = $1 AND outcome IN ('PENDING', 'UNKNOWN')`, [row.id]);
    expect(unresolved).toHaveLength(0);
  });
});
