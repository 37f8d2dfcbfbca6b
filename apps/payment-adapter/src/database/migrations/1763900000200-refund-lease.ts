import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds: a lease so that a client retry and the recovery sweep never issue the same refund twice, and an
 * index for the settled-amount ceiling (the sum of a settlement's refunds).
 */
export class RefundLease1763900000200 implements MigrationInterface {
  name = 'RefundLease1763900000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refund ADD COLUMN lock_owner uuid, ADD COLUMN lock_until timestamptz`);
    await q.query(`CREATE INDEX refund_settlement ON refund (settlement_id) WHERE settlement_id IS NOT NULL`);
    await q.query(`CREATE INDEX provider_call_refund ON provider_call (refund_id) WHERE refund_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX provider_call_refund`);
    await q.query(`DROP INDEX refund_settlement`);
    await q.query(`ALTER TABLE refund DROP COLUMN lock_until, DROP COLUMN lock_owner`);
  }
}
