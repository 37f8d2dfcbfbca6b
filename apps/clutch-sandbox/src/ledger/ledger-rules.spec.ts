import { CLUTCH_ERRORS } from '@gcpa/clutch';
import fc from 'fast-check';
import { ClutchError } from '../protocol/clutch-error';
import { amountToHold, amountToTake, cardFigures, checkActive, checkCurrency, checkPin, signedAmount } from './ledger-rules';
import { newCardNumber, newPin } from './card-numbers';

const messageOf = (work: () => unknown): string => {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ClutchError);
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
          expect((error as ClutchError).refusal).toBe('insufficientFunds');
          expect((error as ClutchError).errorMessage).toBe(CLUTCH_ERRORS.insufficientFunds.message);
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
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: true, pin: '0000' }))).toBe(CLUTCH_ERRORS.invalidPin.message);
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: true }))).toBe(CLUTCH_ERRORS.invalidPin.message);
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: true, pin: '1234' }))).toBe('no refusal');
    expect(messageOf(() => checkPin({ pin: '1234' }, { forcePinValidation: false, pin: '0000' }))).toBe('no refusal');
    expect(messageOf(() => checkPin({ pin: null }, { forcePinValidation: true, pin: '0000' }))).toBe('no refusal');
  });

  it('holds all that is asked, or refuses (refuse); holds what is available, if anything (holdShort)', () => {
    expect(amountToHold(1000n, 400n, 'refuse')).toBe(400n);
    expect(amountToHold(1000n, 1000n, 'refuse')).toBe(1000n);
    expect(messageOf(() => amountToHold(1000n, 1001n, 'refuse'))).toBe(CLUTCH_ERRORS.insufficientFunds.message);
    expect(amountToHold(1000n, 1001n, 'holdShort')).toBe(1000n);
    expect(amountToHold(250n, 400n, 'holdShort')).toBe(250n);
    expect(messageOf(() => amountToHold(0n, 1n, 'holdShort'))).toBe(CLUTCH_ERRORS.insufficientFunds.message);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (available, requested) => {
        const refuse = (() => {
          try {
            return amountToHold(available, requested, 'refuse');
          } catch {
            return null;
          }
        })();
        expect(refuse).toBe(available >= requested ? requested : null);
        const short = (() => {
          try {
            return amountToHold(available, requested, 'holdShort');
          } catch {
            return null;
          }
        })();
        expect(short).toBe(available === 0n ? null : available < requested ? available : requested);
      }),
    );
  });

  it('signs history amounts: redeem negative, issue positive, hold and release 0, a void the opposite of what it voided', () => {
    expect(signedAmount('issue', 500n)).toBe(500n);
    expect(signedAmount('redeem', 500n)).toBe(-500n);
    expect(signedAmount('redeem', 0n)).toBe(0n);
    expect(signedAmount('hold', 500n)).toBe(0n);
    expect(signedAmount('void', 500n, 'redeem')).toBe(500n);
    expect(signedAmount('void', 500n, 'issue')).toBe(-500n);
    expect(signedAmount('void', 500n, 'hold')).toBe(0n);
    expect(signedAmount('void', 500n)).toBe(0n);
    expect(signedAmount('allocate', 0n)).toBe(0n);
    expect(signedAmount('activate', 0n)).toBe(0n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.constantFrom('redeem', 'issue'), (amount, action) => {
        // A void undoes exactly what it voided.
        expect(signedAmount(action, amount) + signedAmount('void', amount, action)).toBe(0n);
      }),
    );
  });

  it('refuses an inactive card and another currency', () => {
    expect(messageOf(() => checkActive({ active: false }))).toBe(CLUTCH_ERRORS.cardInactive.message);
    expect(messageOf(() => checkActive({ active: true }))).toBe('no refusal');
    expect(messageOf(() => checkCurrency({ currency: 'USD' }, { minor: 1n, currency: 'EUR' }))).toBe(CLUTCH_ERRORS.currencyMismatch.message);
    expect(messageOf(() => checkCurrency({ currency: 'USD' }, { minor: 1n, currency: 'USD' }))).toBe('no refusal');
  });

  it('makes 16-digit card numbers starting with 6 and 4-digit PINs', () => {
    for (let i = 0; i < 200; i++) {
      expect(newCardNumber()).toMatch(/^6\d{15}$/);
      expect(newPin()).toMatch(/^\d{4}$/);
    }
  });
});
