import { MigrationInterface, QueryRunner } from 'typeorm';

/** The recovery sweep's look for links the expiry job closed before their hold's release ended: by a partial index. */
export class ClosedHoldsIndex1764000000910 implements MigrationInterface {
  name = 'ClosedHoldsIndex1764000000910';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX authorization_hold_closed_by_expiry ON authorization_hold (updated_at) WHERE closed_reason IN ('REAUTHORIZED', 'EXPIRED')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX authorization_hold_closed_by_expiry`);
  }
}
