import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * The process died after learning that a lost hold had been placed and before releasing it (its authorization
 * had already failed), and the OMS never came back to that order. A finding is recorded only with what it means
 * (issue 15, item 9), so the hold's call is still in the sweep's queue: the sweep finds the hold nobody owns
 * and releases it, without scanning every answered call.
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
    // Rewind the adapter's record to the crash: the hold's answer was lost (UNKNOWN), the authorization FAILED,
    // and the look-up that found the hold died before its release.
    await stack.db.query(
      `UPDATE payment_adapter.authorization_hold SET state = 'FAILED', decision = NULL, provider_hold_id = NULL, held_minor = 0, approved_minor = 0 WHERE id = $1`,
      [hold.data.authorizationId],
    );
    await stack.db.query(
      `UPDATE payment_adapter.provider_call SET outcome = 'UNKNOWN', provider_transaction_id = NULL, result_minor = NULL,
              completed_at = now() - interval '5 minutes', next_check_at = now() - interval '1 minute'
        WHERE authorization_id = $1 AND operation = 'HOLD'`,
      [hold.data.authorizationId],
    );
    expect((await stack.admin.card(card.cardNumber)).held).toBe('20.00');

    const run = await stack.oms.post('/v1/recovery-runs');
    expect(run.status).toBeLessThan(300);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('0.00');
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
    const [call] = await stack.db.query<{ outcome: string }>(
      `SELECT outcome FROM payment_adapter.provider_call WHERE authorization_id = $1 AND operation = 'HOLD'`,
      [hold.data.authorizationId],
    );
    expect(call.outcome).toBe('APPLIED');
  });
});
