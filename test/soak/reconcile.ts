import { sandboxAdmin } from '../harness/clients';
import { TestDatabase } from '../harness/database';
import { minorOf, OrderRecord, PopulationCard } from './orders';
import { Told } from './oms-client';
import { reconcileWebhooks } from './reconcile-webhooks';
import { WebhookReceiver } from './webhook-receiver';

/**
 * The end of the soak: three views of the truth, per card and per order, and every way they may disagree.
 * (1) the provider's ledger (the sandbox admin API per card, its tables for allocated cards),
 * (2) the adapter's database (payment_adapter schema), (3) what the clients were finally told.
 */

export type Category =
  | 'double-redeem'
  | 'lost-settlement'
  | 'orphan-hold'
  | 'amount-differs'
  | 'refund'
  | 'fulfillment-duplicate'
  | 'fulfillment'
  | 'told-differs'
  | 'ledger-check'
  | 'not-drained'
  | 'reconciliation'
  | 'new-card-refund'
  | 'expiry'
  | 'webhook';

/** What `POST /v1/reconciliation-runs` answered (the fields the soak reads). */
export interface ReconciliationJobRun {
  runId: string;
  status: string;
  cardsChecked: number;
  cardsSkipped: number;
  holdsReleased: number;
  voidedEntries?: Array<Record<string, unknown>>;
  differences: Array<{ kind: string; action: string; card: string; amount: string; note: string }>;
  skippedCards: Array<{ card: string; note: string }>;
  failure: string | null;
}

export interface Finding {
  category: Category;
  subject: string;
  detail: string;
}

export interface Reconciliation {
  findings: Finding[];
  facts: Record<string, Record<string, number | string>>;
}

interface HistoryRow {
  transactionId: string;
  action: string;
  amount: string;
  customRequestId: string | null;
  relatedTransactionId: string | null;
  isReturnRelated: boolean;
  voided: boolean;
}

type Row = Record<string, any>;

const big = (value: unknown) => BigInt((value as string | number | null) ?? 0);
const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
const count = <T>(items: T[], key: (item: T) => string) =>
  items.reduce<Record<string, number>>((acc, item) => ((acc[key(item)] = (acc[key(item)] ?? 0) + 1), acc), {});

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

export async function reconcile(
  db: TestDatabase,
  admin: ReturnType<typeof sandboxAdmin>,
  population: PopulationCard[],
  orders: OrderRecord[],
  job?: ReconciliationJobRun,
  receiver?: WebhookReceiver,
): Promise<Reconciliation> {
  const findings: Finding[] = [];
  const find = (category: Category, subject: string, detail: string) => findings.push({ category, subject, detail });

  // The adapter's reconciliation job: what it corrected (released, voided) is fine; what it only listed for
  // an operator, or could not check, is a discrepancy the adapter did not resolve.
  if (job) {
    if (job.status !== 'COMPLETED') find('reconciliation', `run ${job.runId}`, `${job.status}: ${job.failure}`);
    for (const d of job.differences) find('reconciliation', `card ${d.card}`, `${d.kind} ${d.action} ${d.amount}: ${d.note}`);
    for (const c of job.skippedCards) find('reconciliation', `card ${c.card}`, `skipped: ${c.note}`);
  }

  // (2) The adapter's database.
  const authorizations = await db.query<Row>(
    `SELECT id, order_id, root_id, idempotency_key, state, decision, closed_reason, approved_minor::text, held_minor::text,
            settled_minor::text, provider_hold_id, expires_at FROM payment_adapter.authorization_hold`,
  );
  const settlements = await db.query<Row>(
    `SELECT id, order_id, root_authorization_id, idempotency_key, status, mode, amount_minor::text, settled_minor::text, failure_reason
       FROM payment_adapter.settlement`,
  );
  const refunds = await db.query<Row>(
    `SELECT id, order_id, settlement_id, idempotency_key, status, amount_minor::text, failure_reason, to_new_card, card_last4 FROM payment_adapter.refund`,
  );
  // A refund to a new card pays no population card: it is checked through its card (the fulfillment of line refund:<id>).
  const cardRefunds = refunds.filter((r) => !r.to_new_card);
  const fulfillments = await db.query<Row>(
    `SELECT id, order_id, line_id, status, amount_minor::text, card_last4, card_hash, failure_reason FROM payment_adapter.gift_card_fulfillment`,
  );
  const calls = await db.query<Row>(
    `SELECT id::text, operation, order_id, authorization_id, settlement_id, refund_id, fulfillment_id, outcome FROM payment_adapter.provider_call`,
  );

  // (1) The provider: every card of the population, read through the sandbox admin API.
  const cards = await mapConcurrently(population, 8, (card) => admin.card(card.cardNumber));
  const allocations = await db.query<Row>(
    `SELECT custom_request_id, card_number FROM clutch_sandbox.ledger_transaction WHERE action = 'allocate' AND NOT voided`,
  );
  const allocatedCards = [...new Set(allocations.map((a) => a.card_number as string))];
  const allocatedIssues = await db.query<Row>(
    `SELECT card_number, custom_request_id, amount_minor::text, is_return_related FROM clutch_sandbox.ledger_transaction
      WHERE action = 'issue' AND NOT voided AND card_number = ANY($1)`,
    [allocatedCards],
  );
  const allocatedBalances = await db.query<Row>(`SELECT card_number, balance_minor::text, active, pin FROM clutch_sandbox.card WHERE card_number = ANY($1)`, [allocatedCards]);

  // Indexes.
  const cardOfOrder = new Map(orders.map((o) => [o.orderId, o.card.cardNumber]));
  const callById = new Map(calls.map((c) => [c.id as string, c]));
  const authorizationById = new Map(authorizations.map((a) => [a.id as string, a]));
  const settlementById = new Map(settlements.map((s) => [s.id as string, s]));
  // Resources are stored under `<API key name>:<Idempotency-Key>` (keys are scoped per API key); the soak has one key.
  const clientKey = (stored: string) => stored.slice(stored.indexOf(':') + 1);
  const byKey = (rows: Row[]) => new Map(rows.filter((r) => r.idempotency_key).map((r) => [clientKey(r.idempotency_key as string), r]));
  const authorizationByKey = byKey(authorizations);
  const settlementByKey = byKey(settlements);
  const refundByKey = byKey(refunds);
  const ofCard = <T extends Row>(rows: T[]) => {
    const grouped = new Map<string, T[]>();
    for (const row of rows) {
      const card = cardOfOrder.get(row.order_id);
      if (!card) continue;
      grouped.set(card, [...(grouped.get(card) ?? []), row]);
    }
    return grouped;
  };
  const authorizationsOfCard = ofCard(authorizations);
  const settlementsOfCard = ofCard(settlements);
  const refundsOfCard = ofCard(cardRefunds);

  // Provider rows of value moved on the population's cards, by the adapter's reference (customRequestId).
  const redeemsBySettlement = new Map<string, Array<{ card: string; row: HistoryRow }>>();
  const issuesByRefund = new Map<string, Array<{ card: string; row: HistoryRow }>>();
  const totals = { initial: 0n, redeemed: 0n, released: 0, returnIssued: 0n, openHolds: 0, openHeld: 0n };

  for (const card of cards) {
    const live: HistoryRow[] = (card.history as unknown as HistoryRow[]).filter((t) => !t.voided);
    const initial = sum(live.filter((t) => t.action === 'issue' && t.customRequestId === null).map((t) => minorOf(t.amount)));
    const redeems = live.filter((t) => t.action === 'redeem' && minorOf(t.amount) > 0n);
    const returnIssues = live.filter((t) => t.action === 'issue' && t.customRequestId !== null && t.isReturnRelated);
    const otherIssues = live.filter((t) => t.action === 'issue' && t.customRequestId !== null && !t.isReturnRelated);
    const redeemed = sum(redeems.map((t) => minorOf(t.amount)));
    const returned = sum(returnIssues.map((t) => minorOf(t.amount)));
    totals.initial += initial;
    totals.redeemed += redeemed;
    totals.returnIssued += returned;
    totals.released += live.filter((t) => t.action === 'redeem' && minorOf(t.amount) === 0n).length;

    for (const row of redeems) {
      const call = row.customRequestId ? callById.get(row.customRequestId) : undefined;
      if (!call || call.operation !== 'REDEEM_FROM_HOLD' || !call.settlement_id) {
        find('lost-settlement', `card ${card.cardNumber}`, `provider redeem ${row.transactionId} of ${row.amount} (reference ${row.customRequestId}) belongs to no settlement's redeem call`);
        continue;
      }
      redeemsBySettlement.set(call.settlement_id, [...(redeemsBySettlement.get(call.settlement_id) ?? []), { card: card.cardNumber, row }]);
    }
    for (const row of returnIssues) {
      const call = row.customRequestId ? callById.get(row.customRequestId) : undefined;
      if (!call || call.operation !== 'ISSUE' || !call.refund_id) {
        find('refund', `card ${card.cardNumber}`, `provider return issue ${row.transactionId} of ${row.amount} belongs to no refund's issue call`);
        continue;
      }
      issuesByRefund.set(call.refund_id, [...(issuesByRefund.get(call.refund_id) ?? []), { card: card.cardNumber, row }]);
    }
    for (const row of otherIssues) find('amount-differs', `card ${card.cardNumber}`, `unexpected issue ${row.transactionId} of ${row.amount} on a population card`);

    // Card arithmetic at the provider: balance = initial + issues - redeems.
    const balance = minorOf(card.balance);
    const fromHistory = initial + returned + sum(otherIssues.map((t) => minorOf(t.amount))) - redeemed;
    if (balance !== fromHistory) find('amount-differs', `card ${card.cardNumber}`, `provider balance ${balance} but initial + issues - redeems = ${fromHistory}`);

    // Provider vs adapter, per card: redeemed = settled, returned = refunded, held = held.
    const adapterSettled = sum((settlementsOfCard.get(card.cardNumber) ?? []).filter((s) => s.status === 'SETTLED').map((s) => big(s.settled_minor)));
    if (redeemed !== adapterSettled) find('amount-differs', `card ${card.cardNumber}`, `provider redeemed ${redeemed}, adapter settled ${adapterSettled}`);
    const adapterRefunded = sum((refundsOfCard.get(card.cardNumber) ?? []).filter((r) => r.status === 'SUCCEEDED').map((r) => big(r.amount_minor)));
    if (returned !== adapterRefunded) find('refund', `card ${card.cardNumber}`, `provider issued back ${returned}, adapter refunded ${adapterRefunded}`);

    const openAuthorizations = (authorizationsOfCard.get(card.cardNumber) ?? []).filter((a) => a.state === 'OPEN');
    const adapterHeld = sum(openAuthorizations.map((a) => big(a.held_minor)));
    const providerHeld = minorOf(card.held);
    if (providerHeld !== adapterHeld) find('amount-differs', `card ${card.cardNumber}`, `provider holds ${providerHeld}, adapter's open authorizations hold ${adapterHeld}`);
    const openHolds = card.holds.filter((h) => h.status === 'OPEN');
    totals.openHolds += openHolds.length;
    totals.openHeld += providerHeld;
    for (const hold of openHolds) {
      const owner = openAuthorizations.find((a) => a.provider_hold_id === hold.holdId);
      if (!owner) {
        const closed = (authorizationsOfCard.get(card.cardNumber) ?? []).find((a) => a.provider_hold_id === hold.holdId);
        find('orphan-hold', `card ${card.cardNumber}`, `hold ${hold.holdId} of ${hold.amount} is open at the provider; ${closed ? `its authorization ${closed.id} is ${closed.state}/${closed.closed_reason}` : 'no authorization knows it'}`);
      } else if (minorOf(hold.amount) !== big(owner.held_minor)) {
        find('amount-differs', `authorization ${owner.id}`, `hold ${hold.holdId} holds ${hold.amount} at the provider, the adapter says ${owner.held_minor}`);
      }
    }
    for (const authorization of openAuthorizations) {
      if (!openHolds.some((h) => h.holdId === authorization.provider_hold_id)) {
        find('orphan-hold', `authorization ${authorization.id}`, `OPEN holding ${authorization.held_minor} but hold ${authorization.provider_hold_id} is not open at the provider`);
      }
    }
  }

  // Per settlement: exactly one provider redeem for a SETTLED one, none otherwise.
  for (const settlement of settlements) {
    const redeems = redeemsBySettlement.get(settlement.id) ?? [];
    const subject = `settlement ${settlement.id} (order ${settlement.order_id})`;
    if (redeems.length > 1) find('double-redeem', subject, `${redeems.length} provider redeems: ${redeems.map((r) => r.row.amount).join(', ')}`);
    if (settlement.status === 'SETTLED' && redeems.length === 0) find('lost-settlement', subject, `SETTLED (${settlement.settled_minor}) but the provider has no redeem for it`);
    if (settlement.status !== 'SETTLED' && redeems.length > 0) find('lost-settlement', subject, `${settlement.status} (${settlement.failure_reason ?? ''}) but the provider redeemed ${redeems.map((r) => r.row.amount).join(', ')}`);
    if (settlement.status === 'SETTLED' && redeems.length === 1 && minorOf(redeems[0].row.amount) !== big(settlement.settled_minor)) {
      find('amount-differs', subject, `settled ${settlement.settled_minor}, the provider redeemed ${redeems[0].row.amount}`);
    }
    if (settlement.mode === 'batch' && (settlement.status === 'OPEN' || settlement.status === 'PROCESSING')) find('not-drained', subject, `batch settlement still ${settlement.status}`);
  }

  // Per refund: exactly one return issue for a SUCCEEDED one, none otherwise.
  for (const refund of cardRefunds) {
    const issues = issuesByRefund.get(refund.id) ?? [];
    const subject = `refund ${refund.id} (order ${refund.order_id})`;
    if (issues.length > 1) find('refund', subject, `${issues.length} provider issues for one refund`);
    if (refund.status === 'SUCCEEDED' && issues.length === 0) find('refund', subject, 'SUCCEEDED but the provider issued nothing');
    if (refund.status !== 'SUCCEEDED' && issues.length > 0) find('refund', subject, `${refund.status} but the provider issued ${issues.map((i) => i.row.amount).join(', ')}`);
    if (refund.status === 'SUCCEEDED' && issues.length === 1 && minorOf(issues[0].row.amount) !== big(refund.amount_minor)) {
      find('amount-differs', subject, `refunded ${refund.amount_minor}, the provider issued ${issues[0].row.amount}`);
    }
  }
  // Refunds of a settlement never exceed what it settled.
  const refundedBySettlement = new Map<string, bigint>();
  for (const refund of refunds.filter((r) => r.status === 'SUCCEEDED' && r.settlement_id)) {
    refundedBySettlement.set(refund.settlement_id, (refundedBySettlement.get(refund.settlement_id) ?? 0n) + big(refund.amount_minor));
  }
  for (const [settlementId, refunded] of refundedBySettlement) {
    const settled = big(settlementById.get(settlementId)?.settled_minor);
    if (refunded > settled) find('refund', `settlement ${settlementId}`, `refunded ${refunded}, more than the ${settled} it settled`);
  }

  // Fulfillments: one card with the line's value at the provider. A lost allocation (Clutch is not idempotent
  // on our reference) leaves another card of the line, which must stay empty and inactive, its call NOT_APPLIED.
  const allocationsOf = new Map<string, string[]>();
  for (const a of allocations) {
    const call = callById.get(a.custom_request_id as string);
    const fulfillmentId = call?.operation === 'ALLOCATE' ? (call.fulfillment_id as string) : (a.custom_request_id as string);
    allocationsOf.set(fulfillmentId, [...(allocationsOf.get(fulfillmentId) ?? []), a.card_number]);
    if (call && call.outcome !== 'SUCCEEDED' && call.outcome !== 'NOT_APPLIED' && call.outcome !== 'UNKNOWN') {
      find('fulfillment', `allocate call ${call.id}`, `a card was allocated but the call is ${call.outcome}`);
    }
  }
  const issuesOfCard = new Map<string, Row[]>();
  for (const issue of allocatedIssues) issuesOfCard.set(issue.card_number, [...(issuesOfCard.get(issue.card_number) ?? []), issue]);
  const balanceOf = new Map(allocatedBalances.map((c) => [c.card_number as string, c]));
  for (const fulfillment of fulfillments) {
    const subject = `fulfillment ${fulfillment.id} (order ${fulfillment.order_id} line ${fulfillment.line_id})`;
    const allocated = [...new Set(allocationsOf.get(fulfillment.id) ?? [])];
    const withValue = allocated.filter((n) => (issuesOfCard.get(n) ?? []).length > 0 || big(balanceOf.get(n)?.balance_minor) !== 0n);
    if (withValue.length > 1) find('fulfillment-duplicate', subject, `${withValue.length} cards with value`);
    const ownCard = allocated.filter((n) => n.slice(-4) === fulfillment.card_last4);
    for (const lostCard of allocated.filter((n) => !ownCard.includes(n))) {
      if (balanceOf.get(lostCard)?.active) find('fulfillment-duplicate', subject, `lost card ****${lostCard.slice(-4)} is active`);
    }
    const cardNumbers = fulfillment.status === 'COMPLETED' ? (ownCard.length ? ownCard : allocated) : withValue;
    const issues = allocated.flatMap((n) => issuesOfCard.get(n) ?? []);
    if (issues.length > 1) find('fulfillment-duplicate', subject, `value issued ${issues.length} times: ${issues.map((i) => i.amount_minor).join(', ')}`);
    if (fulfillment.status === 'COMPLETED') {
      if (issues.length === 0) find('fulfillment', subject, 'COMPLETED but the provider issued nothing');
      else if (issues.length === 1 && big(issues[0].amount_minor) !== big(fulfillment.amount_minor)) {
        find('amount-differs', subject, `amount ${fulfillment.amount_minor}, the provider issued ${issues[0].amount_minor}`);
      }
      for (const n of cardNumbers) {
        const provider = balanceOf.get(n);
        if (!provider?.active) find('fulfillment', subject, `COMPLETED but card ****${n.slice(-4)} is not active`);
        else if (cardNumbers.length === 1 && big(provider.balance_minor) !== big(fulfillment.amount_minor)) {
          find('amount-differs', subject, `card balance ${provider.balance_minor}, the line's value ${fulfillment.amount_minor}`);
        }
      }
    } else if (issues.length > 0) {
      find('fulfillment', subject, `${fulfillment.status} but the provider issued ${issues.map((i) => i.amount_minor).join(', ')}`);
    }
  }

  // Refunds to a new card: SUCCEEDED = its card (the fulfillment of line refund:<id>, checked above: one card,
  // one issue, the value on it) COMPLETED with the refund's amount; no loaded card otherwise; the number and PIN
  // shown in full in exactly one answer, and they are the card's.
  const lineOf = new Map(fulfillments.map((f) => [`${f.order_id}/${f.line_id}`, f]));
  const newCardAnswers = new Map<string, Told[]>();
  for (const answer of orders.flatMap((o) => o.newCardAnswers ?? [])) if (answer.key) newCardAnswers.set(answer.key, [...(newCardAnswers.get(answer.key) ?? []), answer]);
  const newCardFacts = { refunds: 0, succeeded: 0, 'PIN shown once': 0, 'PIN not shown (answer lost)': 0 };
  for (const refund of refunds.filter((r) => r.to_new_card)) {
    newCardFacts.refunds += 1;
    const subject = `refund ${refund.id} to a new card (order ${refund.order_id})`;
    const card = lineOf.get(`${refund.order_id}/refund:${refund.id}`);
    if (refund.status === 'SUCCEEDED') {
      newCardFacts.succeeded += 1;
      if (card?.status !== 'COMPLETED') find('new-card-refund', subject, `SUCCEEDED but its card is ${card?.status ?? 'not there'}`);
      else if (big(card.amount_minor) !== big(refund.amount_minor)) find('new-card-refund', subject, `refunded ${refund.amount_minor}, its card was loaded with ${card.amount_minor}`);
      else if (card.card_last4 !== refund.card_last4) find('new-card-refund', subject, `the refund names card ****${refund.card_last4}, its fulfillment ****${card.card_last4}`);
    } else if (card?.status === 'COMPLETED') {
      find('new-card-refund', subject, `${refund.status} (${refund.failure_reason ?? ''}) but its card was loaded`);
    }
    const answers = refund.idempotency_key ? (newCardAnswers.get(clientKey(refund.idempotency_key)) ?? []) : [];
    const shown = answers.filter((a) => a.status === 201 && a.body?.newCard?.pin);
    if (shown.length > 1) find('new-card-refund', subject, `the PIN was shown in ${shown.length} answers`);
    if (refund.status === 'SUCCEEDED' && shown.length === 0) {
      // An answer lost after its commit (the adapter SIGKILLed mid-reply, the client gave up) cannot be shown again.
      if (answers.some((a) => a.gaveUp || a.status !== 201)) newCardFacts['PIN not shown (answer lost)'] += 1;
      else find('new-card-refund', subject, `SUCCEEDED and answered ${answers.map((a) => a.status).join(', ')}, but no answer showed the PIN`);
    }
    for (const answer of shown) {
      newCardFacts['PIN shown once'] += 1;
      const number = answer.body.newCard.cardNumber as string;
      const provider = balanceOf.get(number);
      if (!card || !(allocationsOf.get(card.id) ?? []).includes(number)) find('new-card-refund', subject, `told card ****${number.slice(-4)}, which the provider did not allocate for it`);
      else if (provider?.pin !== answer.body.newCard.pin) find('new-card-refund', subject, `told a PIN that is not card ****${number.slice(-4)}'s`);
    }
  }

  // Aged holds (re-authorized, expired, lapsed at the provider first): what became of each chain (counted), and
  // none ends with an OPEN link past its expiry.
  const agingFacts: Record<string, number> = {};
  for (const order of orders.filter((o) => o.aging && o.authorizationId)) {
    const root = authorizationById.get(order.authorizationId!)?.root_id;
    const links = authorizations.filter((a) => a.root_id === root);
    const outcome = links.some((l) => l.closed_reason === 'REAUTHORIZED') ? 'reauthorized' : links.some((l) => l.closed_reason === 'EXPIRED') ? 'expired' : links.some((l) => l.state === 'OPEN') ? 'still open' : 'closed otherwise';
    agingFacts[`${order.aging} -> ${outcome}`] = (agingFacts[`${order.aging} -> ${outcome}`] ?? 0) + 1;
    for (const run of order.expiryRuns ?? []) if (run.gaveUp || run.status !== 200) find('expiry', `order ${order.orderId}`, `POST /v1/expiry-runs answered ${run.status} ${run.lastError ?? ''}`);
  }
  for (const a of authorizations.filter((a) => a.state === 'OPEN' && a.expires_at && new Date(a.expires_at).getTime() < Date.now() - 60000)) {
    find('expiry', `authorization ${a.id}`, `OPEN past its expiresAt ${new Date(a.expires_at).toISOString()}`);
  }

  // The notifications: every change announced at least once, none that did not happen.
  const webhooks = receiver ? await reconcileWebhooks(db, receiver) : undefined;
  for (const f of webhooks?.findings ?? []) find('webhook', f.subject, f.detail);

  // (3) What the clients were told, against the adapter's rows.
  const fulfillmentByLine = new Map(fulfillments.map((f) => [`${f.order_id}/${f.line_id}`, f]));
  const chainOpen = (rootId: string) => authorizations.some((a) => a.root_id === rootId && a.state === 'OPEN');
  for (const order of orders) {
    const hold = order.hold;
    if (hold && !hold.gaveUp && hold.status === 201) {
      const row = authorizationById.get(hold.body.authorizationId);
      if (!row) find('told-differs', `order ${order.orderId}`, `told authorization ${hold.body.authorizationId}, which does not exist`);
      else if (row.decision !== hold.body.status || big(row.approved_minor) !== minorOf(hold.body.approvedAmount)) {
        find('told-differs', `authorization ${row.id}`, `told ${hold.body.status} ${hold.body.approvedAmount}, the adapter has ${row.decision} ${row.approved_minor}`);
      }
    } else if (hold?.key && !hold.gaveUp && hold.status >= 400) {
      const row = authorizationByKey.get(hold.key);
      if (row && row.state === 'OPEN') find('told-differs', `authorization ${row.id}`, `told ${hold.status} ${hold.body?.error?.code}, but it is OPEN`);
    }
    for (const s of order.settlements) {
      const told = s.told;
      if (told.gaveUp) continue;
      const row = told.key ? settlementByKey.get(told.key) : undefined;
      if (told.status === 201) {
        if (!row || row.status !== 'SETTLED' || big(row.settled_minor) !== minorOf(told.body.settledAmount)) {
          find('told-differs', `order ${order.orderId}`, `told settlement ${told.body.settlementId} SETTLED ${told.body.settledAmount}, the adapter has ${row ? `${row.status} ${row.settled_minor}` : 'nothing'}`);
        }
      } else if (told.status === 202) {
        if (!row || row.id !== told.body.settlementId) find('told-differs', `order ${order.orderId}`, `told batch settlement ${told.body.settlementId} OPEN, the adapter has ${row?.id ?? 'nothing'}`);
      } else if (row?.status === 'SETTLED') {
        find('told-differs', `settlement ${row.id}`, `told ${told.status} ${told.body?.error?.code}, but it is SETTLED`);
      }
    }
    const reversal = order.reversal;
    if (reversal && !reversal.gaveUp && reversal.status === 200 && order.authorizationId) {
      const root = authorizationById.get(order.authorizationId)?.root_id;
      if (root && chainOpen(root)) find('told-differs', `order ${order.orderId}`, 'told the authorization was reversed, but its chain still has an OPEN hold');
      const pending = settlements.filter((s) => s.root_authorization_id === root && s.status !== 'SETTLED' && s.status !== 'FAILED');
      if (pending.length > 0) find('told-differs', `order ${order.orderId}`, `reversed, but ${pending.length} settlement(s) still ${pending[0].status}`);
    }
    for (const r of order.refunds) {
      if (r.told.gaveUp || !r.told.key) continue;
      const row = refundByKey.get(r.told.key);
      if (r.told.status === 201 && (row?.status !== 'SUCCEEDED' || big(row.amount_minor) !== r.amountMinor)) {
        find('told-differs', `order ${order.orderId}`, `told refund ${r.told.body?.refundId} SUCCEEDED, the adapter has ${row?.status ?? 'nothing'}`);
      } else if (r.told.status !== 201 && row?.status === 'SUCCEEDED') {
        find('told-differs', `refund ${row.id}`, `told ${r.told.status} ${r.told.body?.error?.code}, but it SUCCEEDED`);
      }
    }
    for (const f of order.fulfillments) {
      if (f.told.gaveUp || f.told.status !== 201) continue;
      const row = fulfillmentByLine.get(`${order.orderId}/${f.lineId}`);
      if (row?.status !== 'COMPLETED' || row.id !== f.told.body.fulfillmentId) {
        find('told-differs', `order ${order.orderId} line ${f.lineId}`, `told COMPLETED, the adapter has ${row?.status ?? 'nothing'}`);
        continue;
      }
      const told = f.told.body.cardNumber as string;
      if (!f.told.body.cardNumberMasked && !(allocationsOf.get(row.id) ?? []).includes(told)) {
        find('told-differs', `fulfillment ${row.id}`, `told card ****${told.slice(-4)}, which the provider did not allocate for this line`);
      }
    }
    for (const [a, b] of order.duplicates) {
      if (a.gaveUp || b.gaveUp) continue;
      if (a.status !== b.status || resourceId(a) !== resourceId(b)) {
        find('told-differs', `order ${order.orderId}`, `one ${a.operation} sent twice with one key was answered ${a.status} ${resourceId(a)} and ${b.status} ${resourceId(b)}`);
      }
    }
  }

  // The adapter's unknown outcomes, all resolved after the drain.
  for (const call of calls.filter((c) => c.outcome === 'PENDING' || c.outcome === 'UNKNOWN')) {
    find('not-drained', `provider call ${call.id}`, `${call.operation} still ${call.outcome}`);
  }

  // The provider's own invariants.
  const check = await admin.ledgerCheck();
  for (const problem of check.problems as Array<Record<string, string>>) {
    find('ledger-check', problem.cardNumber ? `card ${problem.cardNumber}` : (problem.holdId ?? problem.transactionId ?? 'ledger'), `${problem.problem}: ${problem.detail}`);
  }

  const told = orders.flatMap((o) => [o.balance, o.hold, ...o.settlements.map((s) => s.told), o.reversal, ...o.refunds.map((r) => r.told), ...o.fulfillments.map((f) => f.told), ...o.reads, ...(o.expiryRuns ?? [])]).filter(
    (t): t is Told => t !== undefined,
  );
  return {
    findings,
    facts: {
      provider: {
        cards: cards.length,
        'initial value': fmt(totals.initial),
        redeemed: fmt(totals.redeemed),
        'issued back (refunds)': fmt(totals.returnIssued),
        'hold releases': totals.released,
        'open holds': totals.openHolds,
        'still held': fmt(totals.openHeld),
        'cards allocated': allocatedCards.length,
        'ledger check': check.ok ? 'ok' : `${check.problems.length} problems`,
      },
      adapter: {
        ...prefixed('authorizations', count(authorizations, (a) => `${a.state}${a.closed_reason ? `/${a.closed_reason}` : ''}`)),
        ...prefixed('settlements', count(settlements, (s) => `${s.mode}/${s.status}${s.failure_reason ? `/${s.failure_reason}` : ''}`)),
        ...prefixed('refunds', count(refunds, (r) => `${r.status}${r.failure_reason ? `/${r.failure_reason}` : ''}`)),
        ...prefixed('fulfillments', count(fulfillments, (f) => f.status)),
        ...prefixed('provider calls', count(calls, (c) => c.outcome)),
        'settled total': fmt(sum(settlements.filter((s) => s.status === 'SETTLED').map((s) => big(s.settled_minor)))),
        'refunded total': fmt(sum(refunds.filter((r) => r.status === 'SUCCEEDED').map((r) => big(r.amount_minor)))),
      },
      reconciliation: job
        ? {
            status: job.status,
            'cards checked': job.cardsChecked,
            'cards skipped': job.cardsSkipped,
            'orphan holds released': job.holdsReleased,
            'late entries voided': job.voidedEntries?.length ?? 0,
            'differences listed': job.differences.length,
          }
        : { status: 'not run' },
      'refunds to new cards': newCardFacts,
      'aged holds': agingFacts,
      webhooks: webhooks ? { ...webhooks.counts, ...prefixed('received', webhooks.byType), ...prefixed('receiver', { ...receiver!.stats }) } : { enabled: 'no' },
      told: count(told, (t) => `${t.operation} ${t.gaveUp ? 'gave up' : t.status}${t.status >= 400 && !t.gaveUp ? ` ${t.body?.error?.code ?? ''}` : ''}`.trim()),
    },
  };
}

function resourceId(told: Told): string {
  const body = told.body ?? {};
  return String(body.authorizationId ?? body.settlementId ?? body.refundId ?? body.fulfillmentId ?? body.error?.code ?? '');
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort().map(([k, v]) => [`${prefix} ${k}`, v]));
}

const fmt = (minor: bigint) => `${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`;
