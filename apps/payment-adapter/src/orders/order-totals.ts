import { Authorization } from '../authorizations/authorization.entity';
import { Refund } from '../refunds/refund.entity';
import { Settlement } from '../settlements/settlement.entity';

export interface OrderTotalsMinor {
  authorized: bigint;
  settled: bigint;
  refunded: bigint;
  held: bigint;
}

type Parts = {
  authorizations: Array<Pick<Authorization, 'id' | 'rootId' | 'state' | 'currency' | 'approvedMinor' | 'heldMinor'>>;
  settlements: Array<Pick<Settlement, 'status' | 'currency' | 'settledMinor'>>;
  refunds: Array<Pick<Refund, 'status' | 'currency' | 'amountMinor'>>;
};

/**
 * The order's totals per currency. authorized: what the root authorizations approved (an advanced hold
 * re-holds money already counted, so only roots count); settled: SETTLED settlements; refunded: SUCCEEDED
 * refunds; held: what OPEN authorizations still hold.
 */
export function orderTotals({ authorizations, settlements, refunds }: Parts): Map<string, OrderTotalsMinor> {
  const totals = new Map<string, OrderTotalsMinor>();
  const of = (currency: string) => {
    let entry = totals.get(currency);
    if (!entry) totals.set(currency, (entry = { authorized: 0n, settled: 0n, refunded: 0n, held: 0n }));
    return entry;
  };
  for (const a of authorizations) {
    const entry = of(a.currency);
    if (a.id === a.rootId) entry.authorized += a.approvedMinor;
    if (a.state === 'OPEN') entry.held += a.heldMinor;
  }
  for (const s of settlements) if (s.status === 'SETTLED') of(s.currency).settled += s.settledMinor;
  for (const r of refunds) if (r.status === 'SUCCEEDED') of(r.currency).refunded += r.amountMinor;
  return totals;
}
