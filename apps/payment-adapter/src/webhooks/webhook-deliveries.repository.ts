import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface WebhookDelivery {
  id: string;
  seq: string;
  paymentEventId: string | null;
  orderId: string;
  type: string;
  payload: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  retryUntil: Date;
  lastAttemptAt: Date | null;
  lastResponseStatus: number | null;
  lastResponseExcerpt: string | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDelivery {
  id: string;
  paymentEventId: string;
  orderId: string;
  type: string;
  payload: WebhookDelivery['payload'];
}

/** What one attempt came to: the receiver's answer (or none) and what the delivery becomes. */
export interface AttemptRecord {
  responseStatus: number | null;
  responseExcerpt: string | null;
  error: string | null;
  next: { status: 'DELIVERED' } | { status: 'FAILED' } | { status: 'PENDING'; nextAttemptAt: Date };
}

const COLUMNS = `id, seq, payment_event_id, order_id, type, payload, status, attempts, next_attempt_at, retry_until, last_attempt_at,
  last_response_status, last_response_excerpt, last_error, delivered_at, created_at, updated_at`;

/** Every statement on the outbox of notifications (`webhook_delivery`), written out. */
@Injectable()
export class WebhookDeliveries {
  constructor(private readonly dataSource: DataSource) {}

  /** In the caller's unit of work: the notification commits with the change it announces, or not at all. */
  async enqueue(manager: EntityManager, deliveries: NewDelivery[], retryForMs: number): Promise<void> {
    for (const d of deliveries) {
      await manager.query(
        `INSERT INTO webhook_delivery (id, payment_event_id, order_id, type, payload, retry_until)
         VALUES ($1, $2, $3, $4, $5::jsonb, now() + make_interval(secs => $6::double precision / 1000))`,
        [d.id, d.paymentEventId, d.orderId, d.type, JSON.stringify(d.payload), retryForMs],
      );
    }
  }

  /**
   * The card's last four digits for an event, from the row it is about (refund, fulfillment, authorization):
   * one statement, in the event's unit of work.
   */
  async cardLast4(manager: EntityManager, ids: { refundId?: string | null; fulfillmentId?: string | null; authorizationId?: string | null }): Promise<string | null> {
    const [row] = await manager.query(
      `SELECT coalesce(
         (SELECT card_last4 FROM refund WHERE id = $1::uuid),
         (SELECT card_last4 FROM gift_card_fulfillment WHERE id = $2::uuid),
         (SELECT card_last4 FROM authorization_hold WHERE id = $3::uuid)) AS last4`,
      [ids.refundId ?? null, ids.fulfillmentId ?? null, ids.authorizationId ?? null],
    );
    return row?.last4 ?? null;
  }

  /**
   * Claims due deliveries for `owner` until the lease runs out, under `FOR UPDATE SKIP LOCKED` so that senders
   * split the work. Only the first undelivered event of each order is due: a later one waits until every
   * earlier one is DELIVERED or FAILED (order per order id). A claim that died comes back after its lease.
   */
  async claim(owner: string, limit: number, leaseSeconds: number): Promise<WebhookDelivery[]> {
    const rows = returnedRows(
      await this.dataSource.query(
        `WITH due AS (
           SELECT d.id FROM webhook_delivery d
            WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
              AND (d.lease_until IS NULL OR d.lease_until < now())
              AND NOT EXISTS (SELECT 1 FROM webhook_delivery e
                               WHERE e.order_id = d.order_id AND e.status = 'PENDING' AND e.seq < d.seq)
            ORDER BY d.next_attempt_at, d.seq
            LIMIT $1
            FOR UPDATE SKIP LOCKED)
         UPDATE webhook_delivery w SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)
           FROM due WHERE w.id = due.id
         RETURNING ${COLUMNS.split(',').map((c) => `w.${c.trim()}`).join(', ')}`,
        [limit, owner, leaseSeconds],
      ),
    );
    return rows.map(toDelivery);
  }

  /** Records an attempt, only while the claim is still ours (a sender whose lease ran out writes nothing). */
  async recordAttempt(id: string, owner: string, attempt: AttemptRecord): Promise<boolean> {
    const next = attempt.next;
    const rows = returnedRows(
      await this.dataSource.query(
        `UPDATE webhook_delivery SET attempts = attempts + 1, last_attempt_at = now(), updated_at = now(),
                last_response_status = $3, last_response_excerpt = $4, last_error = $5, status = $6,
                next_attempt_at = coalesce($7::timestamptz, next_attempt_at),
                delivered_at = CASE WHEN $6 = 'DELIVERED' THEN now() ELSE delivered_at END,
                lease_owner = NULL, lease_until = NULL
          WHERE id = $1 AND lease_owner = $2 AND status = 'PENDING' RETURNING id`,
        [id, owner, attempt.responseStatus, attempt.responseExcerpt, attempt.error, next.status, next.status === 'PENDING' ? next.nextAttemptAt : null],
      ),
    );
    return rows.length > 0;
  }

  /**
   * A FAILED delivery queued again, due now, with a new retry window (`retryForMs`) and its attempts kept.
   * Anything else is left as it is: PENDING is on its way, DELIVERED was answered 2xx, so asking again (a
   * retry of the request) never sends twice. Null when there is no such delivery.
   */
  async requeue(id: string, retryForMs: number): Promise<WebhookDelivery | null> {
    await this.dataSource.query(
      `UPDATE webhook_delivery SET status = 'PENDING', next_attempt_at = now(), updated_at = now(),
              retry_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE id = $1 AND status = 'FAILED'`,
      [id, retryForMs],
    );
    return this.byId(id);
  }

  async byId(id: string): Promise<WebhookDelivery | null> {
    const [row] = await this.dataSource.query(`SELECT ${COLUMNS} FROM webhook_delivery WHERE id = $1`, [id]);
    return row ? toDelivery(row) : null;
  }

  /** A page of deliveries, oldest first (by queueing order), after the `cursor` delivery. */
  async list(status: DeliveryStatus | undefined, limit: number, cursor: string | undefined): Promise<WebhookDelivery[]> {
    const rows = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM webhook_delivery
        WHERE ($1::text IS NULL OR status = $1)
          AND ($2::uuid IS NULL OR seq > (SELECT c.seq FROM webhook_delivery c WHERE c.id = $2::uuid))
        ORDER BY seq LIMIT $3`,
      [status ?? null, cursor ?? null, limit],
    );
    return rows.map(toDelivery);
  }

  async counts(): Promise<Record<DeliveryStatus, number>> {
    const rows: Array<{ status: DeliveryStatus; n: number }> = await this.dataSource.query(
      `SELECT status, count(*)::int AS n FROM webhook_delivery WHERE status IN ('PENDING', 'FAILED') GROUP BY status`,
    );
    const counts: Record<DeliveryStatus, number> = { PENDING: 0, DELIVERED: 0, FAILED: 0 };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }
}

function toDelivery(r: Record<string, any>): WebhookDelivery {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    id: r.id,
    seq: String(r.seq),
    paymentEventId: r.payment_event_id === null ? null : String(r.payment_event_id),
    orderId: r.order_id,
    type: r.type,
    payload: bodyOf(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload),
    status: r.status,
    attempts: Number(r.attempts),
    nextAttemptAt: new Date(r.next_attempt_at),
    retryUntil: new Date(r.retry_until),
    lastAttemptAt: date(r.last_attempt_at),
    lastResponseStatus: r.last_response_status === null ? null : Number(r.last_response_status),
    lastResponseExcerpt: r.last_response_excerpt,
    lastError: r.last_error,
    deliveredAt: date(r.delivered_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** The body in the contract's order, `{id, type, createdAt, data}` (jsonb keeps keys in an order of its own). */
function bodyOf(p: WebhookDelivery['payload']): WebhookDelivery['payload'] {
  return { id: p.id, type: p.type, createdAt: p.createdAt, data: p.data };
}
