import fc from 'fast-check';
import { startStack, Stack } from '../harness/stack';
import { drainBacklog, runReconciliationJob } from '../soak/drain';
import { RetryingOms, Told } from '../soak/oms-client';
import { minorOf, money, OrderRecord, PopulationCard } from '../soak/orders';
import { reconcile } from '../soak/reconcile';

/**
 * Issue 15, "Tests": random interleavings of hold, settle (sync final, sync partial, batch), reverse and
 * refund on a few orders and cards, while the sandbox drops answers, answers 500/503, applies and then
 * errs, or applies a call only after the adapter's timeout AND its grace period (a late landing). Real
 * PostgreSQL, the sandbox over HTTP. Whatever the interleaving, once the OMS has retried with its keys, the
 * recovery sweep and the reconciliation job have run, the provider's ledger, the adapter's records and the
 * answers given agree: the soak's reconciliation (test/soak/reconcile.ts) finds nothing, and the
 * reconciliation job left nothing for an operator.
 *
 * fast-check generates and shrinks the scenarios. PROPERTY_RUNS (default 10) and PROPERTY_SEED (default a
 * fixed seed) choose the run; a failure prints the seed and the shrunk scenario (replay with PROPERTY_SEED
 * and the printed path in PROPERTY_PATH; PROPERTY_SHRINK=false stops at the first failure). PROPERTY_ADAPTER_ENV
 * (JSON) adds adapter settings.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10);
const SEED = Number(process.env.PROPERTY_SEED ?? 15_2026);
const PATH = process.env.PROPERTY_PATH;
const TIMEOUT_MS = 500;
const GRACE_MS = 1000;
/** A late call lands after the adapter's timeout and its grace period: after "not applied" was concluded. */
const LATE_MS = TIMEOUT_MS + GRACE_MS + 800;

/** The sandbox's faults on money calls: answer dropped after applying, 500 after applying, 503, no answer, applied late. */
const FAULTS = ['drop', 'applyThenError', 'error', 'timeout', 'late'] as const;
type Fault = (typeof FAULTS)[number];
const FAULT_FIELD: Record<Fault, string> = { drop: 'dropRate', applyThenError: 'applyThenErrorRate', error: 'errorRate', timeout: 'timeoutRate', late: 'lateRate' };

type Command =
  | { kind: 'settle'; order: number; percent: number; mode: 'sync' | 'batch'; final: boolean }
  | { kind: 'reverse'; order: number }
  | { kind: 'refund'; order: number; percent: number };

interface Scenario {
  cards: number[];
  orders: Array<{ card: number; amountMinor: number }>;
  /** Each step's commands run at once; steps run one after the other. */
  steps: Command[][];
  /** The sandbox's fault rates for updateBalance (money calls) while the steps run (at most 1 in all), and the dice's seed. */
  faults: Partial<Record<Fault, number>>;
  faultSeed: number;
}

const command = (orders: number): fc.Arbitrary<Command> => {
  const order = fc.integer({ min: 0, max: orders - 1 });
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('settle' as const), order, percent: fc.integer({ min: 1, max: 100 }), mode: fc.constantFrom('sync' as const, 'batch' as const), final: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), order }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), order, percent: fc.integer({ min: 1, max: 100 }) }) },
  );
};

const scenario: fc.Arbitrary<Scenario> = fc
  .record({ cards: fc.array(fc.integer({ min: 500, max: 20000 }), { minLength: 1, maxLength: 2 }), orders: fc.integer({ min: 1, max: 3 }) })
  .chain(({ cards, orders }) =>
    fc.record({
      cards: fc.constant(cards),
      orders: fc.array(fc.record({ card: fc.integer({ min: 0, max: cards.length - 1 }), amountMinor: fc.integer({ min: 100, max: 15000 }) }), { minLength: orders, maxLength: orders }),
      steps: fc.array(fc.array(command(orders), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
      faults: fc.record(Object.fromEntries(FAULTS.map((f) => [f, fc.constantFrom(0, 0.08, 0.2)])) as Record<Fault, fc.Arbitrary<number>>, { requiredKeys: [] }),
      faultSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    }),
  );

/**
 * Always tried first: a refund whose issue lands late (fault seed 170 draws: hold on time, redeem on time,
 * the refund's issue late, its retry on time), the case a grace period alone cannot get right.
 */
const LATE_REFUND: Scenario = {
  cards: [10000],
  orders: [{ card: 0, amountMinor: 3000 }],
  steps: [[{ kind: 'settle', order: 0, percent: 100, mode: 'sync', final: true }], [{ kind: 'refund', order: 0, percent: 50 }]],
  faults: { late: 0.5 },
  faultSeed: 170,
};

describe('property: any interleaving under faults ends with ledger, records and answers in agreement (real stack)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('property', {
      CLUTCH_TIMEOUT_MS: String(TIMEOUT_MS),
      UNKNOWN_OUTCOME_GRACE_MS: String(GRACE_MS),
      // Shorter than a late landing on purpose: a lost refund issue is then issued again and its late twin
      // must be voided by the reconciliation job (the backstop behind the longer window in production).
      UNKNOWN_ISSUE_GRACE_MS: String(GRACE_MS),
      // The test runs the batch job, the sweep and the reconciliation itself, when the scenario is over.
      SETTLEMENT_JOB_ENABLED: 'false',
      RECOVERY_ENABLED: 'false',
      RECONCILIATION_ENABLED: 'false',
      SETTLEMENT_RETRY_BASE_MS: '100',
      SETTLEMENT_RETRY_MAX_MS: '500',
      RATE_LIMIT_PER_KEY_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_CARD_PER_MINUTE: '100000',
      // e.g. '{"RECONCILIATION_VOID_LATE_ENTRIES":"false"}': the property must then fail on a late refund issue.
      ...(JSON.parse(process.env.PROPERTY_ADAPTER_ENV ?? '{}') as Record<string, string>),
    });
  });
  afterAll(() => stack?.stop());
  // Every scenario's cards and orders: the reconciliation also checks each settlement and refund ever made
  // against the provider rows of the cards it reads, so it reads all of them.
  const allCards: PopulationCard[] = [];
  const allOrders: OrderRecord[] = [];
  const totals = { scenarios: 0, requests: 0, retries: 0, holdsReleased: 0, voided: 0, byFault: {} as Record<string, number> };

  async function runScenario(s: Scenario, index: number): Promise<string[]> {
    const target = { url: stack.adapter.url };
    // An OMS that retries a while under faults; what it gave up on is sent again with its key once they end.
    const oms = new RetryingOms(target, { maxAttempts: 12, deadlineMs: 15000 });
    const population: PopulationCard[] = [];
    for (const minor of s.cards) {
      const card = await stack.admin.createCard(money(BigInt(minor)));
      population.push({ cardNumber: card.cardNumber, pin: card.pin, initialMinor: BigInt(minor) });
    }
    const orders: OrderRecord[] = s.orders.map((o, i) => ({
      orderId: `prop-${SEED}-${index}-${i}-${Date.now().toString(36)}`,
      card: population[o.card],
      settlements: [],
      refunds: [],
      fulfillments: [],
      duplicates: [],
      reads: [],
    }));
    const sent: Array<{ told: Told; path: string; body: unknown; record: (told: Told) => void }> = [];
    const post = async (path: string, body: unknown, operation: string, record: (told: Told) => void) => {
      const told = await oms.post(operation, path, body);
      record(told);
      sent.push({ told, path, body, record });
      return told;
    };

    const rates = Object.fromEntries(Object.entries(s.faults).map(([f, rate]) => [FAULT_FIELD[f as Fault], rate]));
    await stack.admin.setFaults({ ...rates, lateMs: LATE_MS, hangMs: TIMEOUT_MS + 200, seed: s.faultSeed, methods: ['updateBalance'] });
    // Every order holds first (all at once), then the steps.
    await Promise.all(
      orders.map((order, i) =>
        post('/v1/authorizations', { orderId: order.orderId, cardNumber: order.card.cardNumber, pin: order.card.pin, amount: money(BigInt(s.orders[i].amountMinor)), currency: 'USD' }, 'authorize', (told) => {
          order.hold = told;
          if (told.status === 201 && (told.body?.status === 'APPROVED' || told.body?.status === 'PARTIALLY_APPROVED')) {
            order.authorizationId = told.body.authorizationId;
            order.approvedMinor = minorOf(told.body.approvedAmount);
          }
        }),
      ),
    );
    let invoice = 0;
    for (const step of s.steps) {
      await Promise.all(
        step.map(async (c) => {
          const order = orders[c.order];
          if (!order.authorizationId) return;
          if (c.kind === 'settle') {
            const amountMinor = BigInt(Math.max(1, Math.floor((Number(order.approvedMinor!) * c.percent) / 200)));
            const settlement = { told: undefined as unknown as Told, amountMinor, mode: c.mode, final: c.final };
            order.settlements.push(settlement);
            const body = { authorizationId: order.authorizationId, amount: money(amountMinor), invoiceId: `${order.orderId}-INV-${++invoice}`, final: c.final, mode: c.mode };
            await post('/v1/settlements', body, 'settle', (told) => (settlement.told = told));
          } else if (c.kind === 'reverse') {
            await post(`/v1/authorizations/${order.authorizationId}/reversals`, { amount: '0.00' }, 'reverse', (told) => (order.reversal = told));
          } else {
            const settled = order.settlements.find((x) => x.told?.status === 201 && x.told.body?.status === 'SETTLED');
            if (!settled) return;
            const settledMinor = minorOf(settled.told.body.settledAmount);
            const amountMinor = BigInt(Math.max(1, Math.floor((Number(settledMinor) * c.percent) / 100)));
            const refund = { told: undefined as unknown as Told, settlementId: settled.told.body.settlementId as string, amountMinor };
            order.refunds.push(refund);
            await post('/v1/refunds', { orderId: order.orderId, settlementId: refund.settlementId, amount: money(amountMinor), currency: 'USD' }, 'refund', (told) => (refund.told = told));
          }
        }),
      );
    }
    await stack.admin.clearFaults();
    const faultsClearedAt = Date.now();

    // The OMS sends what it got no final answer for again, with the same key, now that the provider behaves.
    const retryOms = new RetryingOms(target, { maxAttempts: 30, deadlineMs: 30000 });
    for (const request of sent.filter((r) => r.told.gaveUp)) {
      request.record(await retryOms.post(request.told.operation, request.path, request.body, request.told.key));
    }
    const drain = await drainBacklog(stack.db, target, 60000, () => undefined);
    const job = await runReconciliationJob(target, faultsClearedAt + LATE_MS + GRACE_MS + 500, () => undefined);
    allCards.push(...population);
    allOrders.push(...orders);
    const result = await reconcile(stack.db, stack.admin, allCards, allOrders, job);
    totals.scenarios += 1;
    totals.requests += oms.stats.requests;
    totals.retries += oms.stats.attempts - oms.stats.requests + retryOms.stats.attempts;
    totals.holdsReleased += job.holdsReleased;
    totals.voided += job.voidedEntries?.length ?? 0;
    for (const [f, rate] of Object.entries(s.faults)) if (rate) totals.byFault[f] = (totals.byFault[f] ?? 0) + 1;
    const problems = result.findings.map((f) => `${f.category}: ${f.subject}: ${f.detail}`);
    if (!drain.drained) problems.push(`not drained: ${JSON.stringify(drain.left)}`);
    return problems;
  }

  it(`holds for ${RUNS} random scenarios (seed ${SEED})`, async () => {
    let index = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const problems = await runScenario(s, index++);
        if (problems.length > 0) throw new Error(`ledger, records and answers disagree:\n  ${problems.join('\n  ')}`);
      }),
      { numRuns: RUNS, seed: SEED, path: PATH, examples: PATH ? [] : [[LATE_REFUND]], endOnFailure: process.env.PROPERTY_SHRINK === 'false', verbose: 1 },
    );
    console.log(`property: ${RUNS} scenarios (seed ${SEED}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(totals)}`);
  }, 15 * 60_000);
});
