import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../../apps/clutch-sandbox/src/faults/fault-dice';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';
import { authorize, JOB_TEST_ENV, runUntilDrained, settleLater, sleep } from './job-helpers';

interface SweepReport {
  checked: number;
  resolved: number;
  retried: number;
  gaveUp: number;
  unresolved: number;
}

/**
 * Rule 5: holds whose answer the sandbox dropped after applying them (apply-then-drop), with the look-ups
 * failing too, so nobody learns about them during the request. The recovery sweep finds and settles them.
 */
describe('recovery sweep of unknown outcomes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('recovery', { ...JOB_TEST_ENV, RECOVERY_GIVE_UP_AFTER_SECONDS: '4', RECOVERY_GIVEN_UP_CHECK_SECONDS: '2' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  const sweep = async (): Promise<SweepReport> => {
    const response = await stack.oms.post('/v1/recovery-runs');
    expect(response.status).toBe(200);
    return response.data;
  };
  /** Sweeps until `done` holds (a failed look-up is checked again after 5 s; the breaker may need to close). */
  async function sweepUntil(done: () => Promise<boolean>, timeoutMs = 40000): Promise<SweepReport[]> {
    const reports: SweepReport[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`not recovered: ${JSON.stringify(reports.slice(-3))} ${JSON.stringify(await stack.db.query(`SELECT operation, outcome, next_check_at, now() AS now, given_up_at, check_attempts, resolution_note FROM payment_adapter.provider_call ORDER BY created_at DESC LIMIT 3`))}`);
      reports.push(await sweep());
      await sleep(500);
    }
    return reports;
  }
  const openHolds = async (cardNumber: string) => (await stack.admin.card(cardNumber)).holds.filter((h) => h.status === 'OPEN');

  it('releases an initial hold whose answer was lost, and the OMS retry with its key holds again', async () => {
    const card = await stack.admin.createCard('100.00');
    const key = randomUUID();
    // Without partial approval the hold is sent without a balance read first; the look-ups (search) fail too.
    const body = { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD', allowPartial: false };
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'search'] });
    const lost = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(lost.status).toBe(503);
    expect(lost.data.error.details.outcome).toBe('UNKNOWN');
    await stack.admin.clearFaults();
    expect(await openHolds(card.cardNumber)).toHaveLength(1); // applied at the provider, unknown to anyone

    const checking = await stack.oms.get('/v1/transactions', { params: { outcome: 'CHECKING' } });
    const call = checking.data.items.find((t: { orderId: string }) => t.orderId === body.orderId);
    expect(call).toMatchObject({ operation: 'HOLD', outcome: 'CHECKING', amount: '30.00', maskedCardNumber: `****${card.cardNumber.slice(-4)}` });
    expect(JSON.stringify(checking.data)).not.toContain(card.cardNumber);

    const reports = await sweepUntil(async () => (await openHolds(card.cardNumber)).length === 0);
    expect(reports.reduce((n, r) => n + r.resolved, 0)).toBeGreaterThanOrEqual(1);
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '100.00', held: '0.00' });
    const [hold] = await stack.db.query<{ outcome: string }>(`SELECT outcome FROM payment_adapter.provider_call WHERE id = $1`, [call.transactionId]);
    expect(hold.outcome).toBe('APPLIED');
    const releases = await stack.db.query(
      `SELECT id FROM payment_adapter.provider_call WHERE operation = 'RELEASE_HOLD' AND order_id = $1 AND outcome = 'SUCCEEDED'`,
      [body.orderId],
    );
    expect(releases).toHaveLength(1);

    // Reported as not processed, so the OMS retries with its key: a new hold, the only one.
    const retry = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'APPROVED', approvedAmount: '30.00' });
    expect(await openHolds(card.cardNumber)).toEqual([expect.objectContaining({ holdId: retry.data.providerReference, amount: '30.00' })]);
    await stack.oms.post(`/v1/authorizations/${retry.data.authorizationId}/reversals`, { amount: '0.00' }, withKey());
    expect(await openHolds(card.cardNumber)).toEqual([]);
  });

  it('adopts an advanced hold whose answer was lost, so the chain and the provider agree; nothing stays held at the end', async () => {
    const order = await authorize(stack, '100.00', '60.00');
    await settleLater(stack.oms, order.authorizationId, '10.00', 'INV-1');
    // The redeem and the advanced hold's balance read go through; the advanced hold is applied but its answer
    // dropped, and so are the look-ups (search).
    await stack.admin.setFaults({ dropRate: 0.9, seed: seedFor(['none', 'none', ...Array(19).fill('drop')], 0.9), methods: ['updateBalance', 'search'] });
    await runUntilDrained(stack.oms);
    await stack.admin.clearFaults();
    const chain = async () => (await stack.oms.get(`/v1/authorizations/${order.authorizationId}`)).data.chain as Array<Record<string, string>>;
    const before = await chain();
    expect(before.map((a) => a.state)).toEqual(['CLOSED', 'PENDING']);
    expect(await openHolds(order.cardNumber)).toEqual([expect.objectContaining({ amount: '50.00' })]);

    await sweepUntil(async () => (await chain())[1].state !== 'PENDING');
    const after = await chain();
    expect(after[1]).toMatchObject({ state: 'OPEN', status: 'APPROVED', heldAmount: '50.00', previousAuthorizationId: order.authorizationId });
    expect(await openHolds(order.cardNumber)).toEqual([expect.objectContaining({ holdId: after[1].providerReference, amount: '50.00' })]);

    // The chain serves the last shipment from the adopted hold.
    await settleLater(stack.oms, order.authorizationId, '50.00', 'INV-2', true);
    await runUntilDrained(stack.oms);
    expect(await stack.admin.card(order.cardNumber)).toMatchObject({ balance: '40.00', held: '0.00' });
    expect(await openHolds(order.cardNumber)).toEqual([]);
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });

  it('gives up after RECOVERY_GIVE_UP_AFTER_SECONDS, however many checks OMS retries spent, lists the call for an operator and still checks it now and then', async () => {
    const card = await stack.admin.createCard('100.00');
    const orderId = `O-${randomUUID()}`;
    const key = randomUUID();
    const body = { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '20.00', currency: 'USD', allowPartial: false };
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'search'] });
    const lost = await stack.oms.post('/v1/authorizations', body, withKey(key));
    expect(lost.status).toBe(503);
    await stack.admin.setFaults({ dropRate: 1, methods: ['search'] }); // the look-ups keep failing
    // The OMS retries again and again: each retry spends a look-up, none of them gives the call up.
    for (let i = 0; i < 6; i++) expect((await stack.oms.post('/v1/authorizations', body, withKey(key))).status).toBe(503);

    const unknown = async () =>
      ((await stack.oms.get('/v1/transactions', { params: { outcome: 'UNKNOWN' } })).data.items as Array<Record<string, unknown>>).find((t) => t.orderId === orderId);
    const checking = async () =>
      ((await stack.oms.get('/v1/transactions', { params: { outcome: 'CHECKING' } })).data.items as Array<Record<string, unknown>>).find((t) => t.orderId === orderId);
    expect(await checking()).toBeDefined();
    const reports = await sweepUntil(async () => (await unknown()) !== undefined);
    expect(reports.reduce((n, r) => n + r.gaveUp, 0)).toBe(1);
    expect(reports[reports.length - 1].unresolved).toBeGreaterThanOrEqual(1);
    const listed = (await unknown())!;
    expect(listed).toMatchObject({ operation: 'HOLD', outcome: 'UNKNOWN', maskedCardNumber: `****${card.cardNumber.slice(-4)}` });
    expect(Number(listed.checkAttempts)).toBeGreaterThanOrEqual(6);
    expect(listed.nextCheckAt).not.toBeNull(); // given up, but still looked at now and then
    expect(JSON.stringify(listed)).not.toContain(card.cardNumber);
    expect(await openHolds(card.cardNumber)).toHaveLength(1);

    // Once the provider answers look-ups again, a later sweep resolves it with nobody asking.
    await stack.admin.clearFaults();
    await sleep(11000); // the client's circuit breaker, opened by the failed look-ups, lets calls through again after 10 s
    await sweepUntil(async () => (await openHolds(card.cardNumber)).length === 0);
    expect(await unknown()).toBeUndefined();
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '100.00', held: '0.00' });
  });

  it('lets an operator ask for a new check of a given-up call, and only of one', async () => {
    const card = await stack.admin.createCard('100.00');
    const orderId = `O-${randomUUID()}`;
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'search'] });
    const lost = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount: '5.00', currency: 'USD', allowPartial: false }, withKey());
    expect(lost.status).toBe(503);
    const [call] = await stack.db.query<{ id: string }>(`SELECT id FROM payment_adapter.provider_call WHERE order_id = $1 AND operation = 'HOLD'`, [orderId]);
    // Still being checked: no re-check to ask for.
    expect((await stack.oms.post(`/v1/transactions/${call.id}/checks`)).status).toBe(422);
    await stack.db.query(`UPDATE payment_adapter.provider_call SET created_at = now() - interval '1 hour' WHERE id = $1`, [call.id]);
    await sweepUntil(async () => (await stack.db.query(`SELECT 1 FROM payment_adapter.provider_call WHERE id = $1 AND given_up_at IS NOT NULL`, [call.id])).length === 1);
    await stack.admin.clearFaults();
    const recheck = await stack.oms.post(`/v1/transactions/${call.id}/checks`);
    expect(recheck.status).toBe(200);
    expect(recheck.data).toMatchObject({ outcome: 'CHECKING', checkAttempts: 0 });
  });
});

/** A sandbox fault seed whose first draws give `outcomes` with dropRate `rate` (drop below it, none above). */
function seedFor(outcomes: Array<'none' | 'drop'>, rate = 0.5): number {
  for (let seed = 1; seed < 1_000_000; seed++) {
    const draw = mulberry32(seed);
    if (outcomes.every((o) => (draw() < rate ? 'drop' : 'none') === o)) return seed;
  }
  throw new Error('no seed');
}
