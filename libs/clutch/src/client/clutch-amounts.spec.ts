import { ProviderInvalidRequestError } from '@gcpa/gift-card-provider';
import fc from 'fast-check';
import { ClutchAmount } from '../protocol';
import { fromClutchNumber, summariseBalances, toClutchAmount } from './clutch-amounts';

describe('Clutch amounts', () => {
  it.each(['USD', 'JPY', 'KWD'])('every %s amount of up to 15 digits survives the JSON round trip exactly', (currency) => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }), (minor) => {
        const wire = JSON.parse(JSON.stringify(toClutchAmount({ minor, currency })));
        expect(wire.balanceCode).toBe(currency);
        expect(fromClutchNumber(wire.amount, currency)).toEqual({ minor, currency });
      }),
      { numRuns: 2000 },
    );
  });

  it.each(['USD', 'KWD'])('beyond 15 digits a %s amount is sent exactly or refused, never altered', (currency) => {
    fc.assert(
      fc.property(fc.bigInt({ min: 10n ** 15n, max: 2n ** 63n }), (minor) => {
        let wire: ClutchAmount;
        try {
          wire = JSON.parse(JSON.stringify(toClutchAmount({ minor, currency })));
        } catch (error) {
          expect(error).toBeInstanceOf(ProviderInvalidRequestError);
          return;
        }
        expect(fromClutchNumber(wire.amount, currency).minor).toBe(minor);
      }),
      { numRuns: 2000 },
    );
    expect(() => toClutchAmount({ minor: 8913919192961624n, currency: 'USD' })).toThrow(ProviderInvalidRequestError);
    expect(() => toClutchAmount({ minor: 2n ** 60n, currency: 'USD' })).toThrow(ProviderInvalidRequestError);
  });

  it('sums balances in minor units, never in floats', () => {
    // 0.1 + 0.2 in floats is 0.30000000000000004.
    const summary = summariseBalances(
      [
        { balanceType: 'Currency', balanceCode: 'USD', amount: 0.1 },
        { balanceType: 'Currency', balanceCode: 'USD', amount: 0.2 },
        { balanceType: 'Currency', balanceCode: 'USD', amount: 0.07, isHold: true },
        { balanceType: 'Currency', balanceCode: 'EUR', amount: 100 },
      ],
      'USD',
    );
    expect(summary).toEqual({ available: { minor: 30n, currency: 'USD' }, held: { minor: 7n, currency: 'USD' } });
  });

  it('a card only in other currencies is a CURRENCY_MISMATCH; no entries is zero', () => {
    expect(summariseBalances([{ balanceType: 'Currency', balanceCode: 'EUR', amount: 1 }], 'USD')).toEqual({ decline: 'CURRENCY_MISMATCH' });
    expect(summariseBalances([], 'KWD')).toEqual({ available: { minor: 0n, currency: 'KWD' }, held: { minor: 0n, currency: 'KWD' } });
  });
});
