import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hold expiry and re-authorization (issue 17): a link may close REAUTHORIZED; the expiry job finds open links by
 * their expiry, and the new link of a re-authorization by the one it follows, through indexes; a claim column keeps
 * instances of the job apart.
 */
export class HoldExpiry1764000000900 implements MigrationInterface {
  name = 'HoldExpiry1764000000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE authorization_hold DROP CONSTRAINT authorization_hold_closed_reason_check`);
    await q.query(`ALTER TABLE authorization_hold ADD CONSTRAINT authorization_hold_closed_reason_check
      CHECK (closed_reason IN ('SETTLED', 'REVERSED', 'SUPERSEDED', 'EXPIRED', 'DECLINED', 'REAUTHORIZED'))`);
    await q.query(`ALTER TABLE authorization_hold ADD COLUMN expiry_claim_until timestamptz`);
    await q.query(`CREATE INDEX authorization_hold_expiry ON authorization_hold (expires_at) WHERE state = 'OPEN'`);
    await q.query(`CREATE INDEX authorization_hold_previous ON authorization_hold (previous_id) WHERE previous_id IS NOT NULL`);
    await q.query(`CREATE INDEX authorization_hold_unplaced ON authorization_hold (previous_id) WHERE state IN ('PENDING', 'FAILED')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX authorization_hold_unplaced`);
    await q.query(`DROP INDEX authorization_hold_previous`);
    await q.query(`DROP INDEX authorization_hold_expiry`);
    await q.query(`ALTER TABLE authorization_hold DROP COLUMN expiry_claim_until`);
    await q.query(`ALTER TABLE authorization_hold DROP CONSTRAINT authorization_hold_closed_reason_check`);
    await q.query(`ALTER TABLE authorization_hold ADD CONSTRAINT authorization_hold_closed_reason_check
      CHECK (closed_reason IN ('SETTLED', 'REVERSED', 'SUPERSEDED', 'EXPIRED', 'DECLINED'))`);
  }
}
