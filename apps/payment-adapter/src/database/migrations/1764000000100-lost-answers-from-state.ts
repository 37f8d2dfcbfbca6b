import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lost answers are resolved from the card's state at the provider (Clutch's history cannot be searched by
 * our reference). For that, money-moving calls on one card are serialised across instances by a lease per
 * card; what a look-up could not decide is kept with its candidates for an operator; and the calls of a card
 * are found by index (they are what a look-up must not mistake for another's).
 */
export class LostAnswersFromState1764000000100 implements MigrationInterface {
  name = 'LostAnswersFromState1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE card_lease (
      card_hash text PRIMARY KEY,
      lease_owner text NOT NULL,
      lease_until timestamptz NOT NULL
    )`);
    await q.query(`ALTER TABLE provider_call ADD COLUMN candidates jsonb NULL, ADD COLUMN resolution_note text NULL`);
    await q.query(`CREATE INDEX provider_call_card ON provider_call (card_hash) WHERE card_hash IS NOT NULL`);
    await q.query(`CREATE INDEX authorization_hold_card ON authorization_hold (card_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX authorization_hold_card`);
    await q.query(`DROP INDEX provider_call_card`);
    await q.query(`ALTER TABLE provider_call DROP COLUMN candidates, DROP COLUMN resolution_note`);
    await q.query(`DROP TABLE card_lease`);
  }
}
