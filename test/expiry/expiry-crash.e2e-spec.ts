import { randomUUID } from 'node:crypto';
import { RunningApp, startAdapter } from '../harness/apps';
import { omsClient, sandboxAdmin, withKey } from '../harness/clients';
import { startProcesses } from '../harness/spawned-stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A process that dies in the middle of a re-authorization (SIGKILL), at the two moments that leave work behind:
 * after the new hold was recorded and before the old one's release (hold first), and after the old hold was released
 * and before the new hold (release first, a card held in full). A trigger holds the insert of the next call's intent,
 * so the kill lands in that gap. Another instance completes it: the recovery sweep releases the old hold, the next
 * expiry run places the new one. Needs `npm run build` (runs dist/).
 */
describe('a re-authorization whose process died half-way', () => {
  const env = { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false', EXPIRY_JOB_ENABLED: 'false', RECONCILIATION_ENABLED: 'false', HOLD_TTL_HOURS: '48', REAUTHORIZE_BEFORE_HOURS: '24' };
  let procs: Awaited<ReturnType<typeof startProcesses>>;
  let successor: RunningApp | undefined;
  beforeAll(async () => {
    procs = await startProcesses('expiry_crash', env);
  }, 90000);
  afterAll(async () => {
    await successor?.close().catch(() => undefined);
    await procs?.stop();
  });
  afterEach(async () => {
    await successor?.close().catch(() => undefined);
    successor = undefined;
    await procs.db.query(`DROP TRIGGER IF EXISTS hold_intent ON payment_adapter.provider_call`);
  });

  /** Holds (then refuses) the next intent of `operation` on the order, kills the process there, starts another one. */
  async function killBefore(operation: 'RELEASE_HOLD' | 'HOLD', amount: string, balance: string) {
    const victim = await procs.startAdapter();
    const admin = sandboxAdmin(procs.sandboxUrl);
    const card = await admin.createCard(balance);
    const orderId = `O-${randomUUID()}`;
    const hold = await omsClient(victim.url).post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);
    const first = hold.data.authorizationId as string;
    await procs.db.query(`UPDATE payment_adapter.authorization_hold SET expires_at = now() + interval '2 hours' WHERE id = $1`, [first]);

    await procs.db.query(`CREATE OR REPLACE FUNCTION payment_adapter.hold_intent() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.operation = '${operation}' AND NEW.order_id = '${orderId}' THEN
          PERFORM pg_sleep(3);
          RAISE EXCEPTION 'the process is gone';
        END IF;
        RETURN NEW;
      END $$`);
    await procs.db.query(`CREATE TRIGGER hold_intent BEFORE INSERT ON payment_adapter.provider_call FOR EACH ROW EXECUTE FUNCTION payment_adapter.hold_intent()`);
    void omsClient(victim.url).post('/v1/expiry-runs').catch(() => undefined);
    // The trigger's call is the one being held: its intent is what the process waits on when it dies.
    for (let i = 0; ; i++) {
      const [held] = await procs.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND query ILIKE '%INSERT INTO%provider_call%'`,
      );
      if (held.n > 0) break;
      if (i > 1000) throw new Error('the intent was never held');
      await sleep(10);
    }
    await victim.process.kill('SIGKILL');
    await procs.db.query(`DROP TRIGGER hold_intent ON payment_adapter.provider_call`);
    // The dead process's chain lease and its run's claims run out after ROW_LEASE_SECONDS: shortened here.
    await procs.db.query(`UPDATE payment_adapter.authorization_hold SET lock_until = NULL, lock_owner = NULL, expiry_claim_until = NULL WHERE root_id = $1`, [first]);
    successor = await startAdapter(procs.db.url, procs.sandboxUrl, { ...env, UNKNOWN_OUTCOME_GRACE_MS: '1000', CLUTCH_TIMEOUT_MS: '2000' });
    return { admin, card, orderId, first, oms: omsClient(successor.url) };
  }

  async function expectOneHold(admin: ReturnType<typeof sandboxAdmin>, cardNumber: string, first: string, oms: ReturnType<typeof omsClient>, amount: string) {
    const [, next] = (await oms.get(`/v1/authorizations/${first}`)).data.chain;
    expect(next).toMatchObject({ state: 'OPEN', heldAmount: amount });
    const open = (await admin.card(cardNumber)).holds.filter((h) => h.status === 'OPEN');
    expect(open).toEqual([expect.objectContaining({ holdId: next.providerReference, amount })]);
    expect(await admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
  }

  it('after the new hold, before the old release: the recovery sweep releases the old hold', async () => {
    const { admin, card, orderId, first, oms } = await killBefore('RELEASE_HOLD', '30.00', '100.00');
    expect((await admin.card(card.cardNumber)).holds.filter((h) => h.status === 'OPEN')).toHaveLength(2);
    expect((await oms.get(`/v1/orders/${orderId}/payments`)).data.totals.held).toBe('30.00');
    // The sweep leaves answered calls younger than a minute to the request still working on them: time passes here.
    await procs.db.query(`UPDATE payment_adapter.provider_call SET completed_at = now() - interval '5 minutes' WHERE authorization_id = $1`, [first]);
    // ...and the link was closed then too: the sweep leaves alone a link a job may still be working on.
    await procs.db.query(`UPDATE payment_adapter.authorization_hold SET updated_at = now() - interval '5 minutes' WHERE id = $1`, [first]);
    expect((await oms.post('/v1/recovery-runs')).status).toBe(200);
    await expectOneHold(admin, card.cardNumber, first, oms, '30.00');
  }, 120000);

  it('after the old release, before the new hold (a card held in full): the next expiry run places the new hold', async () => {
    const { admin, card, first, oms } = await killBefore('HOLD', '30.00', '30.00');
    expect((await admin.card(card.cardNumber)).held).toBe('0.00');
    const [, next] = (await oms.get(`/v1/authorizations/${first}`)).data.chain;
    expect(next).toMatchObject({ state: 'PENDING' });
    const run = await oms.post('/v1/expiry-runs');
    expect(run.data).toMatchObject({ reauthorized: 1 });
    await expectOneHold(admin, card.cardNumber, first, oms, '30.00');
  }, 120000);
});
