import { Client } from 'pg';
import { endedHold, endedHoldSql, holdNotGoneSql } from '../../apps/payment-adapter/src/provider-calls/hold-gone';
import { ProviderCallOutcome } from '../../apps/payment-adapter/src/provider-calls/provider-call.entity';
import { adminDatabaseUrl } from '../harness/database';

/**
 * "A hold is gone" is written once in SQL (the chain repair's queries, the sweep's claim) and once in TypeScript
 * (the reconciliation job): PostgreSQL itself evaluates the SQL here, over the outcomes a call can end with, and
 * over a session's own provider_call table (a temporary table shadows nothing of any test database).
 */
describe('the hold-gone rule, evaluated by PostgreSQL', () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ connectionString: adminDatabaseUrl() });
    await client.connect();
    await client.query(`CREATE TEMP TABLE provider_call (operation text, provider_hold_id text, authorization_id text, outcome text, error_kind text)`);
  });
  afterAll(() => client?.end());

  const outcomes: ProviderCallOutcome[] = ['PENDING', 'SUCCEEDED', 'DECLINED', 'FAILED', 'UNKNOWN', 'APPLIED', 'NOT_APPLIED'];
  const errorKinds = [null, 'DECLINED:HOLD_NOT_AVAILABLE', 'DECLINED:INSUFFICIENT_FUNDS', 'OUTCOME_UNKNOWN', 'UNAVAILABLE'];

  it('decides every outcome and error kind as the TypeScript predicate does', async () => {
    for (const outcome of outcomes) {
      for (const errorKind of errorKinds) {
        const { rows } = await client.query(`SELECT coalesce(${endedHoldSql('c')}, false) AS gone FROM (VALUES ($1::text, $2::text)) AS c (outcome, error_kind)`, [outcome, errorKind]);
        expect({ outcome, errorKind, gone: rows[0].gone }).toEqual({ outcome, errorKind, gone: endedHold({ outcome, errorKind }) });
      }
    }
  });

  it('finds the release or redeem that ended a hold, and a redeem only by the authorization named', async () => {
    const notGone = async (holdId: string, redeemsOf?: string) => {
      const sql = redeemsOf === undefined ? holdNotGoneSql('$1::text') : holdNotGoneSql('$1::text', { redeemsOf: '$2::text' });
      const { rows } = await client.query(`SELECT ${sql} AS held`, redeemsOf === undefined ? [holdId] : [holdId, redeemsOf]);
      return rows[0].held as boolean;
    };
    await client.query(`INSERT INTO provider_call VALUES
      ('RELEASE_HOLD', 'h-released', 'a', 'SUCCEEDED', NULL),
      ('RELEASE_HOLD', 'h-lost-release', 'a', 'UNKNOWN', 'OUTCOME_UNKNOWN'),
      ('REDEEM_FROM_HOLD', 'h-gone', 'a', 'DECLINED', 'DECLINED:HOLD_NOT_AVAILABLE'),
      ('REDEEM_FROM_HOLD', 'h-redeemed', 'a', 'APPLIED', NULL),
      ('HOLD', 'h-hold-only', 'a', 'SUCCEEDED', NULL)`);
    expect(await notGone('h-released')).toBe(false);
    expect(await notGone('h-released', 'b')).toBe(false);
    expect(await notGone('h-lost-release')).toBe(true);
    expect(await notGone('h-gone')).toBe(false);
    expect(await notGone('h-redeemed')).toBe(false);
    expect(await notGone('h-redeemed', 'a')).toBe(false);
    expect(await notGone('h-redeemed', 'b')).toBe(true);
    expect(await notGone('h-hold-only')).toBe(true);
    expect(await notGone('h-never-called', 'a')).toBe(true);
  });
});
