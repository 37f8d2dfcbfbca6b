import { ClutchErrorMessages } from '@gcpa/clutch';
import fc from 'fast-check';
import { ClutchError } from '../protocol/clutch-error';
import { amountToTake, cardFigures, checkPin } from './ledger-rules';
import { newCardNumber, newPin } from './card-numbers';

const messageOf = (work: () => unknown): string => {
  try {
    work();
  } catch (error) {
    return (error as ClutchError).errorMessage;
  }
  return 'no refusal';
};

describe('ledger rules', () => {
  it('available is the balance less the open holds', () => {
    expect(cardFigures({ balanceMinor: 1000n }, [{ amountMinor: 300n }, { amountMinor: 200n }])).toEqual({
      balance: 1000n,
      held: 500n,
      available: 500n,
    });
  });

  it('takes all, what is available with redeemMaxOnOverdraw, or refuses; never more than available', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.boolean(), (available, requested, max) => {
        let taken: bigint | undefined;
        try {
          taken = amountToTake(available, requested, max);
        } catch (error) {
          expect((error as ClutchError).errorMessage).toBe(ClutchErrorMessages.insufficientFunds);
          expect(available < requested && (!max || available === 0n)).toBe(true);
          return;
        }
        expect(taken).toBeGreaterThan(0n);
        expect(taken <= available && taken <= requested).toBe(true);
        expect(taken).toBe(available >= requested ? requested : available);
      }),
    );
  });

  it('checks the PIN only when asked, and only for cards that have one', () => {
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: true, pin: '0000' }))).toBe(ClutchErrorMessages.invalidPin);
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: true }))).toBe(ClutchErrorMessages.invalidPin);
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: true, pin: '1234' }))).toBe('no refusal');
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: false, pin: '0000' }))).toBe('no refusal');
    expect(messageOf(() => checkPin({ pin: null }, { forcePinValidation: true, pin: '0000' }))).toBe('no refusal');
  });

  it('makes 16-digit card numbers starting with 6 and 4-digit PINs', () => {
    for (let i = 0; i < 200; i++) {
      expect(newCardNumber()).toMatch(/^6\d{15}$/);
      expect(newPin()).toMatch(/^\d{4}$/);
    }
  });
});
