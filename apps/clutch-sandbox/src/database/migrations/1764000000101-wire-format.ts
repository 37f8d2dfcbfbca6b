import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the recorded Clutch traffic shows and the first ledger did not keep: Clutch's own `requestRef` and
 * our External ID on every history row, a card's activation date, and holds that lapse. Allocation is no
 * longer idempotent on customRequestId by design (nothing suggests Clutch is), so its unique index goes.
 */
export class WireFormat1764000000101 implements MigrationInterface {
  name = 'WireFormat1764000000101';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE ledger_transaction ADD COLUMN request_ref uuid NULL, ADD COLUMN external_transaction_id text NULL`);
    await queryRunner.query(`DROP INDEX ledger_transaction_allocate_request`);
    await queryRunner.query(`CREATE INDEX ledger_transaction_allocate_request ON ledger_transaction (custom_request_id) WHERE action = 'allocate'`);
    await queryRunner.query(`ALTER TABLE card ADD COLUMN activated_at timestamptz NULL`);
    await queryRunner.query(`UPDATE card SET activated_at = created_at WHERE active`);
    await queryRunner.query(`ALTER TABLE hold DROP CONSTRAINT hold_status_check`);
    await queryRunner.query(`ALTER TABLE hold ADD CONSTRAINT hold_status_check CHECK (status IN ('OPEN', 'REDEEMED', 'RELEASED', 'VOIDED', 'EXPIRED'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE hold DROP CONSTRAINT hold_status_check`);
    await queryRunner.query(`ALTER TABLE hold ADD CONSTRAINT hold_status_check CHECK (status IN ('OPEN', 'REDEEMED', 'RELEASED', 'VOIDED'))`);
    await queryRunner.query(`ALTER TABLE card DROP COLUMN activated_at`);
    await queryRunner.query(`DROP INDEX ledger_transaction_allocate_request`);
    await queryRunner.query(`ALTER TABLE ledger_transaction DROP COLUMN request_ref, DROP COLUMN external_transaction_id`);
  }
}
