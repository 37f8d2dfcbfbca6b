import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An operator's decision on an unresolved call is kept on the call and applied by the next look-up of it (the
 * request's, or the recovery sweep's), so the decision and what it means for the chain, refund or fulfillment
 * commit together: a completion that fails is retried by the sweep from the call's own queue, without a scan of
 * every answered call.
 */
export class OperatorDecision1764000000130 implements MigrationInterface {
  name = 'OperatorDecision1764000000130';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_call ADD COLUMN operator_decision jsonb NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_call DROP COLUMN operator_decision`);
  }
}
