import { orderTotals } from './order-totals';

describe('orderTotals', () => {
  const auth = (id: string, rootId: string, state: 'OPEN' | 'CLOSED', approved: bigint, held: bigint, currency = 'USD') => ({
    id,
    rootId,
    state,
    currency,
    approvedMinor: approved,
    heldMinor: held,
  });

  it('counts only root authorizations as authorized and only open ones as held', () => {
    const totals = orderTotals({
      authorizations: [
        auth('a', 'a', 'CLOSED', 6000n, 0n), // hold 60, superseded after settling 25
        auth('b', 'a', 'OPEN', 3500n, 3500n), // advanced hold of the remainder
        auth('c', 'c', 'CLOSED', 2000n, 0n), // another card, reversed
      ],
      settlements: [
        { status: 'SETTLED', currency: 'USD', settledMinor: 2500n },
        { status: 'FAILED', currency: 'USD', settledMinor: 0n },
        { status: 'OPEN', currency: 'USD', settledMinor: 0n },
      ],
      refunds: [
        { status: 'SUCCEEDED', currency: 'USD', amountMinor: 1000n },
        { status: 'PENDING', currency: 'USD', amountMinor: 500n },
        { status: 'FAILED', currency: 'USD', amountMinor: 700n },
      ],
    });
    expect(totals.get('USD')).toEqual({ authorized: 8000n, settled: 2500n, refunded: 1000n, held: 3500n });
  });

  it('keeps currencies apart', () => {
    const totals = orderTotals({
      authorizations: [auth('a', 'a', 'OPEN', 100n, 100n, 'USD'), auth('j', 'j', 'OPEN', 500n, 500n, 'JPY')],
      settlements: [],
      refunds: [],
    });
    expect(totals.get('JPY')).toEqual({ authorized: 500n, settled: 0n, refunded: 0n, held: 500n });
    expect(totals.get('USD')?.authorized).toBe(100n);
  });
});
