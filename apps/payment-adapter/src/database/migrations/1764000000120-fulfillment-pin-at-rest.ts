import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An electronic card's PIN, as the provider gave it at allocation, is kept encrypted until the first answer
 * that shows the completed card (then erased): a failure in a later step no longer loses it. Cards completed
 * before this migration count as shown.
 */
export class FulfillmentPinAtRest1764000000120 implements MigrationInterface {
  name = 'FulfillmentPinAtRest1764000000120';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gift_card_fulfillment ADD COLUMN pin_encrypted text NULL, ADD COLUMN revealed_at timestamptz NULL`);
    await q.query(`UPDATE gift_card_fulfillment SET revealed_at = coalesce(issued_at, updated_at) WHERE status = 'COMPLETED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gift_card_fulfillment DROP COLUMN pin_encrypted, DROP COLUMN revealed_at`);
  }
}
