import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refund ceilings: a refund is a `REFUND` (within what its order settled on gift cards) or a `CREDIT` (value
 * beyond that, issued only to a key with the `credits` scope). Refunds stored before are refunds. The index
 * serves the order's ceiling: the sum of its pending and succeeded refunds.
 */
export class RefundKind1764000000500 implements MigrationInterface {
  name = 'RefundKind1764000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refund ADD COLUMN kind text NOT NULL DEFAULT 'REFUND' CHECK (kind IN ('REFUND', 'CREDIT'))`);
    await q.query(`CREATE INDEX refund_order_counted ON refund (order_id, currency) WHERE status IN ('PENDING', 'SUCCEEDED')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX refund_order_counted`);
    await q.query(`ALTER TABLE refund DROP COLUMN kind`);
  }
}
