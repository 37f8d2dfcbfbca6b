import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reconciliation job's runs and what each found: a card's holds and movements at the provider that the
 * adapter's records do not explain, and adapter holds the provider no longer shows. Cards are kept as their
 * look-up hash and last four digits, never the number.
 */
export class Reconciliation1764000000600 implements MigrationInterface {
  name = 'Reconciliation1764000000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_run (
        id uuid PRIMARY KEY,
        status text NOT NULL,
        trigger text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        cards_checked integer NOT NULL DEFAULT 0,
        cards_skipped integer NOT NULL DEFAULT 0,
        holds_released integer NOT NULL DEFAULT 0,
        differences integer NOT NULL DEFAULT 0,
        failure text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX reconciliation_run_started ON reconciliation_run (started_at DESC) WHERE status = 'COMPLETED'`);
    await q.query(`
      CREATE TABLE reconciliation_difference (
        id uuid PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES reconciliation_run (id) ON DELETE CASCADE,
        kind text NOT NULL,
        action text NOT NULL,
        card_hash text NOT NULL,
        card_last4 text NOT NULL,
        currency char(3) NOT NULL,
        amount_minor bigint NOT NULL,
        provider_reference text,
        provider_at timestamptz,
        provider_call_id uuid,
        release_call_id uuid,
        authorization_id uuid,
        refund_id uuid,
        order_id text,
        note text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX reconciliation_difference_run ON reconciliation_difference (run_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reconciliation_difference`);
    await q.query(`DROP TABLE reconciliation_run`);
  }
}
