import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox ledger. A card's balance includes its held funds (available = balance - open holds), and
 * every movement of value is a `ledger_transaction` row, so the admin ledger check can recompute balances.
 */
export class Initial1763900000001 implements MigrationInterface {
  name = 'Initial1763900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE card_set (
        id text PRIMARY KEY,
        has_pin boolean NOT NULL DEFAULT true,
        currency char(3) NOT NULL DEFAULT 'USD'
      )`);
    await queryRunner.query(`INSERT INTO card_set (id, has_pin, currency) VALUES ('egift', true, 'USD')`);
    await queryRunner.query(`
      CREATE TABLE card (
        card_number text PRIMARY KEY,
        pin text NULL,
        card_set_id text NOT NULL REFERENCES card_set (id),
        active boolean NOT NULL,
        currency char(3) NOT NULL,
        balance_minor bigint NOT NULL CONSTRAINT card_balance_not_negative CHECK (balance_minor >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE ledger_transaction (
        seq bigserial UNIQUE,
        id uuid PRIMARY KEY,
        card_number text NOT NULL REFERENCES card (card_number),
        action text NOT NULL CHECK (action IN ('hold', 'redeem', 'issue', 'void', 'allocate', 'activate')),
        amount_minor bigint NOT NULL CONSTRAINT transaction_amount_not_negative CHECK (amount_minor >= 0),
        currency char(3) NOT NULL,
        custom_request_id text NULL,
        related_transaction_id uuid NULL REFERENCES ledger_transaction (id),
        is_return_related boolean NOT NULL DEFAULT false,
        closes_hold boolean NOT NULL DEFAULT false,
        voided boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX ledger_transaction_card ON ledger_transaction (card_number, seq)`);
    await queryRunner.query(`CREATE INDEX ledger_transaction_related ON ledger_transaction (related_transaction_id)`);
    // Allocation is idempotent on the caller's customRequestId: one allocation per id, even under a race.
    await queryRunner.query(
      `CREATE UNIQUE INDEX ledger_transaction_allocate_request ON ledger_transaction (custom_request_id) WHERE action = 'allocate' AND custom_request_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE hold (
        id uuid PRIMARY KEY REFERENCES ledger_transaction (id),
        card_number text NOT NULL REFERENCES card (card_number),
        original_amount_minor bigint NOT NULL CONSTRAINT hold_original_not_negative CHECK (original_amount_minor >= 0),
        amount_minor bigint NOT NULL CONSTRAINT hold_amount_not_negative CHECK (amount_minor >= 0),
        status text NOT NULL CHECK (status IN ('OPEN', 'REDEEMED', 'RELEASED', 'VOIDED')),
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz NULL,
        CONSTRAINT hold_remaining_within_original CHECK (amount_minor <= original_amount_minor)
      )`);
    await queryRunner.query(`CREATE INDEX hold_open_by_card ON hold (card_number) WHERE status = 'OPEN'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hold`);
    await queryRunner.query(`DROP TABLE ledger_transaction`);
    await queryRunner.query(`DROP TABLE card`);
    await queryRunner.query(`DROP TABLE card_set`);
  }
}
