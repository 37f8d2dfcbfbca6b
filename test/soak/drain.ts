import axios from 'axios';
import { endedHoldSql } from '../../apps/payment-adapter/src/provider-calls/hold-gone';
import { DEV_KEY } from '../harness/clients';
import { RetryingOms, sleep } from './oms-client';
import { ReconciliationJobRun } from './reconcile';

/** The end of a chaos run (the soak, the property test): the backlog drained, then the adapter's reconciliation job. */

/**
 * The adapter's own reconciliation job (`POST /v1/reconciliation-runs`), once every late call has landed:
 * it releases orphan holds and voids late-landing duplicate movements. What it only lists is counted as a
 * discrepancy by `reconcile()`: a difference left for an operator is not a correction.
 */
export async function runReconciliationJob(target: { url: string }, notBefore: number, say: (line: string) => void): Promise<ReconciliationJobRun> {
  if (Date.now() < notBefore) await sleep(notBefore - Date.now());
  const started = Date.now();
  const response = await reconciliationHttp().post(`${target.url}/v1/reconciliation-runs`, {});
  if (response.status !== 200) throw new Error(`reconciliation run: ${response.status} ${JSON.stringify(response.data)}`);
  const run = response.data as ReconciliationJobRun;
  say(
    `reconciliation job: ${run.status} in ${Date.now() - started} ms, cardsChecked=${run.cardsChecked} cardsSkipped=${run.cardsSkipped} ` +
      `holdsReleased=${run.holdsReleased} voided=${run.voidedEntries?.length ?? 0} differences=${run.differences.length}`,
  );
  return run;
}

/** A run may take long on many cards: no client timeout (an OMS-like retry would start a second run). */
const reconciliationHttp = () => axios.create({ headers: { Authorization: `Bearer ${DEV_KEY}` }, validateStatus: () => true, timeout: 0 });

export interface DrainResult {
  rounds: number;
  ms: number;
  drained: boolean;
  left: Record<string, number>;
  recoveryEndpoint: boolean;
  /** Reconciliation runs the drain asked for while calls stayed unresolved. */
  reconciliationRuns: number;
}

/**
 * After the faults stop: run the batch job and the recovery sweep until no batch settlement is OPEN or
 * PROCESSING, no provider call's outcome is PENDING or UNKNOWN, and no hold of a link the expiry job closed is
 * left unreleased (two quiet rounds in a row), bounded.
 */
export async function drainBacklog(
  db: { query: (sql: string) => Promise<Record<string, unknown>[]> },
  target: { url: string },
  limitMs: number,
  say: (line: string) => void,
): Promise<DrainResult> {
  const oms = new RetryingOms(target, { maxAttempts: 5, deadlineMs: 60000 });
  const started = Date.now();
  let quiet = 0;
  let rounds = 0;
  let recoveryEndpoint = true;
  let left: Record<string, number> = {};
  let reconciliationRuns = 0;
  while (Date.now() - started < limitMs) {
    rounds += 1;
    await oms.post('settlementRun', '/v1/settlement-runs', {}, null);
    const recovery = await oms.post('recoveryRun', '/v1/recovery-runs', {}, null);
    if (recovery.status === 404) recoveryEndpoint = false;
    // Calls still unresolved after a few rounds may wait on an orphan hold only the reconciliation job
    // releases: it runs too, as its own cron would (every 5th round while something is left).
    if (rounds % 5 === 0 && left['provider calls unresolved'] > 0) {
      await reconciliationHttp().post(`${target.url}/v1/reconciliation-runs`, {});
      reconciliationRuns += 1;
    }
    const [row] = await db.query(`SELECT
        (SELECT count(*) FROM payment_adapter.settlement WHERE mode = 'batch' AND status IN ('OPEN', 'PROCESSING'))::int AS "batch settlements open",
        (SELECT count(*) FROM payment_adapter.provider_call WHERE outcome IN ('PENDING', 'UNKNOWN'))::int AS "provider calls unresolved",
        (SELECT count(*) FROM payment_adapter.settlement WHERE mode = 'sync' AND status IN ('OPEN', 'PROCESSING'))::int AS "sync settlements unfinished",
        (SELECT count(*) FROM payment_adapter.refund WHERE status = 'PENDING')::int AS "refunds pending",
        (SELECT count(*) FROM payment_adapter.gift_card_fulfillment WHERE status = 'PENDING')::int AS "fulfillments pending",
        (SELECT count(*) FROM payment_adapter.authorization_hold WHERE state = 'PENDING')::int AS "authorizations pending",
        -- A link the expiry job closed whose release failed: the recovery sweep releases it once it has been closed a
        -- minute (the job may still be working on it), so the drain waits for that too.
        (SELECT count(*) FROM payment_adapter.authorization_hold a
          WHERE a.closed_reason IN ('REAUTHORIZED', 'EXPIRED') AND a.provider_hold_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM payment_adapter.provider_call u
                             WHERE u.operation IN ('RELEASE_HOLD', 'REDEEM_FROM_HOLD') AND u.provider_hold_id = a.provider_hold_id
                               AND ${endedHoldSql('u')}))::int
          AS "expired holds unreleased"`);
    left = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
    const busy = left['batch settlements open'] + left['provider calls unresolved'] + left['expired holds unreleased'];
    quiet = busy === 0 ? quiet + 1 : 0;
    if (quiet >= 2) break;
    if (rounds % 5 === 1) say(`draining: ${JSON.stringify(left)}${recoveryEndpoint ? '' : ' (no /v1/recovery-runs)'}`);
    await sleep(1000);
  }
  say(`drain ${quiet >= 2 ? 'done' : 'TIMED OUT'} after ${rounds} rounds: ${JSON.stringify(left)}`);
  return { rounds, ms: Date.now() - started, drained: quiet >= 2, left, recoveryEndpoint, reconciliationRuns };
}

export interface WebhookDrainResult {
  ms: number;
  drained: boolean;
  /** FAILED deliveries the drain asked to be sent again (POST /v1/webhook-deliveries/{id}/redeliveries). */
  redelivered: number;
  redeliveryRefused: number;
  pending: number;
  failed: number;
}

/**
 * After the backlog (the receiver answering well again): waits until no delivery is PENDING, then asks for
 * every FAILED one to be sent again, as an operator would from the console, and waits again. What is still
 * PENDING or FAILED at the end counts as a discrepancy in `reconcileWebhooks`.
 */
export async function drainWebhooks(
  db: { query: (sql: string) => Promise<Record<string, unknown>[]> },
  target: { url: string },
  limitMs: number,
  say: (line: string) => void,
): Promise<WebhookDrainResult> {
  const started = Date.now();
  const counts = async () => {
    const [row] = await db.query(`SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS pending, count(*) FILTER (WHERE status = 'FAILED')::int AS failed
                                    FROM payment_adapter.webhook_delivery`);
    return { pending: Number(row.pending), failed: Number(row.failed) };
  };
  const waitPending = async () => {
    let c = await counts();
    while (c.pending > 0 && Date.now() - started < limitMs) {
      await sleep(500);
      c = await counts();
    }
    return c;
  };
  let c = await waitPending();
  let redelivered = 0;
  let redeliveryRefused = 0;
  const http = axios.create({ headers: { Authorization: `Bearer ${DEV_KEY}` }, validateStatus: () => true, timeout: 30000 });
  if (c.failed > 0) {
    say(`webhooks: ${c.failed} FAILED deliveries; redelivering them`);
    const failed = await db.query(`SELECT id FROM payment_adapter.webhook_delivery WHERE status = 'FAILED' ORDER BY seq`);
    for (const { id } of failed) {
      const response = await http.post(`${target.url}/v1/webhook-deliveries/${id}/redeliveries`, {});
      if (response.status === 202) redelivered += 1;
      else {
        redeliveryRefused += 1;
        say(`webhooks: redelivery of ${id} answered ${response.status} ${JSON.stringify(response.data).slice(0, 200)}`);
      }
    }
    c = await waitPending();
  }
  const drained = c.pending === 0 && c.failed === 0;
  say(`webhooks ${drained ? 'drained' : 'NOT drained'} in ${Date.now() - started} ms: ${JSON.stringify(c)}, ${redelivered} redelivered`);
  return { ms: Date.now() - started, drained, redelivered, redeliveryRefused, ...c };
}
