import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The payments schema. Money is bigint minor units; card numbers appear only encrypted (`card_encrypted`)
 * with a keyed hash (`card_hash`) for look-ups and the last four digits for display.
 */
export class Payments1763900000000 implements MigrationInterface {
  name = 'Payments1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE idempotency_key (
      key text PRIMARY KEY,
      fingerprint text NOT NULL,
      status text NOT NULL CHECK (status IN ('IN_PROGRESS', 'COMPLETED')),
      locked_until timestamptz,
      response_status integer,
      response_body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    )`);

    await q.query(`CREATE TABLE authorization_hold (
      id uuid PRIMARY KEY,
      order_id text NOT NULL,
      root_id uuid NOT NULL,
      previous_id uuid REFERENCES authorization_hold(id),
      next_id uuid REFERENCES authorization_hold(id),
      idempotency_key text UNIQUE,
      card_hash text NOT NULL,
      card_encrypted text NOT NULL,
      card_last4 text NOT NULL,
      currency char(3) NOT NULL,
      requested_minor bigint NOT NULL CHECK (requested_minor >= 0),
      approved_minor bigint NOT NULL DEFAULT 0 CHECK (approved_minor >= 0),
      held_minor bigint NOT NULL DEFAULT 0 CHECK (held_minor >= 0),
      settled_minor bigint NOT NULL DEFAULT 0 CHECK (settled_minor >= 0),
      allow_partial boolean NOT NULL,
      state text NOT NULL CHECK (state IN ('PENDING', 'OPEN', 'CLOSED', 'FAILED')),
      decision text CHECK (decision IN ('APPROVED', 'PARTIALLY_APPROVED', 'DECLINED')),
      decline_reason text,
      closed_reason text CHECK (closed_reason IN ('SETTLED', 'REVERSED', 'SUPERSEDED', 'EXPIRED', 'DECLINED')),
      provider_hold_id text,
      expires_at timestamptz,
      lock_owner uuid,
      lock_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (held_minor <= approved_minor)
    )`);
    await q.query(`CREATE INDEX authorization_hold_order ON authorization_hold (order_id)`);
    await q.query(`CREATE INDEX authorization_hold_root ON authorization_hold (root_id)`);

    await q.query(`CREATE TABLE settlement (
      id uuid PRIMARY KEY,
      order_id text NOT NULL,
      authorization_id uuid NOT NULL REFERENCES authorization_hold(id),
      root_authorization_id uuid NOT NULL REFERENCES authorization_hold(id),
      served_authorization_id uuid REFERENCES authorization_hold(id),
      advanced_authorization_id uuid REFERENCES authorization_hold(id),
      idempotency_key text UNIQUE,
      invoice_id text NOT NULL,
      currency char(3) NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      settled_minor bigint NOT NULL DEFAULT 0 CHECK (settled_minor >= 0),
      final boolean NOT NULL,
      mode text NOT NULL CHECK (mode IN ('sync', 'batch')),
      status text NOT NULL CHECK (status IN ('OPEN', 'PROCESSING', 'SETTLED', 'FAILED')),
      failure_reason text,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      lease_owner uuid,
      lease_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX settlement_root ON settlement (root_authorization_id, created_at)`);
    await q.query(`CREATE INDEX settlement_due ON settlement (next_attempt_at) WHERE status = 'OPEN'`);
    await q.query(`CREATE INDEX settlement_order ON settlement (order_id)`);

    await q.query(`CREATE TABLE refund (
      id uuid PRIMARY KEY,
      order_id text NOT NULL,
      settlement_id uuid REFERENCES settlement(id),
      idempotency_key text UNIQUE,
      card_hash text NOT NULL,
      card_encrypted text NOT NULL,
      card_last4 text NOT NULL,
      currency char(3) NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
      failure_reason text,
      provider_transaction_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX refund_order ON refund (order_id)`);

    // Every provider call, recorded before it is made (the intent) and completed after. Its id is the
    // reference sent to the provider, so a call whose answer was lost can be looked up there.
    await q.query(`CREATE TABLE provider_call (
      id uuid PRIMARY KEY,
      operation text NOT NULL,
      order_id text,
      authorization_id uuid,
      settlement_id uuid,
      refund_id uuid,
      fulfillment_id uuid,
      card_hash text,
      card_encrypted text,
      currency char(3),
      amount_minor bigint,
      provider_hold_id text,
      outcome text NOT NULL CHECK (outcome IN ('PENDING', 'SUCCEEDED', 'DECLINED', 'FAILED', 'UNKNOWN', 'APPLIED', 'NOT_APPLIED')),
      provider_transaction_id text,
      result_minor bigint,
      provider_message text,
      error_kind text,
      check_attempts integer NOT NULL DEFAULT 0,
      next_check_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    )`);
    await q.query(`CREATE INDEX provider_call_unresolved ON provider_call (next_check_at) WHERE outcome IN ('PENDING', 'UNKNOWN')`);
    await q.query(`CREATE INDEX provider_call_authorization ON provider_call (authorization_id)`);

    // Append-only history of every state change: who asked, when, what the provider answered.
    await q.query(`CREATE TABLE payment_event (
      id bigserial PRIMARY KEY,
      order_id text NOT NULL,
      authorization_id uuid,
      settlement_id uuid,
      refund_id uuid,
      fulfillment_id uuid,
      type text NOT NULL,
      from_state text,
      to_state text,
      amount_minor bigint,
      currency char(3),
      actor text NOT NULL,
      provider_call_id uuid,
      provider_transaction_id text,
      provider_message text,
      detail jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX payment_event_order ON payment_event (order_id, id)`);
    await q.query(`CREATE FUNCTION payment_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'payment_event is append-only'; END $$`);
    await q.query(`CREATE TRIGGER payment_event_no_change BEFORE UPDATE OR DELETE ON payment_event
      FOR EACH ROW EXECUTE FUNCTION payment_event_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['payment_event', 'provider_call', 'refund', 'settlement', 'authorization_hold', 'idempotency_key']) {
      await q.query(`DROP TABLE ${table}`);
    }
    await q.query(`DROP FUNCTION payment_event_append_only()`);
  }
}
