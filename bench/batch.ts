import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { CardVault } from '../apps/payment-adapter/src/card-data/card-vault';
import { DEV_CARD_DATA_KEY } from '../apps/payment-adapter/src/config/adapter.config';
import { JsonClient, inParallel } from './lib/http';
import { memoryOf, sleep } from './lib/processes';
import { API_KEY, BENCH_PIN } from './lib/stack';

const HOLD_MINOR = 100; // every backlog item holds and settles 1.00 USD
const bearer = () => ({ authorization: `Bearer ${API_KEY}`, 'idempotency-key': randomUUID() });

/** Is the batch job's "run now" endpoint there? (issue 7; 404 while it is not built) */
export async function settlementRunsAvailable(adapter: JsonClient): Promise<boolean> {
  const response = await adapter.post('/v1/settlement-runs', {}, bearer(), 120_000);
  return response.status !== 404;
}

/**
 * The honest part of the backlog: authorizations through the adapter (real holds at the sandbox), then batch
 * settlements through POST /v1/settlements {mode: 'batch', final: true} (202, no provider call).
 */
export async function seedThroughApi(adapter: JsonClient, cards: string[], count: number): Promise<void> {
  await inParallel(count, 8, async (i) => {
    const hold = await adapter.post(
      '/v1/authorizations',
      { orderId: `bench-batch-api-${i}`, cardNumber: cards[i % cards.length], pin: BENCH_PIN, amount: '1.00', currency: 'USD' },
      bearer(),
    );
    if (hold.status !== 201 || hold.body.status !== 'APPROVED') throw new Error(`hold answered ${hold.status}: ${JSON.stringify(hold.body)}`);
    const settlement = await adapter.post(
      '/v1/settlements',
      { authorizationId: hold.body.authorizationId, amount: '1.00', invoiceId: `INV-${i}`, final: true, mode: 'batch' },
      bearer(),
    );
    if (settlement.status !== 202) throw new Error(`batch settlement answered ${settlement.status}: ${JSON.stringify(settlement.body)}`);
  });
}

/**
 * The bulk of the backlog, written with SQL because 100,000 through the API takes longer than the whole
 * bench may. It mirrors what the two API calls above commit: at the sandbox a `hold` ledger transaction and
 * its OPEN hold row (a hold moves no balance); in the adapter the OPEN/APPROVED authorization, its SUCCEEDED
 * HOLD provider call (whose id is the hold's customRequestId), the HOLD_APPROVED event, the OPEN batch
 * settlement and its SETTLEMENT_REQUESTED event. Not written: the idempotency_key rows of those requests
 * (the job never reads them). Card numbers are encrypted and hashed with the adapter's own CardVault.
 */
export async function seedWithSql(db: Client, cards: string[], count: number, chunk = 5000): Promise<void> {
  const vault = new CardVault(DEV_CARD_DATA_KEY);
  const protectedCards = cards.map((number) => ({ number, ...vault.protect(number) }));
  for (let from = 0; from < count; from += chunk) {
    const size = Math.min(chunk, count - from);
    const rows = Array.from({ length: size }, (_, k) => {
      const card = protectedCards[(from + k) % protectedCards.length];
      return { auth: randomUUID(), hold: randomUUID(), call: randomUUID(), settlement: randomUUID(), order: `bench-batch-sql-${from + k}`, card };
    });
    const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
    await db.query('BEGIN');
    try {
      await db.query(
        `CREATE TEMP TABLE seed ON COMMIT DROP AS
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
             AS s(auth_id, hold_id, call_id, settlement_id, order_id, card_number, card_hash, card_encrypted, card_last4)`,
        [
          column((r) => r.auth), column((r) => r.hold), column((r) => r.call), column((r) => r.settlement), column((r) => r.order),
          column((r) => r.card.number), column((r) => r.card.hash), column((r) => r.card.encrypted), column((r) => r.card.last4),
        ],
      );
      await db.query(
        `INSERT INTO clutch_sandbox.ledger_transaction (id, card_number, action, amount_minor, currency, custom_request_id)
           SELECT hold_id, card_number, 'hold', ${HOLD_MINOR}, 'USD', call_id::text FROM seed`,
      );
      await db.query(
        `INSERT INTO clutch_sandbox.hold (id, card_number, original_amount_minor, amount_minor, status)
           SELECT hold_id, card_number, ${HOLD_MINOR}, ${HOLD_MINOR}, 'OPEN' FROM seed`,
      );
      await db.query(
        `INSERT INTO payment_adapter.authorization_hold (id, order_id, root_id, idempotency_key, card_hash, card_encrypted, card_last4,
           currency, requested_minor, approved_minor, held_minor, settled_minor, allow_partial, state, decision, provider_hold_id, expires_at)
         SELECT auth_id, order_id, auth_id, 'bench-seed-' || auth_id, card_hash, card_encrypted, card_last4,
           'USD', ${HOLD_MINOR}, ${HOLD_MINOR}, ${HOLD_MINOR}, 0, true, 'OPEN', 'APPROVED', hold_id::text, now() + interval '168 hours' FROM seed`,
      );
      await db.query(
        `INSERT INTO payment_adapter.provider_call (id, operation, order_id, authorization_id, card_hash, card_encrypted, currency,
           amount_minor, outcome, provider_transaction_id, result_minor, completed_at)
         SELECT call_id, 'HOLD', order_id, auth_id, card_hash, card_encrypted, 'USD', ${HOLD_MINOR}, 'SUCCEEDED', hold_id::text, ${HOLD_MINOR}, now() FROM seed`,
      );
      await db.query(
        `INSERT INTO payment_adapter.settlement (id, order_id, authorization_id, root_authorization_id, idempotency_key, invoice_id,
           currency, amount_minor, final, mode, status)
         SELECT settlement_id, order_id, auth_id, auth_id, 'bench-seed-' || settlement_id, 'INV-' || order_id, 'USD', ${HOLD_MINOR}, true, 'batch', 'OPEN' FROM seed`,
      );
      await db.query(
        `INSERT INTO payment_adapter.payment_event (order_id, authorization_id, settlement_id, type, from_state, to_state, amount_minor,
           currency, actor, provider_call_id, provider_transaction_id, detail)
         SELECT order_id, auth_id, NULL, 'AUTHORIZATION_HOLD_APPROVED', 'PENDING', 'OPEN', ${HOLD_MINOR}, 'USD', 'bench-seed', call_id, hold_id::text, NULL FROM seed
         UNION ALL
         SELECT order_id, auth_id, settlement_id, 'SETTLEMENT_REQUESTED', NULL, 'OPEN', ${HOLD_MINOR}, 'USD', 'bench-seed', NULL, NULL,
           jsonb_build_object('invoiceId', 'INV-' || order_id, 'final', true, 'mode', 'batch') FROM seed`,
      );
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    }
  }
  // Statistics for the tables just filled, as autovacuum gathers them within a minute or so of such a load: without
  // them the planner takes the tables for empty, and the claim's "no older settlement of this chain" check scans the
  // whole due index once per claimed row (the drain then slows with the backlog's size: 19/s for 100,000).
  await db.query(`ANALYZE payment_adapter.settlement, payment_adapter.authorization_hold, payment_adapter.provider_call, payment_adapter.payment_event`);
  await db.query(`ANALYZE clutch_sandbox.ledger_transaction, clutch_sandbox.hold`);
}

export interface DrainResult {
  settled: number;
  failed: number;
  left: number;
  seconds: number;
  settlementsPerSecond: number;
  peakRssMb: number;
  vmHwmMb: number;
  drained: boolean;
  runAnswer: string;
}

const countByStatus = async (db: Client) => {
  const rows = (await db.query(`SELECT status, count(*)::int AS n FROM payment_adapter.settlement WHERE mode = 'batch' GROUP BY status`)).rows;
  const of = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
  return { open: of('OPEN') + of('PROCESSING'), settled: of('SETTLED'), failed: of('FAILED') };
};

/**
 * Asks the adapter to run the job now (POST /v1/settlement-runs) and watches the settlement table until no
 * batch settlement is OPEN or PROCESSING (or `maxSeconds` pass), sampling the adapter's RSS meanwhile.
 */
export async function drain(adapter: JsonClient, db: Client, adapterPid: number, maxSeconds: number): Promise<DrainResult> {
  const before = await countByStatus(db);
  let peakRssMb = memoryOf(adapterPid)?.rssMb ?? NaN;
  let runAnswer = 'pending';
  const started = performance.now();
  adapter
    .post('/v1/settlement-runs', {}, bearer(), (maxSeconds + 60) * 1000)
    .then((response) => (runAnswer = `${response.status}`))
    .catch((error) => (runAnswer = `error: ${error.message}`));
  let now = before;
  let finished = started;
  while ((performance.now() - started) / 1000 < maxSeconds) {
    for (let i = 0; i < 5; i++) {
      await sleep(100);
      const memory = memoryOf(adapterPid);
      if (memory) peakRssMb = Math.max(peakRssMb, memory.rssMb);
    }
    now = await countByStatus(db);
    finished = performance.now();
    if (now.open === 0) break;
  }
  const seconds = (finished - started) / 1000;
  const settled = now.settled - before.settled;
  return {
    settled,
    failed: now.failed - before.failed,
    left: now.open,
    seconds,
    settlementsPerSecond: settled / seconds,
    peakRssMb,
    vmHwmMb: memoryOf(adapterPid)?.hwmMb ?? NaN,
    drained: now.open === 0,
    runAnswer,
  };
}
