import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refund to a new card: the refund's card is not known until the provider allocates it (the card columns may be null
 * until then; they are filled when the card is loaded), and it is made by a gift card fulfillment of the order whose
 * issue is return-related (`return_related`). `to_new_card` and `new_card_set_id` are what the refund asked for.
 */
export class RefundToNewCard1764000000801 implements MigrationInterface {
  name = 'RefundToNewCard1764000000801';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refund ALTER COLUMN card_hash DROP NOT NULL, ALTER COLUMN card_encrypted DROP NOT NULL, ALTER COLUMN card_last4 DROP NOT NULL`);
    await q.query(`ALTER TABLE refund ADD COLUMN to_new_card boolean NOT NULL DEFAULT false, ADD COLUMN new_card_set_id text`);
    await q.query(`ALTER TABLE refund ADD CONSTRAINT refund_card_known CHECK (to_new_card OR (card_hash IS NOT NULL AND card_encrypted IS NOT NULL AND card_last4 IS NOT NULL))`);
    await q.query(`ALTER TABLE gift_card_fulfillment ADD COLUMN return_related boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gift_card_fulfillment DROP COLUMN return_related`);
    await q.query(`ALTER TABLE refund DROP CONSTRAINT refund_card_known`);
    await q.query(`ALTER TABLE refund DROP COLUMN new_card_set_id, DROP COLUMN to_new_card`);
    await q.query(`ALTER TABLE refund ALTER COLUMN card_hash SET NOT NULL, ALTER COLUMN card_encrypted SET NOT NULL, ALTER COLUMN card_last4 SET NOT NULL`);
  }
}
