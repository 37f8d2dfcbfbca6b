import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * A lease on an authorization chain is renewed while its work goes on (issue 15, item 8): a settlement whose
 * redeem takes longer than the lease keeps its chain, so a reversal sent meanwhile waits for it instead of
 * taking the chain from under it (it used to, once the lease ran out, and answered 503 while the redeem was
 * still in flight).
 */
describe('chain leases are renewed while the work goes on', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('lease_renewal', {
      ROW_LEASE_SECONDS: '2',
      CLUTCH_TIMEOUT_MS: '8000',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  it('a reversal sent during a slow redeem waits for the settlement, then finds the chain closed', async () => {
    const card = await stack.admin.createCard('100.00');
    const held = await stack.oms.post(
      '/v1/authorizations',
      { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '40.00', currency: 'USD', allowPartial: false },
      withKey(),
    );
    expect(held.status).toBe(201);
    const authorizationId = held.data.authorizationId;
    // The redeem takes 4 s at the provider: twice the lease.
    await stack.admin.setFaults({ latencyMs: 4000, methods: ['updateBalance'] });
    const settling = stack.oms.post('/v1/settlements', { authorizationId, amount: '40.00', invoiceId: 'INV-1', final: true }, withKey());
    await new Promise((resolve) => setTimeout(resolve, 2800));
    // Past the lease's own length, the chain is still leased to the settlement: renewed, not run out.
    const [lease] = await stack.db.query<{ held: boolean }>(
      `SELECT lock_owner IS NOT NULL AND lock_until > now() AS held FROM payment_adapter.authorization_hold WHERE id = $1`,
      [authorizationId],
    );
    expect(lease.held).toBe(true);
    const reversal = await stack.oms.post(`/v1/authorizations/${authorizationId}/reversals`, { amount: '0.00' }, withKey());
    const settled = await settling;
    expect(settled.status).toBe(201);
    expect(settled.data).toMatchObject({ status: 'SETTLED', settledAmount: '40.00' });
    expect(reversal.status).toBe(200);
    expect(reversal.data).toMatchObject({ state: 'CLOSED', closedReason: 'SETTLED' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '60.00', held: '0.00' });
  });
});
