import { MigrationInterface, QueryRunner } from 'typeorm';

/** Wrong-PIN counters per card (by keyed hash), shared by every instance of the adapter. */
export class CardLockout1763900000500 implements MigrationInterface {
  name = 'CardLockout1763900000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE card_lockout (
      card_hash text PRIMARY KEY,
      failures integer NOT NULL,
      window_start timestamptz NOT NULL,
      locked_until timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE card_lockout`);
  }
}
