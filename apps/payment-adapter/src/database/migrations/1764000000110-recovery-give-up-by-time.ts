import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The recovery sweep gives up on a call after a window of time (RECOVERY_GIVE_UP_AFTER_SECONDS), not after a
 * number of checks that OMS retries spend too, and keeps checking a given-up call now and then. `given_up_at`
 * marks it for operators; calls given up before this migration are marked and checked again.
 */
export class RecoveryGiveUpByTime1764000000110 implements MigrationInterface {
  name = 'RecoveryGiveUpByTime1764000000110';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_call ADD COLUMN given_up_at timestamptz NULL`);
    await q.query(
      `UPDATE provider_call SET given_up_at = coalesce(completed_at, created_at), next_check_at = now()
        WHERE outcome IN ('PENDING', 'UNKNOWN') AND next_check_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE provider_call SET next_check_at = NULL WHERE given_up_at IS NOT NULL AND outcome IN ('PENDING', 'UNKNOWN')`);
    await q.query(`ALTER TABLE provider_call DROP COLUMN given_up_at`);
  }
}
