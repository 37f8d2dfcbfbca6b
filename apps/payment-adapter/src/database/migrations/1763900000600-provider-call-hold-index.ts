import { MigrationInterface, QueryRunner } from 'typeorm';

/** Finding the release of a given hold (recovery, resolveChain) by index instead of scanning every call. */
export class ProviderCallHoldIndex1763900000600 implements MigrationInterface {
  name = 'ProviderCallHoldIndex1763900000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX provider_call_hold ON provider_call (provider_hold_id) WHERE operation = 'RELEASE_HOLD'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX provider_call_hold`);
  }
}
