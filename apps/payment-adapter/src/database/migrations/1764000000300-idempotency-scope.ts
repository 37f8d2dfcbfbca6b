import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys belong to the API key that used them (`scope`, the key's name), carry the lease owner that
 * fences complete/abandon, and are purged after their retention (`created_at` index). Keys stored before this
 * migration keep the empty scope: they are still found by nobody's scope but the purge still removes them.
 */
export class IdempotencyScope1764000000300 implements MigrationInterface {
  name = 'IdempotencyScope1764000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_key ADD COLUMN scope text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE idempotency_key ADD COLUMN lease_owner uuid`);
    await q.query(`ALTER TABLE idempotency_key DROP CONSTRAINT idempotency_key_pkey`);
    await q.query(`ALTER TABLE idempotency_key ADD PRIMARY KEY (scope, key)`);
    await q.query(`CREATE INDEX idempotency_key_created ON idempotency_key (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idempotency_key_created`);
    await q.query(`ALTER TABLE idempotency_key DROP CONSTRAINT idempotency_key_pkey`);
    await q.query(`DELETE FROM idempotency_key WHERE scope <> ''`);
    await q.query(`ALTER TABLE idempotency_key ADD PRIMARY KEY (key)`);
    await q.query(`ALTER TABLE idempotency_key DROP COLUMN lease_owner`);
    await q.query(`ALTER TABLE idempotency_key DROP COLUMN scope`);
  }
}
