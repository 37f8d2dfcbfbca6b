import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * The process died after learning a hold's outcome and before recording what it means, and the OMS never
 * came back to that order: the recovery sweep finds the hold nobody owns and releases it.
 */
describe('recovery sweep: outcomes known but never recorded', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('unrecorded', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  it('releases a found hold whose authorization never took it on', async () => {
    const card = await stack.admin.createCard('50.00');
    const hold = await stack.oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '20.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    // Rewind the adapter's record to the crash: the look-up found the hold (APPLIED), the authorization is still FAILED.
    await stack.db.query(
      `UPDATE payment_adapter.authorization_hold SET state = 'FAILED', decision = NULL, provider_hold_id = NULL, held_minor = 0, approved_minor = 0 WHERE id = $1`,
      [hold.data.authorizationId],
    );
    await stack.db.query(
      `UPDATE payment_adapter.provider_call SET outcome = 'APPLIED', completed_at = now() - interval '5 minutes' WHERE authorization_id = $1 AND operation = 'HOLD'`,
      [hold.data.authorizationId],
    );
    expect((await stack.admin.card(card.cardNumber)).held).toBe('20.00');

    const run = await stack.oms.post('/v1/recovery-runs');
    expect(run.status).toBeLessThan(300);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });
});
