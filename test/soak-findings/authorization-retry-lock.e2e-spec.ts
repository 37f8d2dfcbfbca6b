import { randomUUID } from 'node:crypto';
import { AxiosResponse } from 'axios';
import { ChainLock } from '../../apps/payment-adapter/src/authorizations/chain-lock';
import { ChainRepair } from '../../apps/payment-adapter/src/chain-repair/chain-repair.service';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Found by the chaos soak: a hold retried after a lost answer ran without the chain lock, while the recovery
 * sweep resolved the same authorization's earlier call under it. The sweep acted on its copy read before the
 * retry placed the hold: the approved (and reported) authorization went back to FAILED, its hold orphaned.
 */
describe('an authorization retried after a lost answer', () => {
  const GRACE_MS = 3000;
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('auth-retry-lock', { UNKNOWN_OUTCOME_GRACE_MS: String(GRACE_MS), RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  const holdLost = async (cardNumber: string, key: string, pin: string) => {
    // The hold times out at the adapter (the sandbox holds it past CLUTCH_TIMEOUT_MS, applying nothing).
    await stack.admin.setFaults({ timeoutRate: 1, hangMs: 1500, methods: ['updateBalance'] });
    const body = { orderId: `O-${randomUUID()}`, cardNumber, pin, amount: '20.00', currency: 'USD' };
    const lost = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(lost.status).toBe(503);
    expect(lost.data.error.details.outcome).toBe('UNKNOWN');
    await stack.admin.clearFaults();
    const [row] = await stack.db.query<{ id: string }>('SELECT id FROM payment_adapter.authorization_hold WHERE idempotency_key = $1', [`local-dev:${key}`]); // scoped by the API key's name
    return { body, authorizationId: row.id };
  };
  const holdCalls = async (authorizationId: string) =>
    Number((await stack.db.query<{ n: string }>(`SELECT count(*) AS n FROM payment_adapter.provider_call WHERE authorization_id = $1 AND operation = 'HOLD'`, [authorizationId]))[0].n);

  it('does not place a second hold while the first one is still being confirmed: 503 UNKNOWN, no new provider call', async () => {
    const card = await stack.admin.createCard('50.00');
    const key = randomUUID();
    const { body, authorizationId } = await holdLost(card.cardNumber, key, card.pin);
    const early = await stack.oms.post('/v1/authorizations', body, withKey(key)); // within the grace period
    expect(early.status).toBe(503);
    expect(early.data.error.details.outcome).toBe('UNKNOWN');
    expect(await holdCalls(authorizationId)).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));
    const later = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(later.status).toBe(201);
    expect(later.data).toMatchObject({ authorizationId, status: 'APPROVED', approvedAmount: '20.00' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '20.00' });
  });

  it('waits for the chain lock held by the recovery sweep, and the sweep cannot undo the hold it then places', async () => {
    const card = await stack.admin.createCard('50.00');
    const key = randomUUID();
    const { body, authorizationId } = await holdLost(card.cardNumber, key, card.pin);
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));

    const lock = stack.adapter.app.get(ChainLock);
    const repair = stack.adapter.app.get(ChainRepair);
    let retry!: Promise<AxiosResponse>;
    await lock.run(authorizationId, async () => {
      // The sweep holds the chain: the OMS's retry arrives meanwhile and must wait, not place a hold.
      retry = stack.oms.post('/v1/authorizations', body, withKey(key));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const [row] = await stack.db.query<{ state: string }>('SELECT state FROM payment_adapter.authorization_hold WHERE id = $1', [authorizationId]);
      expect(row.state).toBe('FAILED');
      expect(await holdCalls(authorizationId)).toBe(1);
      await repair.resolveChain(authorizationId, 'recovery-sweep'); // the sweep's own work: the lost hold did not apply
    });
    const answer = await retry;
    expect(answer.status).toBe(201);
    expect(answer.data).toMatchObject({ status: 'APPROVED', approvedAmount: '20.00' });

    // Another sweep pass after the retry changes nothing: the authorization and its hold stay together.
    await lock.run(authorizationId, () => repair.resolveChain(authorizationId, 'recovery-sweep'));
    const [row] = await stack.db.query<{ state: string; provider_hold_id: string; held_minor: string }>(
      'SELECT state, provider_hold_id, held_minor FROM payment_adapter.authorization_hold WHERE id = $1',
      [authorizationId],
    );
    expect(row).toMatchObject({ state: 'OPEN', held_minor: '2000' });
    const ledger = await stack.admin.card(card.cardNumber);
    expect(ledger.held).toBe('20.00');
    expect(ledger.holds.filter((h) => h.status === 'OPEN').map((h) => h.holdId)).toEqual([row.provider_hold_id]);
  });
});
