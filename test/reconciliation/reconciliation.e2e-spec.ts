import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/**
 * Issue 15, item 3: a call that lands at the provider after the adapter's timeout and grace period already
 * concluded NOT_APPLIED leaves value nobody recorded. Real PostgreSQL, the sandbox over HTTP: the sandbox's
 * latency (above CLUTCH_TIMEOUT_MS, here 1 s) makes the adapter time out, the OMS retry after the grace
 * period (1 s) is told "not applied" and places the hold (or issues the refund) again, and then the first
 * call lands. The reconciliation job releases the orphan hold and voids the second refund issue (each a
 * provider call of its own, with intent and outcome), so the card holds and has what the adapter recorded.
 */
const LATE_MS = 8000;

describe('reconciliation job (real PostgreSQL, the sandbox over HTTP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('reconciliation', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false', RECONCILIATION_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  async function hold(card: { cardNumber: string; pin: string }, amount: string, orderId = `O-${randomUUID()}`, key = randomUUID()) {
    const response = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey(key));
    return { orderId, key, response };
  }

  async function settledOrder(card: { cardNumber: string; pin: string }, amount: string) {
    const { orderId, response } = await hold(card, amount);
    expect(response.status).toBe(201);
    const settled = await stack.oms.post('/v1/settlements', { authorizationId: response.data.authorizationId, amount, invoiceId: 'INV-1', final: true }, withKey());
    expect(settled.status).toBe(201);
    return { orderId, settlementId: settled.data.settlementId as string };
  }

  /** Every updateBalance from now on answers after LATE_MS: the adapter times out first, the sandbox applies it later. */
  const landLate = () => stack.admin.setFaults({ latencyMs: LATE_MS, methods: ['updateBalance'] });

  async function reconcile() {
    const run = await stack.oms.post('/v1/reconciliation-runs');
    expect(run.status).toBe(200);
    expect(run.data.status).toBe('COMPLETED');
    return run.data;
  }

  it('a run with nothing wrong lists nothing', async () => {
    const card = await stack.admin.createCard('100.00');
    const { orderId, settlementId } = await settledOrder(card, '40.00');
    expect((await stack.oms.post('/v1/refunds', { orderId, settlementId, amount: '10.00', currency: 'USD' }, withKey())).status).toBe(201);
    const open = await hold(card, '25.00');
    expect(open.response.status).toBe(201);

    const run = await reconcile();
    expect(run).toMatchObject({ cardsChecked: 1, cardsSkipped: 0, holdsReleased: 0, releasedHolds: [], differences: [], skippedCards: [] });
    expect(new Date(run.window.start).getTime()).toBeLessThanOrEqual(Date.now() - 47 * 3600_000);
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ held: '25.00', balance: '70.00' });
  });

  it('releases a hold that landed late and voids a refund issue that landed late', async () => {
    const holdCard = await stack.admin.createCard('100.00');
    const refundCard = await stack.admin.createCard('50.00');
    const { orderId, settlementId } = await settledOrder(refundCard, '20.00');
    const refund = { orderId, settlementId, amount: '5.00', currency: 'USD' };
    const refundKey = randomUUID();

    // A hold and a refund issue land late: the OMS is told UNKNOWN for both...
    await landLate();
    const started = Date.now();
    const [first, lost] = await Promise.all([hold(holdCard, '30.00'), stack.oms.post('/v1/refunds', refund, withKey(refundKey))]);
    await stack.admin.clearFaults();
    expect(first.response.status).toBe(503);
    expect(first.response.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    expect(lost.status).toBe(503);
    // ...and its retries after the grace period are told "not applied": held and issued again.
    await sleep(1500);
    const [retry, refunded] = await Promise.all([
      hold(holdCard, '30.00', first.orderId, first.key),
      stack.oms.post('/v1/refunds', refund, withKey(refundKey)),
    ]);
    expect(retry.response.status).toBe(201);
    expect(retry.response.data).toMatchObject({ status: 'APPROVED', heldAmount: '30.00' });
    expect(refunded.status).toBe(201);
    expect(refunded.data).toMatchObject({ status: 'SUCCEEDED', refundedAmount: '5.00' });
    // The retries were answered before the first calls landed (else this test proves nothing).
    expect(Date.now() - started).toBeLessThan(LATE_MS);

    // Both first calls land, and the orphan hold grows older than the grace period.
    await sleep(LATE_MS - (Date.now() - started) + 1500);
    const before = await stack.admin.card(holdCard.cardNumber);
    expect(before.held).toBe('60.00');
    expect((await stack.admin.card(refundCard.cardNumber)).balance).toBe('40.00');
    const orphan = before.holds.find((h) => h.status === 'OPEN' && h.holdId !== retry.response.data.providerReference)!;
    expect(orphan).toMatchObject({ amount: '30.00' });

    const run = await reconcile();
    expect(run).toMatchObject({ holdsReleased: 1, cardsSkipped: 0, skippedCards: [] });
    expect(run.releasedHolds).toEqual([
      expect.objectContaining({ card: `****${holdCard.cardNumber.slice(-4)}`, holdId: orphan.holdId, amount: '30.00', currency: 'USD', orderId: first.orderId }),
    ]);
    // The late issue is taken back: the card got the refund once.
    expect(run.differences).toEqual([]);
    expect(run.voidedEntries).toEqual([
      expect.objectContaining({
        kind: 'LATE_ENTRY',
        card: `****${refundCard.cardNumber.slice(-4)}`,
        amount: '5.00',
        orderId,
        refundId: refunded.data.refundId,
        voidCallId: expect.any(String),
      }),
    ]);
    expect((await stack.admin.card(refundCard.cardNumber)).balance).toBe('35.00');
    const voids = await stack.db.query(`SELECT outcome, order_id, amount_minor::text FROM payment_adapter.provider_call WHERE operation = 'VOID'`);
    expect(voids).toEqual([{ outcome: 'SUCCEEDED', order_id: orderId, amount_minor: '500' }]);
    const text = JSON.stringify(run);
    for (const secret of [holdCard.cardNumber, holdCard.pin, refundCard.cardNumber, refundCard.pin]) expect(text).not.toContain(secret);

    // The provider holds what the adapter counts; the release has its intent and outcome record.
    const totals = (await stack.oms.get(`/v1/orders/${first.orderId}/payments`)).data.totals;
    const after = await stack.admin.card(holdCard.cardNumber);
    expect(after.held).toBe(totals.held);
    expect(after.held).toBe('30.00');
    expect(after.holds.filter((h) => h.status === 'OPEN').map((h) => h.holdId)).toEqual([retry.response.data.providerReference]);
    const releases = await stack.db.query(
      `SELECT outcome FROM payment_adapter.provider_call WHERE operation = 'RELEASE_HOLD' AND provider_hold_id = $1`,
      [orphan.holdId],
    );
    expect(releases).toEqual([{ outcome: 'SUCCEEDED' }]);
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });

    // The run reads back the same, and a second run finds nothing left to do.
    const read = await stack.oms.get(`/v1/reconciliation-runs/${run.runId}`);
    expect(read.status).toBe(200);
    expect(read.data).toEqual(run);
    const again = await reconcile();
    expect(again).toMatchObject({ holdsReleased: 0, releasedHolds: [], voidedEntries: [], differences: [] });
    expect((await stack.oms.get(`/v1/reconciliation-runs/${randomUUID()}`)).status).toBe(404);
  });

  it('releases a late orphan hold while a lost hold on the same card waits on it, so that lost hold can be decided', async () => {
    const card = await stack.admin.createCard('200.00');
    // An orphan hold of 30.00: its call landed after it was concluded not applied, and the retry held again.
    await landLate();
    const started = Date.now();
    const first = await hold(card, '30.00');
    await stack.admin.clearFaults();
    expect(first.response.status).toBe(503);
    await sleep(1500);
    const retry = await hold(card, '30.00', first.orderId, first.key);
    expect(retry.response.status).toBe(201);
    await sleep(LATE_MS - (Date.now() - started) + 1500);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('60.00');

    // A hold of 50.00 on the same card is answered 503 (not applied, but a 5xx may have been). The unknown
    // 30.00 hold could be a short hold of it, so the look-up cannot decide while the orphan is there.
    await stack.admin.setFaults({ errorRate: 1, methods: ['updateBalance'] });
    const lost = await hold(card, '50.00');
    await stack.admin.clearFaults();
    expect(lost.response.status).toBe(503);
    await sleep(1200);
    const undecided = await hold(card, '50.00', lost.orderId, lost.key);
    expect(undecided.response.status).toBe(503);
    const [call] = await stack.db.query<{ outcome: string; resolution_note: string }>(
      `SELECT outcome, resolution_note FROM payment_adapter.provider_call WHERE operation = 'HOLD' AND order_id = $1`,
      [lost.orderId],
    );
    expect(call).toMatchObject({ outcome: 'UNKNOWN', resolution_note: 'unknown holds of other amounts on the card' });

    // The sweep's backoff has pushed the look-up's next check out (to at most 5 min, as after many checks).
    await stack.db.query(`UPDATE payment_adapter.provider_call SET next_check_at = now() + interval '5 minutes' WHERE operation = 'HOLD' AND order_id = $1`, [lost.orderId]);

    // The job releases the orphan although the card has a call still unresolved (it compares nothing else there)...
    const run = await reconcile();
    expect(run.releasedHolds).toEqual([expect.objectContaining({ card: `****${card.cardNumber.slice(-4)}`, amount: '30.00', orderId: first.orderId })]);
    expect(run.skippedCards).toEqual([expect.objectContaining({ card: `****${card.cardNumber.slice(-4)}` })]);
    // The look-up that waited on it is due again now (not after its backoff).
    const [due] = await stack.db.query<{ due: boolean }>(
      `SELECT next_check_at <= now() AS due FROM payment_adapter.provider_call WHERE operation = 'HOLD' AND order_id = $1`,
      [lost.orderId],
    );
    expect(due).toEqual({ due: true });
    // ...and the OMS's next retry of the lost hold is decided: nothing unknown on the card, so not applied; held now.
    const decided = await hold(card, '50.00', lost.orderId, lost.key);
    expect(decided.response.status).toBe(201);
    expect(decided.response.data).toMatchObject({ status: 'APPROVED', heldAmount: '50.00' });
    const after = await stack.admin.card(card.cardNumber);
    expect(after.held).toBe('80.00');
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });
  it('releases one of two unknown holds of one amount when the lost hold of that amount cannot tell them apart, so it is decided', async () => {
    const card = await stack.admin.createCard('200.00');
    // The soak's seed 3598329219: a hold lands after it was concluded not applied, and the retry's own hold is
    // placed but its answer lost. The card shows two unknown holds of 30.00; the lost one's look-up cannot say
    // which is its own, and the job used to wait on that look-up: neither ever decided.
    await landLate();
    const first = await hold(card, '30.00');
    await stack.admin.clearFaults();
    expect(first.response.status).toBe(503);
    await sleep(1500);
    // The retry's hold lands late too: its look-up in the request finds nothing yet, so it stays unknown.
    await landLate();
    const retried = Date.now();
    const lost = await hold(card, '30.00', first.orderId, first.key);
    await stack.admin.clearFaults();
    expect(lost.response.status).toBe(503);
    await sleep(LATE_MS - (Date.now() - retried) + 1500);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('60.00');

    const undecided = await hold(card, '30.00', first.orderId, first.key);
    expect(undecided.response.status).toBe(503);
    const calls = await stack.db.query<{ outcome: string; resolution_note: string }>(
      `SELECT outcome, resolution_note FROM payment_adapter.provider_call WHERE operation = 'HOLD' AND order_id = $1 ORDER BY created_at`,
      [first.orderId],
    );
    expect(calls).toEqual([
      expect.objectContaining({ outcome: 'NOT_APPLIED' }),
      expect.objectContaining({ outcome: 'UNKNOWN', resolution_note: '2 unknown holds of 30.00 on the card' }),
    ]);

    const run = await reconcile();
    expect(run.releasedHolds).toEqual([expect.objectContaining({ card: `****${card.cardNumber.slice(-4)}`, amount: '30.00', orderId: first.orderId })]);
    expect(run.skippedCards).toEqual([expect.objectContaining({ card: `****${card.cardNumber.slice(-4)}` })]);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('30.00');

    // The one hold left is the lost call's to take: the OMS retry is approved with it, and nothing else is held.
    const decided = await hold(card, '30.00', first.orderId, first.key);
    expect(decided.response.status).toBe(201);
    expect(decided.response.data).toMatchObject({ status: 'APPROVED', heldAmount: '30.00' });
    expect((await stack.admin.card(card.cardNumber)).held).toBe('30.00');
    expect(await reconcile()).toMatchObject({ holdsReleased: 0, differences: [], skippedCards: [] });
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });
});
