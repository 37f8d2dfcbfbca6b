import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../../apps/clutch-sandbox/src/faults/fault-dice';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** A seed whose first two draws fall below (true) or above (false) 0.5 as asked: which updateBalance call a 0.5 rate hits. */
function seedFor(first: boolean, second: boolean): number {
  for (let seed = 1; ; seed++) {
    const draw = mulberry32(seed);
    if (draw() < 0.5 === first && draw() < 0.5 === second) return seed;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Hold expiry and re-authorization (issue 17) on real PostgreSQL with the sandbox over HTTP. Holds live
 * HOLD_TTL_HOURS (48 here) and are held again REAUTHORIZE_BEFORE_HOURS (24) before; a test brings a hold near its
 * expiry by moving its expires_at, as time passing would, and runs the job with POST /v1/expiry-runs.
 */
describe('hold expiry and re-authorization (real PostgreSQL, the sandbox over HTTP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('hold_expiry', {
      HOLD_TTL_HOURS: '48',
      REAUTHORIZE_BEFORE_HOURS: '24',
      RECOVERY_ENABLED: 'false',
      SETTLEMENT_JOB_ENABLED: 'false',
      EXPIRY_JOB_ENABLED: 'false',
      RECONCILIATION_ENABLED: 'false',
    });
  });
  afterAll(() => stack?.stop());
  afterEach(async () => {
    await stack.admin.clearFaults();
    await stack.admin.clearBehaviour();
  });

  async function hold(card: { cardNumber: string; pin: string }, amount: string, orderId = `O-${randomUUID()}`) {
    const response = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
    expect(response.status).toBe(201);
    return { orderId, id: response.data.authorizationId as string, providerReference: response.data.providerReference as string };
  }

  /** Moves the open link of a chain to expire `hours` from now (negative: already expired). */
  async function expiresIn(id: string, hours: number) {
    await stack.db.query(`UPDATE payment_adapter.authorization_hold SET expires_at = now() + make_interval(secs => $2) WHERE root_id = $1 AND state = 'OPEN'`, [id, hours * 3600]);
  }

  async function runJob() {
    const response = await stack.oms.post('/v1/expiry-runs');
    expect(response.status).toBe(200);
    return response.data;
  }

  const read = async (id: string) => (await stack.oms.get(`/v1/authorizations/${id}`)).data;
  const order = async (orderId: string) => (await stack.oms.get(`/v1/orders/${orderId}/payments`)).data;
  const openHolds = async (cardNumber: string) => (await stack.admin.card(cardNumber)).holds.filter((h) => h.status === 'OPEN');

  /** The adapter and the provider agree: what the card's orders hold is what the card holds, hold by hold. */
  async function expectAgreement(orderId: string, cardNumber: string, ...otherOrders: string[]) {
    type Link = { state: string; providerReference: string; heldAmount: string };
    const views = await Promise.all([orderId, ...otherOrders].map(order));
    const open = views.flatMap((view) => view.authorizations.flatMap((a: { chain: Link[] }) => a.chain)).filter((l: Link) => l.state === 'OPEN');
    expect((await openHolds(cardNumber)).map((h) => [h.holdId, h.amount]).sort()).toEqual(open.map((l: { providerReference: string; heldAmount: string }) => [l.providerReference, l.heldAmount]).sort());
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
    const unresolved = await stack.db.query(`SELECT id FROM payment_adapter.provider_call WHERE order_id = $1 AND outcome IN ('PENDING', 'UNKNOWN')`, [orderId]);
    expect(unresolved).toEqual([]);
  }

  it('re-authorizes a hold near its expiry: a new link holds the same first, then the old hold is released; the OMS keeps quoting the first id', async () => {
    const card = await stack.admin.createCard('100.00');
    const first = await hold(card, '30.00');
    await runJob();
    expect((await read(first.id)).state).toBe('OPEN'); // 48 h left: not due

    await expiresIn(first.id, 2);
    const report = await runJob();
    expect(report.reauthorized).toBeGreaterThanOrEqual(1);

    const view = await read(first.id);
    const [old, next] = view.chain;
    expect(old).toMatchObject({ authorizationId: first.id, state: 'CLOSED', closedReason: 'REAUTHORIZED', heldAmount: '0.00', nextAuthorizationId: next.authorizationId });
    expect(next).toMatchObject({ state: 'OPEN', status: 'APPROVED', heldAmount: '30.00', previousAuthorizationId: first.id });
    expect(new Date(next.expiresAt).getTime()).toBeGreaterThan(Date.now() + 47 * 3600_000);
    expect(view.currentAuthorizationId).toBe(next.authorizationId);
    expect(await openHolds(card.cardNumber)).toEqual([expect.objectContaining({ holdId: next.providerReference, amount: '30.00' })]);
    // Held first, released after: the card never had less than 30.00 reserved (two holds for a moment).
    const calls = await stack.db.query<{ operation: string; authorization_id: string }>(
      `SELECT operation, authorization_id FROM payment_adapter.provider_call WHERE order_id = $1 AND operation IN ('HOLD', 'RELEASE_HOLD') ORDER BY created_at`,
      [first.orderId],
    );
    expect(calls.map((c: { operation: string; authorization_id: string }) => [c.operation, c.authorization_id])).toEqual([
      ['HOLD', first.id],
      ['HOLD', next.authorizationId],
      ['RELEASE_HOLD', first.id],
    ]);

    const payments = await order(first.orderId);
    expect(payments.totals).toMatchObject({ authorized: '30.00', held: '30.00' });
    expect(payments.history.map((e: { type: string }) => e.type)).toContain('AUTHORIZATION_REAUTHORIZED');
    expect(payments.history.map((e: { type: string }) => e.type)).not.toContain('AUTHORIZATION_EXPIRING');

    // The first id still settles, from the new hold.
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: first.id, amount: '10.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    expect(settled.data).toMatchObject({ status: 'SETTLED', settledAmount: '10.00' });
    expect((await stack.admin.card(card.cardNumber)).balance).toBe('90.00');
    await expectAgreement(first.orderId, card.cardNumber);
  });

  it('a card held in full is released first and held again at once (its own hold is not available to the new one)', async () => {
    const card = await stack.admin.createCard('30.00');
    const first = await hold(card, '30.00');
    await expiresIn(first.id, 2);
    await runJob();
    const [old, next] = (await read(first.id)).chain;
    expect(old).toMatchObject({ closedReason: 'REAUTHORIZED' });
    expect(next).toMatchObject({ state: 'OPEN', status: 'APPROVED', heldAmount: '30.00' });
    const payments = await order(first.orderId);
    expect(payments.totals.held).toBe('30.00');
    expect(payments.history.map((e: { type: string }) => e.type)).not.toContain('AUTHORIZATION_EXPIRING');
    await expectAgreement(first.orderId, card.cardNumber);
  });

  it('expires a hold past its expiry: released at the provider, closed EXPIRED, no longer counted as held', async () => {
    const card = await stack.admin.createCard('50.00');
    const first = await hold(card, '20.00');
    await expiresIn(first.id, -1);
    const report = await runJob();
    expect(report.expired).toBeGreaterThanOrEqual(1);
    expect(await read(first.id)).toMatchObject({ state: 'CLOSED', closedReason: 'EXPIRED', heldAmount: '0.00' });
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '0.00', available: '50.00' });
    const payments = await order(first.orderId);
    expect(payments.totals.held).toBe('0.00');
    expect(payments.history.map((e: { type: string }) => e.type)).toContain('AUTHORIZATION_EXPIRED');
    const late = await stack.oms.post('/v1/settlements', { authorizationId: first.id, amount: '5.00', invoiceId: 'INV-1', final: true }, withKey());
    expect(late.status).toBe(422);
    expect(late.data.error.code).toBe('AUTHORIZATION_CLOSED');
    await expectAgreement(first.orderId, card.cardNumber);

    const metrics = (await stack.oms.get('/metrics')).data as string;
    expect(metrics).toMatch(/gcpa_authorization_expiries_total\{release="RELEASED"\} [1-9]/);
    expect(metrics).toMatch(/gcpa_reauthorizations_total\{outcome="REAUTHORIZED"\} [1-9]/);
  });

  describe.each([
    ['the new hold', { dropRate: 0.5, seed: seedFor(true, false) }, ['HOLD']],
    ['the release of the old hold', { dropRate: 0.5, seed: seedFor(false, true) }, ['RELEASE_HOLD']],
    ['both calls (applied, then HTTP 500)', { applyThenErrorRate: 1 }, ['HOLD', 'RELEASE_HOLD']],
  ])('a lost answer on %s', (_what, faults, lost) => {
    it('is resolved from the card: one new hold, the old one released, nothing held twice', async () => {
      const card = await stack.admin.createCard('100.00');
      const first = await hold(card, '40.00');
      await expiresIn(first.id, 2);
      await stack.admin.setFaults({ ...faults, methods: ['updateBalance'] });
      await runJob();
      await stack.admin.clearFaults();
      // Whatever the run could not learn at once, the recovery sweep and the next run complete.
      const deadline = Date.now() + 30000;
      while (Date.now() < deadline && (await read(first.id)).chain.filter((l: { state: string }) => l.state === 'OPEN').length !== 1) {
        await sleep(500);
        await stack.oms.post('/v1/recovery-runs');
        await runJob();
      }
      const [old, next] = (await read(first.id)).chain;
      expect(old).toMatchObject({ state: 'CLOSED', closedReason: 'REAUTHORIZED' });
      expect(next).toMatchObject({ state: 'OPEN', heldAmount: '40.00' });
      expect(await openHolds(card.cardNumber)).toEqual([expect.objectContaining({ holdId: next.providerReference, amount: '40.00' })]);
      // The answers were lost indeed: each such call was resolved from the card (APPLIED), the others answered.
      type Call = { operation: string; outcome: string; authorization_id: string };
      const calls = await stack.db.query<Call>(
        `SELECT operation, outcome, authorization_id FROM payment_adapter.provider_call WHERE order_id = $1 AND operation IN ('HOLD', 'RELEASE_HOLD') ORDER BY created_at`,
        [first.orderId],
      );
      expect(calls.map((c: Call) => [c.operation, c.authorization_id])).toEqual([['HOLD', first.id], ['HOLD', next.authorizationId], ['RELEASE_HOLD', first.id]]);
      expect(calls.filter((c: Call) => c.outcome === 'APPLIED').map((c: Call) => c.operation)).toEqual(lost);
      await expectAgreement(first.orderId, card.cardNumber);
    });
  });

  it('an old hold whose release failed (the process could have died there) is released by the recovery sweep', async () => {
    const card = await stack.admin.createCard('100.00');
    const first = await hold(card, '25.00');
    await expiresIn(first.id, 2);
    // The new hold goes through; the release of the old one gets HTTP 500 without applying (looked up: still there).
    await stack.admin.setFaults({ errorRate: 0.5, seed: seedFor(false, true), methods: ['updateBalance'] });
    await runJob();
    await stack.admin.clearFaults();
    const [old, next] = (await read(first.id)).chain;
    expect(old).toMatchObject({ closedReason: 'REAUTHORIZED' });
    expect((await openHolds(card.cardNumber)).map((h) => h.holdId).sort()).toEqual([first.providerReference, next.providerReference].sort());
    // Nothing owns the old hold any more; once its call is older than the sweep's settling time, the sweep releases it.
    await stack.db.query(`UPDATE payment_adapter.provider_call SET completed_at = now() - interval '5 minutes' WHERE authorization_id = $1`, [first.id]);
    // ...and the link was closed then too: the sweep leaves alone a link a job may still be working on.
    await stack.db.query(`UPDATE payment_adapter.authorization_hold SET updated_at = now() - interval '5 minutes' WHERE id = $1`, [first.id]);
    await stack.oms.post('/v1/recovery-runs');
    expect(await openHolds(card.cardNumber)).toEqual([expect.objectContaining({ holdId: next.providerReference })]);
    expect((await order(first.orderId)).totals.held).toBe('25.00');
    await expectAgreement(first.orderId, card.cardNumber);
  });

  it('released first and stopped there (the release failed): the next run releases the old hold and places the new link', async () => {
    const card = await stack.admin.createCard('30.00');
    const first = await hold(card, '30.00');
    await expiresIn(first.id, 2);
    await stack.admin.setFaults({ errorRate: 1, methods: ['updateBalance'] });
    expect((await runJob()).retried).toBeGreaterThanOrEqual(1);
    await stack.admin.clearFaults();
    const [old, next] = (await read(first.id)).chain;
    expect(old).toMatchObject({ state: 'CLOSED', closedReason: 'REAUTHORIZED' });
    expect(next).toMatchObject({ state: 'PENDING', previousAuthorizationId: first.id });
    expect(await openHolds(card.cardNumber)).toEqual([expect.objectContaining({ holdId: first.providerReference })]);

    // The next run (after the grace period of lost answers: the 500 could still have been applied late).
    await sleep(1500);
    expect((await runJob()).reauthorized).toBeGreaterThanOrEqual(1);
    const [, placed] = (await read(first.id)).chain;
    expect(placed).toMatchObject({ authorizationId: next.authorizationId, state: 'OPEN', status: 'APPROVED', heldAmount: '30.00' });
    expect(await openHolds(card.cardNumber)).toEqual([expect.objectContaining({ holdId: placed.providerReference, amount: '30.00' })]);
    expect((await order(first.orderId)).totals.held).toBe('30.00');
    await expectAgreement(first.orderId, card.cardNumber);
  });

  describe('the provider lets a hold lapse before our expiry (sandbox holdTtlSeconds)', () => {
    async function lapsedHold(balance: string, amount: string) {
      const card = await stack.admin.createCard(balance);
      await stack.admin.setBehaviour({ holdTtlSeconds: 1 });
      const first = await hold(card, amount);
      await sleep(1500);
      // The sandbox lapses holds when the card is next looked at (a balance check), under the lifetime then in force.
      expect((await stack.oms.post('/v1/balance-inquiries', { cardNumber: card.cardNumber, pin: card.pin, currency: 'USD' })).status).toBe(200);
      await stack.admin.clearBehaviour();
      expect(await openHolds(card.cardNumber)).toEqual([]);
      return { card, first };
    }

    it('a settlement answers 422 HOLD_NOT_AVAILABLE; the authorization is closed EXPIRED and nothing counts as held', async () => {
      const { card, first } = await lapsedHold('100.00', '30.00');
      const settled = await stack.oms.post('/v1/settlements', { authorizationId: first.id, amount: '30.00', invoiceId: 'INV-1', final: true }, withKey());
      expect(settled.status).toBe(422);
      expect(settled.data.error.code).toBe('HOLD_NOT_AVAILABLE');
      expect(await read(first.id)).toMatchObject({ state: 'CLOSED', closedReason: 'EXPIRED', heldAmount: '0.00' });
      const payments = await order(first.orderId);
      expect(payments.totals).toMatchObject({ held: '0.00', settled: '0.00' });
      expect(payments.history.map((e: { type: string }) => e.type)).toContain('AUTHORIZATION_EXPIRED');
      expect(payments.authorizations[0].settlements[0]).toMatchObject({ status: 'FAILED', failureReason: 'HOLD_NOT_AVAILABLE' });
      expect((await stack.admin.card(card.cardNumber)).balance).toBe('100.00');
      await expectAgreement(first.orderId, card.cardNumber);
    });

    it('a reversal answers 200 REVERSED: the release found nothing held', async () => {
      const { card, first } = await lapsedHold('100.00', '30.00');
      const reversed = await stack.oms.post(`/v1/authorizations/${first.id}/reversals`, { amount: '0.00' }, withKey());
      expect(reversed.status).toBe(200);
      expect(reversed.data).toMatchObject({ state: 'CLOSED', closedReason: 'REVERSED', heldAmount: '0.00' });
      await expectAgreement(first.orderId, card.cardNumber);
    });

    it('our expiry closes it EXPIRED all the same (the release answers HOLD_NOT_AVAILABLE)', async () => {
      const { card, first } = await lapsedHold('100.00', '30.00');
      await expiresIn(first.id, -1);
      await runJob();
      expect(await read(first.id)).toMatchObject({ state: 'CLOSED', closedReason: 'EXPIRED' });
      const [release] = await stack.db.query(`SELECT error_kind FROM payment_adapter.provider_call WHERE authorization_id = $1 AND operation = 'RELEASE_HOLD'`, [first.id]);
      expect(release.error_kind).toBe('DECLINED:HOLD_NOT_AVAILABLE');
      await expectAgreement(first.orderId, card.cardNumber);
    });

    it('a re-authorization after the card was spent elsewhere comes back short: the OMS is told the shortfall', async () => {
      const { card, first } = await lapsedHold('100.00', '60.00');
      // Another order takes 70.00 of the card while our hold is gone at the provider.
      const other = await hold(card, '70.00');
      await expiresIn(first.id, 2);
      const report = await runJob();
      expect(report.short).toBeGreaterThanOrEqual(1);
      const [old, next] = (await read(first.id)).chain;
      expect(old).toMatchObject({ state: 'CLOSED', closedReason: 'REAUTHORIZED' });
      expect(next).toMatchObject({ state: 'OPEN', status: 'PARTIALLY_APPROVED', requestedAmount: '60.00', approvedAmount: '30.00', heldAmount: '30.00', remainingAmount: '30.00' });
      const payments = await order(first.orderId);
      expect(payments.totals.held).toBe('30.00');
      const expiring = payments.history.filter((e: { type: string }) => e.type === 'AUTHORIZATION_EXPIRING');
      expect(expiring).toEqual([expect.objectContaining({ amount: '30.00', currency: 'USD', authorizationId: next.authorizationId })]);
      expect(expiring[0].providerMessage).toContain('30.00 is no longer held');
      const [detail] = await stack.db.query(`SELECT detail FROM payment_adapter.payment_event WHERE type = 'AUTHORIZATION_EXPIRING' AND authorization_id = $1`, [next.authorizationId]);
      expect(detail.detail).toMatchObject({ previousAuthorizationId: first.id, requestedAmount: '60.00', heldAmount: '30.00', shortfall: '30.00' });
      expect((await stack.oms.get('/metrics')).data).toMatch(/gcpa_reauthorizations_total\{outcome="SHORT"\} [1-9]/);
      await expectAgreement(first.orderId, card.cardNumber, other.orderId);
    });
  });
});
