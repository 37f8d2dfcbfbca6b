import { randomUUID } from 'node:crypto';
import { FulfillmentsService } from '../../apps/payment-adapter/src/fulfillments/fulfillments.service';
import { Stack, startStack } from '../harness/stack';
import { allocationsFor, electronicLine, fulfill, fulfillmentOf, issuesOn, physicalLine, seedFailingCall } from './fulfillment-fixtures';

/**
 * A failure injected at each step (sandbox faults), then a retry with the same Idempotency-Key: it
 * continues after the last step that succeeded, with one card per line and one issue.
 */
describe('gift card fulfillment: failures at each step, then a retry that completes without duplicates', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('fulfill_recovery');
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.admin.clearFaults());

  /** After the retry: one card allocated for the line, active, holding the amount from exactly one issue. */
  async function expectOneCardWithValue(fulfillmentId: string, cardNumber: string, amount: string) {
    expect(await allocationsFor(stack, fulfillmentId)).toEqual([{ card_number: cardNumber }]);
    expect(await stack.admin.card(cardNumber)).toMatchObject({ active: true, balance: amount });
    expect(await issuesOn(stack, cardNumber)).toHaveLength(1);
  }

  it('allocate rate-limited (429): nothing allocated; the retry allocates once and shows the PIN', async () => {
    const body = electronicLine();
    const key = randomUUID();
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['allocate'] });
    const failed = await fulfill(stack, body, key);
    expect(failed.status).toBe(503);
    expect(failed.data.error.details).toMatchObject({ outcome: 'NOT_APPLIED', retryable: true });
    const row = await fulfillmentOf(stack, body);
    expect(row.status).toBe('PENDING');
    expect(await allocationsFor(stack, row.id)).toHaveLength(0);

    await stack.admin.clearFaults();
    const retry = await fulfill(stack, body, key);
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ fulfillmentId: row.id, status: 'COMPLETED', pin: expect.stringMatching(/^\d+$/), cardNumberMasked: false });
    await expectOneCardWithValue(row.id, retry.data.cardNumber, '25.00');
  });

  it.each([
    ['applied, then dropped', { dropRate: 1 }],
    ['applied, then HTTP 500', { applyThenErrorRate: 1 }],
  ])('allocate answer lost (%s): the lost card stays empty, the retry allocates one card and loads only it', async (_what, fault) => {
    const body = electronicLine();
    const key = randomUUID();
    await stack.admin.setFaults({ ...fault, methods: ['allocate'] });
    const lost = await fulfill(stack, body, key);
    expect(lost.status).toBe(503);
    expect(lost.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    const row = await fulfillmentOf(stack, body);
    const [lostCard] = await allocationsFor(stack, row.id);
    expect(lostCard.card_number).toMatch(/^6\d{15}$/);

    await stack.admin.clearFaults();
    const retry = await fulfill(stack, body, key);
    expect(retry.status).toBe(201);
    // Nothing names the card a lost allocation took (Clutch is not idempotent on our reference): a new one.
    expect(retry.data.cardNumber).not.toBe(lostCard.card_number);
    expect(retry.data.pin).toBe((await stack.admin.card(retry.data.cardNumber)).pin);
    expect((await allocationsFor(stack, row.id)).map((a) => a.card_number)).toEqual([lostCard.card_number, retry.data.cardNumber]);
    expect(await stack.admin.card(lostCard.card_number)).toMatchObject({ active: false, balance: '0.00' });
    expect(await stack.admin.card(retry.data.cardNumber)).toMatchObject({ active: true, balance: '25.00' });
    expect(await issuesOn(stack, retry.data.cardNumber)).toHaveLength(1);
    const calls = await stack.db.query<{ outcome: string; resolution_note: string | null }>(
      `SELECT outcome, resolution_note FROM payment_adapter.provider_call WHERE fulfillment_id = $1 AND operation = 'ALLOCATE' ORDER BY created_at`,
      [row.id],
    );
    expect(calls).toEqual([
      { outcome: 'NOT_APPLIED', resolution_note: expect.stringContaining('lost allocation') },
      { outcome: 'SUCCEEDED', resolution_note: null },
    ]);
  });

  it('activate refused after the allocation: the retry activates the same card and shows its PIN, kept encrypted meanwhile', async () => {
    const body = electronicLine();
    const key = randomUUID();
    // Faults on the `allocate` method: its first call (the allocation) passes, the second (activation) is refused.
    await stack.admin.setFaults({ rateLimitRate: 0.5, methods: ['allocate'], seed: seedFailingCall(1, 0.5) });
    const failed = await fulfill(stack, body, key);
    expect(failed.status).toBe(503);
    const row = await fulfillmentOf(stack, body);
    const [allocated] = await allocationsFor(stack, row.id);
    expect(await stack.admin.card(allocated.card_number)).toMatchObject({ active: false, balance: '0.00' });

    await stack.admin.clearFaults();
    const retry = await fulfill(stack, body, key);
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ cardNumber: allocated.card_number, pin: (await stack.admin.card(allocated.card_number)).pin });
    expect(retry.data.pinNote).toBeUndefined();
    // Shown once: erased at rest, and the next answer for the line is masked.
    const [atRest] = await stack.db.query<{ pin_encrypted: string | null; revealed_at: Date | null }>(
      `SELECT pin_encrypted, revealed_at FROM payment_adapter.gift_card_fulfillment WHERE id = $1`,
      [row.id],
    );
    expect(atRest).toMatchObject({ pin_encrypted: null, revealed_at: expect.any(Date) });
    const again = await fulfill(stack, body);
    expect(again.data).toMatchObject({ cardNumber: `****${allocated.card_number.slice(-4)}`, pin: null, cardNumberMasked: true });
    expect(retry.data.steps.map((s: { step: string }) => s.step)).toEqual(['ALLOCATED', 'ACTIVATED', 'ISSUED']);
    await expectOneCardWithValue(row.id, allocated.card_number, '25.00');
  });

  it('activate answer lost on a physical card: the retry activates again (the sandbox answers a repeat with success) and issues once', async () => {
    const shipped = await stack.admin.createCard('0.00', { pin: '4321', active: false });
    const body = physicalLine(shipped.cardNumber, { pin: '4321', amount: '40.00' });
    const key = randomUUID();
    await stack.admin.setFaults({ dropRate: 1, methods: ['allocate'] });
    const lost = await fulfill(stack, body, key);
    expect(lost.status).toBe(503);
    expect(lost.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    expect(await stack.admin.card(shipped.cardNumber)).toMatchObject({ active: true, balance: '0.00' });

    await stack.admin.clearFaults();
    const retry = await fulfill(stack, body, key);
    expect(retry.status).toBe(201);
    expect(retry.data.steps.map((s: { step: string }) => s.step)).toEqual(['ACTIVATED', 'ISSUED']);
    expect(await stack.admin.card(shipped.cardNumber)).toMatchObject({ active: true, balance: '40.00' });
    expect(await issuesOn(stack, shipped.cardNumber)).toHaveLength(1);
  });

  it('issue rate-limited (429): the retry issues once', async () => {
    const body = electronicLine({ amount: '12.34' });
    const key = randomUUID();
    await stack.admin.setFaults({ rateLimitRate: 1, methods: ['updateBalance'] });
    const failed = await fulfill(stack, body, key);
    expect(failed.status).toBe(503);
    const row = await fulfillmentOf(stack, body);
    const [allocated] = await allocationsFor(stack, row.id);
    expect(await stack.admin.card(allocated.card_number)).toMatchObject({ active: true, balance: '0.00' });

    await stack.admin.clearFaults();
    const retry = await fulfill(stack, body, key);
    expect(retry.status).toBe(201);
    await expectOneCardWithValue(row.id, allocated.card_number, '12.34');
  });

  it.each([
    ['applied, then dropped', { dropRate: 1 }],
    ['applied, then HTTP 500', { applyThenErrorRate: 1 }],
  ])('issue answer lost (%s) and the look-up failing: the retry finds it in the card history and does not issue again', async (_what, fault) => {
    const body = electronicLine({ amount: '20.00' });
    const key = randomUUID();
    await stack.admin.setFaults({ ...fault, methods: ['updateBalance', 'cardHistory'] });
    const lost = await fulfill(stack, body, key);
    expect(lost.status).toBe(503);
    expect(lost.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    const row = await fulfillmentOf(stack, body);
    const [allocated] = await allocationsFor(stack, row.id);
    expect(await stack.admin.card(allocated.card_number)).toMatchObject({ balance: '20.00' });

    await stack.admin.clearFaults();
    const retry = await fulfill(stack, body, key);
    expect(retry.status).toBe(201);
    expect(retry.data.steps[2].providerReference).toBe((await issuesOn(stack, allocated.card_number))[0].transactionId);
    await expectOneCardWithValue(row.id, allocated.card_number, '20.00');
    const calls = await stack.db.query(`SELECT outcome FROM payment_adapter.provider_call WHERE fulfillment_id = $1 AND operation = 'ISSUE'`, [row.id]);
    expect(calls).toEqual([{ outcome: 'APPLIED' }]);
  });

  it('issue timed out (not applied): retries say UNKNOWN until the grace period, then it is issued once', async () => {
    const body = electronicLine({ amount: '7.00' });
    const key = randomUUID();
    await stack.admin.setFaults({ timeoutRate: 1, hangMs: 1500, methods: ['updateBalance'] });
    const lost = await fulfill(stack, body, key);
    expect(lost.status).toBe(503);
    expect(lost.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
    await stack.admin.clearFaults();

    let retry = await fulfill(stack, body, key);
    for (let i = 0; retry.status === 503 && i < 40; i++) {
      expect(retry.data.error.details).toMatchObject({ outcome: 'UNKNOWN' });
      await new Promise((resolve) => setTimeout(resolve, 250));
      retry = await fulfill(stack, body, key);
    }
    expect(retry.status).toBe(201);
    const row = await fulfillmentOf(stack, body);
    await expectOneCardWithValue(row.id, retry.data.cardNumber, '7.00');
    const outcomes = await stack.db.query<{ outcome: string }>(
      `SELECT outcome FROM payment_adapter.provider_call WHERE fulfillment_id = $1 AND operation = 'ISSUE' ORDER BY created_at`,
      [row.id],
    );
    expect(outcomes.map((c) => c.outcome)).toEqual(['NOT_APPLIED', 'SUCCEEDED']);
  });

  it('the recovery sweep resumes an unfinished fulfillment; the next request shows the card once, calling nothing', async () => {
    const body = electronicLine({ amount: '5.00' });
    const key = randomUUID();
    await stack.admin.setFaults({ dropRate: 1, methods: ['updateBalance', 'cardHistory'] });
    expect((await fulfill(stack, body, key)).status).toBe(503);
    await stack.admin.clearFaults();
    const row = await fulfillmentOf(stack, body);

    const service = stack.adapter.app.get(FulfillmentsService);
    expect(await service.unfinished(0)).toContain(row.id);
    const resumed = await service.resume(row.id, 'recovery-sweep');
    expect(resumed.status).toBe('COMPLETED');
    expect(await service.unfinished(0)).not.toContain(row.id);
    const [allocated] = await allocationsFor(stack, row.id);
    await expectOneCardWithValue(row.id, allocated.card_number, '5.00');

    // The sweep showed the card to nobody: its number and PIN wait, encrypted, for the OMS's retry.
    const retry = await fulfill(stack, body, key);
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ status: 'COMPLETED', cardNumber: allocated.card_number });
    expect(retry.data.pin).toMatch(/^\d+$/);
    const replay = await fulfill(stack, body, key);
    expect(replay.data).toMatchObject({ status: 'COMPLETED', cardNumber: `****${allocated.card_number.slice(-4)}`, pin: null });
    expect(await issuesOn(stack, allocated.card_number)).toHaveLength(1);
  });

  it('concurrent requests for one line with different keys produce one card and one issue', async () => {
    const body = electronicLine({ amount: '9.00' });
    const responses = await Promise.all(Array.from({ length: 6 }, () => fulfill(stack, body)));
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(responses.map((r) => r.data.fulfillmentId)).size).toBe(1);
    const revealed = responses.filter((r) => !r.data.cardNumberMasked);
    expect(revealed).toHaveLength(1);
    await expectOneCardWithValue(revealed[0].data.fulfillmentId, revealed[0].data.cardNumber, '9.00');
  });

  it('keeps the sandbox ledger consistent', async () => {
    expect(await stack.admin.ledgerCheck()).toEqual({ ok: true, problems: [] });
  });
});
