import { ProviderCall } from './provider-call.entity';

/**
 * When a provider hold is gone: a release or a redeem of it ended (answered, or found by a look-up), or the
 * provider declined one because the hold was no longer there (already redeemed, released or lapsed). The chain
 * repair, the recovery sweep's claim and the reconciliation job all decide it this one way; the SQL and the
 * predicate below are the same rule, one for queries over `provider_call`, one for a call in hand.
 */

/** SQL: the call `alias` (a RELEASE_HOLD or REDEEM_FROM_HOLD of the hold) says the hold is gone. */
export function endedHoldSql(alias: string): string {
  return `(${alias}.outcome IN ('SUCCEEDED', 'APPLIED') OR ${alias}.error_kind = 'DECLINED:HOLD_NOT_AVAILABLE')`;
}

/**
 * SQL: no call says the provider hold `holdId` (an SQL expression) is gone; true while it may still be held.
 * With `redeemsOf` (an SQL expression naming the authorization the hold belongs to), a redeem counts only when it
 * was made for that authorization, which also lets the query find redeems by the authorization's index (releases
 * by the hold's).
 */
export function holdNotGoneSql(holdId: string, options: { redeemsOf?: string } = {}): string {
  if (options.redeemsOf === undefined) {
    return `NOT EXISTS (SELECT 1 FROM provider_call u WHERE u.operation IN ('RELEASE_HOLD', 'REDEEM_FROM_HOLD')
                         AND u.provider_hold_id = ${holdId} AND ${endedHoldSql('u')})`;
  }
  return `NOT EXISTS (SELECT 1 FROM provider_call r WHERE r.operation = 'RELEASE_HOLD'
                         AND r.provider_hold_id = ${holdId} AND ${endedHoldSql('r')})
          AND NOT EXISTS (SELECT 1 FROM provider_call u WHERE u.authorization_id = ${options.redeemsOf}
                         AND u.operation = 'REDEEM_FROM_HOLD' AND u.provider_hold_id = ${holdId} AND ${endedHoldSql('u')})`;
}

/** The call in hand (a release or redeem of a hold, as recorded) says the hold is gone: `endedHoldSql` of one row. */
export function endedHold(call: Pick<ProviderCall, 'outcome' | 'errorKind'>): boolean {
  return call.outcome === 'SUCCEEDED' || call.outcome === 'APPLIED' || call.errorKind === 'DECLINED:HOLD_NOT_AVAILABLE';
}
