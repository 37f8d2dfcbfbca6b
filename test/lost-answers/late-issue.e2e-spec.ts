import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Issue 15, late landings: a refund issue whose answer was lost is not concluded "not applied" after the
 * short grace period (1 s here), since issuing it again would pay the card twice if the first lands later
 * (and an issue already spent cannot be voided). It waits UNKNOWN_ISSUE_GRACE_MS (8 s here): the OMS retry
 * is answered 503 UNKNOWN until then, and the first issue, landing after 4 s, is found and is the refund.
 * Real PostgreSQL, the sandbox over HTTP.
 */
const LATE_MS = 4000;

describe('a lost refund issue waits UNKNOWN_ISSUE_GRACE_MS before "not applied" (real stack)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('late-issue', {
      UNKNOWN_ISSUE_GRACE_MS: '8000',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
      RECONCILIATION_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());

  it('answers 503 while the issue may still land, then the one issue that landed', async () => {
    const card = await stack.admin.createCard('50.00');
    const orderId = `O-${randomUUID()}`;
    const held = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '20.00', currency: 'USD' }, withKey());
    expect(held.status).toBe(201);
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: held.data.authorizationId, amount: '20.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);

    const refund = { orderId, settlementId: settled.data.settlementId, amount: '5.00', currency: 'USD' };
    const key = randomUUID();
    await stack.admin.setFaults({ lateRate: 1, lateMs: LATE_MS, methods: ['updateBalance'] });
    const started = Date.now();
    const lost = await stack.oms.post('/v1/refunds', refund, withKey(key));
    await stack.admin.clearFaults();
    expect(lost.status).toBe(503);

    // Past the 1 s grace period, before the issue lands: still unknown, nothing issued again.
    await sleep(2000);
    const waiting = await stack.oms.post('/v1/refunds', refund, withKey(key));
    expect(waiting.status).toBe(503);
    expect(waiting.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    expect(Date.now() - started).toBeLessThan(LATE_MS);

    // After it landed: the retry finds it and answers the refund, issued once.
    await sleep(LATE_MS - (Date.now() - started) + 500);
    const answered = await stack.oms.post('/v1/refunds', refund, withKey(key));
    expect(answered.status).toBe(201);
    expect(answered.data).toMatchObject({ status: 'SUCCEEDED', refundedAmount: '5.00' });
    const after = await stack.admin.card(card.cardNumber);
    expect(after.balance).toBe('35.00');
    expect(after.history.filter((h) => h.action === 'issue' && h.isReturnRelated)).toHaveLength(1);
  });
});
