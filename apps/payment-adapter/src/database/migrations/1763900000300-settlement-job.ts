import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The batch settlement job's claim query: due batch settlements that are OPEN, or PROCESSING and waiting for
 * an unknown outcome to be confirmed. The payments migration's `settlement_due` covers OPEN rows of every mode.
 */
export class SettlementJob1763900000300 implements MigrationInterface {
  name = 'SettlementJob1763900000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX settlement_batch_due ON settlement (next_attempt_at, created_at)
      WHERE mode = 'batch' AND status IN ('OPEN', 'PROCESSING')`);
    // GET /v1/settlements?status=FAILED pages through one status in creation order.
    await q.query(`CREATE INDEX settlement_status ON settlement (status, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX settlement_status`);
    await q.query(`DROP INDEX settlement_batch_due`);
  }
}
