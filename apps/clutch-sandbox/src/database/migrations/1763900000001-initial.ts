import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1763900000001 implements MigrationInterface {
  name = 'Initial1763900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE card_set (id text PRIMARY KEY, has_pin boolean NOT NULL DEFAULT true)`);
    await queryRunner.query(`INSERT INTO card_set (id, has_pin) VALUES ('egift', true)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE card_set`);
  }
}
