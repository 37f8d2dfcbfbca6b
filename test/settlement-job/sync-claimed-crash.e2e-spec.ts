import { randomUUID } from 'node:crypto';
import { RunningApp, startAdapter } from '../harness/apps';
import { omsClient, sandboxAdmin, withKey } from '../harness/clients';
import { startProcesses } from '../harness/spawned-stack';
import { sleep } from './job-helpers';

/**
 * Issue 15, item 11: a sync settlement whose process dies between CLAIMED (PROCESSING committed) and the intent of
 * its redeem has no provider call for the sweep to find, and nobody else looks at a sync settlement: it stayed
 * PROCESSING for ever. The recovery sweep now finishes it through `SettlementsService.process`.
 *
 * The moment is made deterministic by a trigger that holds the intent's insert (and then refuses it), so the
 * SIGKILL lands while the settlement is PROCESSING without any call. Needs `npm run build` (runs dist/).
 */
describe('a sync settlement whose process died between CLAIMED and its intent', () => {
  const env = { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false', IDEMPOTENCY_LEASE_SECONDS: '2' };
  let procs: Awaited<ReturnType<typeof startProcesses>>;
  let successor: RunningApp | undefined;
  beforeAll(async () => {
    procs = await startProcesses('sync_claimed_crash', env);
  }, 90000);
  afterAll(async () => {
    await successor?.close().catch(() => undefined);
    await procs?.stop();
  });

  it('is settled by the recovery sweep, once, and the OMS retry answers it', async () => {
    const victim = await procs.startAdapter();
    const admin = sandboxAdmin(procs.sandboxUrl);
    const card = await admin.createCard('100.00');
    const orderId = `O-${randomUUID()}`;
    const hold = await omsClient(victim.url).post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '50.00', currency: 'USD' }, withKey());
    expect(hold.status).toBe(201);

    await procs.db.query(`CREATE FUNCTION payment_adapter.hold_redeem_intent() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.operation = 'REDEEM_FROM_HOLD' THEN
          PERFORM pg_sleep(3);
          RAISE EXCEPTION 'the process is gone';
        END IF;
        RETURN NEW;
      END $$`);
    await procs.db.query(`CREATE TRIGGER hold_redeem_intent BEFORE INSERT ON payment_adapter.provider_call
      FOR EACH ROW EXECUTE FUNCTION payment_adapter.hold_redeem_intent()`);

    const key = randomUUID();
    const body = { authorizationId: hold.data.authorizationId, amount: '20.00', invoiceId: 'INV-1', final: false };
    void omsClient(victim.url).post('/v1/settlements', body, withKey(key)).catch(() => undefined);
    for (let i = 0; ; i++) {
      const rows = await procs.db.query<{ status: string }>(`SELECT status FROM payment_adapter.settlement WHERE order_id = $1`, [orderId]);
      if (rows[0]?.status === 'PROCESSING') break;
      if (i > 400) throw new Error(`the settlement was never claimed: ${JSON.stringify(rows)}`);
      await sleep(10);
    }
    await victim.process.kill('SIGKILL');
    // Waits for the held insert to end (refused), then lets intents through again.
    await procs.db.query(`DROP TRIGGER hold_redeem_intent ON payment_adapter.provider_call`);

    const [stuck] = await procs.db.query<{ id: string; status: string; root_authorization_id: string }>(
      `SELECT id, status, root_authorization_id FROM payment_adapter.settlement WHERE order_id = $1`,
      [orderId],
    );
    expect(stuck.status).toBe('PROCESSING');
    expect(await procs.db.query(`SELECT id FROM payment_adapter.provider_call WHERE settlement_id = $1`, [stuck.id])).toEqual([]);
    // The dead process's chain lease runs out (60 s after it was taken): shortened here.
    await procs.db.query(`UPDATE payment_adapter.authorization_hold SET lock_until = now() - interval '1 second' WHERE id = $1`, [stuck.root_authorization_id]);

    successor = await startAdapter(procs.db.url, procs.sandboxUrl, { ...env, UNKNOWN_OUTCOME_GRACE_MS: '1000', CLUTCH_TIMEOUT_MS: '2000' });
    const oms = omsClient(successor.url);
    const deadline = Date.now() + 30000;
    for (;;) {
      expect((await oms.post('/v1/recovery-runs')).status).toBe(200);
      const [row] = await procs.db.query<{ status: string }>(`SELECT status FROM payment_adapter.settlement WHERE id = $1`, [stuck.id]);
      if (row.status !== 'PROCESSING') break;
      if (Date.now() > deadline) throw new Error('the settlement stayed PROCESSING');
      await sleep(500);
    }

    const [settled] = await procs.db.query<{ status: string; settled_minor: string; advanced_authorization_id: string | null }>(
      `SELECT status, settled_minor::text, advanced_authorization_id FROM payment_adapter.settlement WHERE id = $1`,
      [stuck.id],
    );
    expect(settled).toMatchObject({ status: 'SETTLED', settled_minor: '2000' });
    expect(settled.advanced_authorization_id).not.toBeNull();
    const ledger = await admin.card(card.cardNumber);
    expect(ledger.history.filter((t) => t.action === 'redeem' && t.amount !== '0.00').map((t) => t.amount)).toEqual(['20.00']);
    expect(ledger).toMatchObject({ balance: '80.00', held: '30.00' });

    // The OMS never got an answer; its retry with the key (once the dead request's key lease ran out) answers it.
    await sleep(2100);
    const retry = await oms.post('/v1/settlements', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ settlementId: stuck.id, status: 'SETTLED', settledAmount: '20.00', advancedAuthorization: { approvedAmount: '30.00' } });
    expect((await admin.card(card.cardNumber)).history.filter((t) => t.action === 'redeem' && t.amount !== '0.00')).toHaveLength(1);
  }, 120000);
});
