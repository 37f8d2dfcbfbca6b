import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of notifications to the OMS (issue 17): one row per event to deliver, written in the commit of
 * the change it announces (beside its payment_event). `seq` orders an order's events: the sender sends one
 * only after every earlier one of its order is DELIVERED or FAILED. A claim is a lease (`lease_until`): a
 * sender that dies mid-delivery leaves its rows to another after it.
 */
export class WebhookDeliveries1764000000700 implements MigrationInterface {
  name = 'WebhookDeliveries1764000000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_delivery (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        payment_event_id bigint UNIQUE REFERENCES payment_event (id),
        order_id text NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        retry_until timestamptz NOT NULL,
        lease_owner text,
        lease_until timestamptz,
        last_attempt_at timestamptz,
        last_response_status integer,
        last_response_excerpt text,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The sender's queue (what is due) and the order rule (is an earlier event of this order still pending?).
    await q.query(`CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX webhook_delivery_order_pending ON webhook_delivery (order_id, seq) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX webhook_delivery_status ON webhook_delivery (status, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery`);
  }
}
