import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds across cards: a refund naming only its order is one `refund_allocation` (the request: its key, amount and
 * currency) split into parts, each an ordinary `refund` row to one settled card (`allocation_id`, `part_index`), so
 * every part is issued, resolved and counted toward the ceilings as any refund is. The allocation itself counts
 * nowhere: its parts do.
 */
export class RefundAllocations1764000000800 implements MigrationInterface {
  name = 'RefundAllocations1764000000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE refund_allocation (
      id uuid PRIMARY KEY,
      order_id text NOT NULL,
      idempotency_key text NOT NULL UNIQUE,
      currency char(3) NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX refund_allocation_order ON refund_allocation (order_id)`);
    await q.query(`ALTER TABLE refund ADD COLUMN allocation_id uuid REFERENCES refund_allocation(id), ADD COLUMN part_index integer`);
    await q.query(`ALTER TABLE refund ADD CONSTRAINT refund_part_once UNIQUE (allocation_id, part_index)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refund DROP CONSTRAINT refund_part_once`);
    await q.query(`ALTER TABLE refund DROP COLUMN part_index, DROP COLUMN allocation_id`);
    await q.query(`DROP TABLE refund_allocation`);
  }
}
