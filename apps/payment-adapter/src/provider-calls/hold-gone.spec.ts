import { endedHold, endedHoldSql, holdNotGoneSql } from './hold-gone';
import { ProviderCallOutcome } from './provider-call.entity';

describe('when a call says a provider hold is gone', () => {
  it('is gone once a release or redeem of it succeeded or was found applied', () => {
    expect(endedHold({ outcome: 'SUCCEEDED', errorKind: null })).toBe(true);
    expect(endedHold({ outcome: 'APPLIED', errorKind: null })).toBe(true);
  });

  it('is gone when the provider declined the call because the hold was no longer there', () => {
    expect(endedHold({ outcome: 'DECLINED', errorKind: 'DECLINED:HOLD_NOT_AVAILABLE' })).toBe(true);
  });

  it('may still be held after any other outcome, a lost answer included', () => {
    const open: Array<[ProviderCallOutcome, string | null]> = [
      ['PENDING', null],
      ['UNKNOWN', 'OUTCOME_UNKNOWN'],
      ['NOT_APPLIED', 'OUTCOME_UNKNOWN'],
      ['FAILED', 'UNAVAILABLE'],
      ['DECLINED', 'DECLINED:INSUFFICIENT_FUNDS'],
    ];
    for (const [outcome, errorKind] of open) expect(endedHold({ outcome, errorKind })).toBe(false);
  });

  it('is the same rule in SQL, over the alias it is given', () => {
    expect(endedHoldSql('r')).toBe(`(r.outcome IN ('SUCCEEDED', 'APPLIED') OR r.error_kind = 'DECLINED:HOLD_NOT_AVAILABLE')`);
    expect(holdNotGoneSql('h.provider_transaction_id')).toContain(endedHoldSql('u'));
  });

  it('counts a redeem only for the authorization named, and a release of anyone', () => {
    const sql = holdNotGoneSql('$1', { redeemsOf: '$2' });
    expect(sql).toContain(`r.operation = 'RELEASE_HOLD'`);
    expect(sql).toContain(`u.authorization_id = $2`);
    expect(sql).not.toMatch(/r\.authorization_id/);
  });
});
