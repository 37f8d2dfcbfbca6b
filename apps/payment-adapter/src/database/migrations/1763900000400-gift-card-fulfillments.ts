import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Gift card fulfillment (rule 6): one row per OMS order line, the steps it reached (allocated, activated,
 * issued) with their times and provider references. The card number is stored encrypted with a keyed hash
 * and its last four; the PIN never is.
 */
export class GiftCardFulfillments1763900000400 implements MigrationInterface {
  name = 'GiftCardFulfillments1763900000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE gift_card_fulfillment (
      id uuid PRIMARY KEY,
      order_id text NOT NULL,
      line_id text NOT NULL,
      idempotency_key text,
      kind text NOT NULL CHECK (kind IN ('ELECTRONIC', 'PHYSICAL')),
      card_set_id text,
      card_hash text,
      card_encrypted text,
      card_last4 text,
      currency char(3) NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      status text NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
      failure_reason text,
      failure_message text,
      allocated_at timestamptz,
      activated_at timestamptz,
      issued_at timestamptz,
      allocate_reference text,
      activate_reference text,
      issue_reference text,
      lock_owner uuid,
      lock_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT gift_card_fulfillment_one_per_line UNIQUE (order_id, line_id),
      CHECK (kind = 'PHYSICAL' OR card_set_id IS NOT NULL),
      CHECK (kind = 'ELECTRONIC' OR card_encrypted IS NOT NULL),
      CHECK (status <> 'COMPLETED' OR issued_at IS NOT NULL)
    )`);
    await q.query(`CREATE INDEX gift_card_fulfillment_unfinished ON gift_card_fulfillment (updated_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX provider_call_fulfillment ON provider_call (fulfillment_id) WHERE fulfillment_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX provider_call_fulfillment`);
    await q.query(`DROP TABLE gift_card_fulfillment`);
  }
}
