import { TestDatabase } from '../harness/database';
import { minorOf } from './orders';
import { ReceivedEvent, WebhookReceiver } from './webhook-receiver';

/**
 * The notifications against the adapter's rows (issue 17): every change the OMS is told about was announced
 * at least once, with the right ids and amount, and nothing was announced that did not happen (the row is not
 * in the state the event says). The receiver's view is what arrived (accepted, signature verified); the
 * adapter's outbox (`webhook_delivery`) is only read for what was not delivered in the end.
 */

export interface WebhookFinding {
  subject: string;
  detail: string;
}

export interface WebhookCounts {
  received: number;
  duplicates: number;
  missing: number;
  unexpected: number;
  badSignatures: number;
  wrong: number;
  undelivered: number;
  [key: string]: number;
}

type Row = Record<string, any>;

/** A change the OMS must hear of: the notification type, which id of `data` names it, the amount when it has one. */
interface Expected {
  type: string;
  idField: 'settlementId' | 'refundId' | 'fulfillmentId' | 'authorizationId' | 'transactionId';
  id: string;
  orderId: string;
  amountMinor?: bigint;
}

export async function reconcileWebhooks(db: TestDatabase, receiver: WebhookReceiver): Promise<{ findings: WebhookFinding[]; counts: WebhookCounts; byType: Record<string, number> }> {
  const findings: WebhookFinding[] = [];
  const find = (subject: string, detail: string) => findings.push({ subject, detail });
  const counts: WebhookCounts = { received: receiver.events.size, duplicates: receiver.duplicates, missing: 0, unexpected: 0, badSignatures: receiver.stats.badSignatures, wrong: 0, undelivered: 0 };
  for (const sample of receiver.badSignatureSamples) find('delivery', `signature did not verify: ${sample}`);

  const settlements = await db.query<Row>(`SELECT id, order_id, status, settled_minor::text FROM payment_adapter.settlement`);
  const refunds = await db.query<Row>(`SELECT id, order_id, status, amount_minor::text FROM payment_adapter.refund`);
  const fulfillments = await db.query<Row>(`SELECT id, order_id, status FROM payment_adapter.gift_card_fulfillment`);
  const authorizations = await db.query<Row>(`SELECT id, order_id, state, closed_reason FROM payment_adapter.authorization_hold`);
  // Changes that live only in the history: a re-hold that came back short or was declined, calls given up or resolved.
  const historyOnly = await db.query<Row>(
    `SELECT id::text, order_id, type, authorization_id, provider_call_id, amount_minor::text FROM payment_adapter.payment_event
      WHERE type IN ('AUTHORIZATION_EXPIRING', 'TRANSACTION_GIVEN_UP', 'TRANSACTION_RESOLVED', 'TRANSACTION_RESOLVED_BY_OPERATOR')`,
  );
  const callRows = await db.query<Row>(`SELECT id::text, order_id, outcome, given_up_at FROM payment_adapter.provider_call`);
  const calls = new Set(callRows.map((c) => c.id as string));
  const givenUp = new Map(callRows.filter((c) => c.given_up_at).map((c) => [c.id as string, c]));

  const expected: Expected[] = [];
  for (const s of settlements) {
    if (s.status === 'SETTLED') expected.push({ type: 'settlement.settled', idField: 'settlementId', id: s.id, orderId: s.order_id, amountMinor: BigInt(s.settled_minor) });
    if (s.status === 'FAILED') expected.push({ type: 'settlement.failed', idField: 'settlementId', id: s.id, orderId: s.order_id });
  }
  for (const r of refunds.filter((r) => r.status === 'SUCCEEDED')) {
    expected.push({ type: 'refund.succeeded', idField: 'refundId', id: r.id, orderId: r.order_id, amountMinor: BigInt(r.amount_minor) });
  }
  for (const f of fulfillments) {
    if (f.status === 'COMPLETED') expected.push({ type: 'fulfillment.completed', idField: 'fulfillmentId', id: f.id, orderId: f.order_id });
    if (f.status === 'FAILED') expected.push({ type: 'fulfillment.failed', idField: 'fulfillmentId', id: f.id, orderId: f.order_id });
  }
  for (const a of authorizations) {
    if (a.closed_reason === 'EXPIRED') expected.push({ type: 'authorization.expired', idField: 'authorizationId', id: a.id, orderId: a.order_id });
    if (a.closed_reason === 'REAUTHORIZED') expected.push({ type: 'authorization.reauthorized', idField: 'authorizationId', id: a.id, orderId: a.order_id });
  }
  for (const e of historyOnly.filter((e) => e.type === 'AUTHORIZATION_EXPIRING')) {
    expected.push({ type: 'authorization.expiring', idField: 'authorizationId', id: e.authorization_id, orderId: e.order_id, amountMinor: BigInt(e.amount_minor) });
  }
  // A call the recovery sweep gave up on (given_up_at) was announced unknown, and resolved once a look-up decided it.
  for (const c of givenUp.values()) {
    expected.push({ type: 'transaction.unknown', idField: 'transactionId', id: c.id, orderId: c.order_id });
    if (c.outcome !== 'UNKNOWN' && c.outcome !== 'PENDING') expected.push({ type: 'transaction.resolved', idField: 'transactionId', id: c.id, orderId: c.order_id });
  }
  for (const e of historyOnly.filter((e) => e.type === 'TRANSACTION_RESOLVED_BY_OPERATOR')) {
    expected.push({ type: 'transaction.resolved', idField: 'transactionId', id: e.provider_call_id, orderId: e.order_id });
  }

  // What arrived, by type and the id it names.
  const received = new Map<string, ReceivedEvent[]>();
  const keyOf = (type: string, id: unknown) => `${type}/${String(id)}`;
  const idFieldOf: Record<string, Expected['idField']> = {
    'settlement.settled': 'settlementId',
    'settlement.failed': 'settlementId',
    'refund.succeeded': 'refundId',
    'fulfillment.completed': 'fulfillmentId',
    'fulfillment.failed': 'fulfillmentId',
    'authorization.expired': 'authorizationId',
    'authorization.reauthorized': 'authorizationId',
    'authorization.expiring': 'authorizationId',
    'transaction.unknown': 'transactionId',
    'transaction.resolved': 'transactionId',
  };
  for (const event of receiver.events.values()) {
    const field = idFieldOf[event.type];
    if (!field) {
      counts.unexpected += 1;
      find(`event ${event.id}`, `type ${event.type} is not a notification of the contract`);
      continue;
    }
    const key = keyOf(event.type, event.data[field]);
    received.set(key, [...(received.get(key) ?? []), event]);
  }

  // Every change announced at least once, with its ids and amount.
  for (const e of expected) {
    const arrived = received.get(keyOf(e.type, e.id)) ?? [];
    if (arrived.length === 0) {
      counts.missing += 1;
      find(`${e.idField.replace('Id', '')} ${e.id} (order ${e.orderId})`, `${e.type} never arrived`);
      continue;
    }
    const right = arrived.filter((a) => a.data.orderId === e.orderId && (e.amountMinor === undefined || (a.data.amount != null && minorOf(a.data.amount) === e.amountMinor)));
    if (right.length === 0) {
      counts.wrong += 1;
      const a = arrived[0].data;
      find(`${e.idField.replace('Id', '')} ${e.id}`, `${e.type} arrived with order ${a.orderId} amount ${a.amount}; the adapter has order ${e.orderId} amount ${e.amountMinor ?? '-'}`);
    }
  }

  // Nothing announced that did not happen: the row is in the state the event says.
  const byId = (rows: Row[]) => new Map(rows.map((r) => [r.id as string, r]));
  const settlementById = byId(settlements);
  const refundById = byId(refunds);
  const fulfillmentById = byId(fulfillments);
  const authorizationById = byId(authorizations);
  const expiringOf = new Set(historyOnly.filter((e) => e.type === 'AUTHORIZATION_EXPIRING').map((e) => e.authorization_id as string));
  const happened = (event: ReceivedEvent): string | null => {
    const d = event.data;
    switch (event.type) {
      case 'settlement.settled':
        return settlementById.get(d.settlementId)?.status === 'SETTLED' ? null : `settlement is ${settlementById.get(d.settlementId)?.status ?? 'unknown'}`;
      case 'settlement.failed':
        return settlementById.get(d.settlementId)?.status === 'FAILED' ? null : `settlement is ${settlementById.get(d.settlementId)?.status ?? 'unknown'}`;
      case 'refund.succeeded':
        return refundById.get(d.refundId)?.status === 'SUCCEEDED' ? null : `refund is ${refundById.get(d.refundId)?.status ?? 'unknown'}`;
      case 'fulfillment.completed':
        return fulfillmentById.get(d.fulfillmentId)?.status === 'COMPLETED' ? null : `fulfillment is ${fulfillmentById.get(d.fulfillmentId)?.status ?? 'unknown'}`;
      case 'fulfillment.failed':
        return fulfillmentById.get(d.fulfillmentId)?.status === 'FAILED' ? null : `fulfillment is ${fulfillmentById.get(d.fulfillmentId)?.status ?? 'unknown'}`;
      case 'authorization.expired':
      case 'authorization.reauthorized': {
        const reason = event.type === 'authorization.expired' ? 'EXPIRED' : 'REAUTHORIZED';
        const a = authorizationById.get(d.authorizationId);
        return a?.closed_reason === reason ? null : `authorization is ${a ? `${a.state}/${a.closed_reason}` : 'unknown'}`;
      }
      case 'authorization.expiring':
        return authorizationById.has(d.authorizationId) && expiringOf.has(d.authorizationId) ? null : 'no short or declined re-hold of this authorization';
      case 'transaction.unknown':
        return givenUp.has(d.transactionId) ? null : calls.has(d.transactionId) ? 'the call was never given up' : 'no such provider call';
      default: {
        const call = callRows.find((c) => c.id === d.transactionId);
        if (!call) return 'no such provider call';
        return call.outcome === 'UNKNOWN' || call.outcome === 'PENDING' ? `the call is still ${call.outcome}` : null;
      }
    }
  };
  for (const event of receiver.events.values()) {
    if (!idFieldOf[event.type]) continue;
    const why = happened(event);
    if (why) {
      counts.unexpected += 1;
      find(`event ${event.id}`, `${event.type} for ${JSON.stringify({ orderId: event.data.orderId, id: event.data[idFieldOf[event.type]], amount: event.data.amount })}, but ${why}`);
    }
  }

  // The outbox's end: each delivery DELIVERED and received; none left PENDING or FAILED (after the redeliveries).
  const deliveries = await db.query<Row>(`SELECT id, type, order_id, status, attempts, last_error, last_response_status FROM payment_adapter.webhook_delivery`);
  for (const d of deliveries) {
    if (d.status !== 'DELIVERED') {
      counts.undelivered += 1;
      find(`delivery ${d.id} (${d.type}, order ${d.order_id})`, `${d.status} after ${d.attempts} attempts (${d.last_error ?? `HTTP ${d.last_response_status}`})`);
    } else if (!receiver.events.has(d.id)) {
      counts.undelivered += 1;
      find(`delivery ${d.id} (${d.type}, order ${d.order_id})`, 'DELIVERED, but the receiver never accepted it');
    }
  }
  counts.deliveries = deliveries.length;
  const byType: Record<string, number> = {};
  for (const e of receiver.events.values()) byType[e.type] = (byType[e.type] ?? 0) + 1;
  return { findings, counts, byType };
}
