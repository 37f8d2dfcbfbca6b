import fc from 'fast-check';
import { ClutchError } from './clutch-error';
import { CLUTCH_ERRORS } from '@gcpa/clutch';
import { parseAllocate, parseCardHistory, parseClutchAmount, parseSearch, parseUpdateBalance, parseVoid } from './requests';

const amount = (value: unknown, balanceCode: unknown = 'USD') => ({ balanceType: 'Currency', balanceCode, amount: value });

function refusal(work: () => unknown): ClutchError {
  try {
    work();
  } catch (error) {
    if (error instanceof ClutchError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseClutchAmount', () => {
  it('reads major-unit numbers into exact minor units', () => {
    expect(parseClutchAmount(amount(25.5))).toEqual({ minor: 2550n, currency: 'USD' });
    expect(parseClutchAmount(amount(0.1))).toEqual({ minor: 10n, currency: 'USD' });
    expect(parseClutchAmount(amount(19.99))).toEqual({ minor: 1999n, currency: 'USD' });
    expect(parseClutchAmount(amount(1000, 'JPY'))).toEqual({ minor: 1000n, currency: 'JPY' });
    expect(parseClutchAmount(amount(1.234, 'KWD'))).toEqual({ minor: 1234n, currency: 'KWD' });
    expect(parseClutchAmount(amount(0))).toEqual({ minor: 0n, currency: 'USD' });
  });

  it('round-trips every cent amount a client can send', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 13n }), (minor) => {
        const major = Number(`${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`);
        expect(parseClutchAmount(amount(major)).minor).toBe(minor);
      }),
    );
  });

  it.each([
    [amount(-1), /must not be negative/],
    [amount(1.001), /more than 2 decimals for USD/],
    [amount(0.5, 'JPY'), /more than 0 decimals for JPY/],
    [amount('1.00'), /amount.amount must be a number/],
    [amount(Number.NaN), /must be a number/],
    [amount(1, 'usd'), /unknown currency "usd"/],
    [amount(1, 'XYZ'), /unknown currency "XYZ"/],
    [amount(1, null), /unknown currency null/],
    [{ balanceType: 'Points', balanceCode: 'USD', amount: 1 }, /balanceType must be "Currency"/],
    [amount(1e17), /too large/],
    [undefined, /amount is required/],
    ['5.00', /amount must be a JSON object/],
  ])('refuses %j with 400', (value, message) => {
    const error = refusal(() => parseClutchAmount(value));
    expect(error.httpStatus).toBe(400);
    expect(error.refusal).toBe('invalidRequest');
    expect(error.errorMessage).toMatch(/^Invalid request: /);
    expect(error.errorMessage).toMatch(message);
  });
});

describe('parseUpdateBalance', () => {
  it('tells a redeem from a hold from a plain redeem', () => {
    expect(
      parseUpdateBalance({ cardNumber: '6000', action: 'redeem', amount: amount(0), redeemFromHoldTransactionId: 'h1', releaseHoldRemainder: true }),
    ).toMatchObject({ action: 'redeemFromHold', holdId: 'h1', releaseHoldRemainder: true, amount: { minor: 0n } });
    expect(parseUpdateBalance({ cardNumber: '6000', action: 'redeem', amount: amount(2), redeemMaxOnOverdraw: true })).toMatchObject({
      action: 'redeem',
      redeemMaxOnOverdraw: true,
      forcePinValidation: false,
    });
    expect(parseUpdateBalance({ cardNumber: '6000', action: 'issue', amount: amount(2), isReturnRelated: true })).toMatchObject({
      action: 'issue',
      isReturnRelated: true,
    });
  });

  it('refuses a zero amount except to release a hold', () => {
    for (const action of ['hold', 'redeem', 'issue']) {
      expect(refusal(() => parseUpdateBalance({ cardNumber: '6000', action, amount: amount(0) })).errorMessage).toMatch(/greater than 0/);
    }
  });

  it('refuses unknown actions and wrong types', () => {
    expect(refusal(() => parseUpdateBalance({ cardNumber: '6000', action: 'void', amount: amount(1) })).httpStatus).toBe(400);
    expect(refusal(() => parseUpdateBalance({ cardNumber: 6000, action: 'redeem', amount: amount(1) })).errorMessage).toMatch(/cardNumber must be a string/);
    expect(refusal(() => parseUpdateBalance(null)).errorMessage).toMatch(/body must be a JSON object/);
  });

  it('reads releaseHoldRemainder, the PIN check and issuedBalanceExpiration', () => {
    expect(parseUpdateBalance({ cardNumber: '6000', action: 'redeem', amount: amount(1), redeemFromHoldTransactionId: 'h1' })).toEqual({
      action: 'redeemFromHold',
      cardNumber: '6000',
      amount: { minor: 100n, currency: 'USD' },
      holdId: 'h1',
      releaseHoldRemainder: false,
      forcePinValidation: false,
      pin: undefined,
    });
    expect(parseUpdateBalance({ cardNumber: '6000', action: 'hold', amount: amount(3), forcePinValidation: true, pin: '1234' })).toEqual({
      action: 'hold',
      cardNumber: '6000',
      amount: { minor: 300n, currency: 'USD' },
      forcePinValidation: true,
      pin: '1234',
    });
    expect(parseUpdateBalance({ cardNumber: '6000', action: 'issue', amount: amount(1), issuedBalanceExpiration: '2030-01-31 12:00:00' })).toMatchObject({
      action: 'issue',
      isReturnRelated: false,
    });
    expect(refusal(() => parseUpdateBalance({ cardNumber: '6000', action: 'issue', amount: amount(1), issuedBalanceExpiration: '2030-01-31T12:00:00Z' })).errorMessage).toMatch(
      /yyyy-MM-dd HH:mm:ss/,
    );
    expect(refusal(() => parseUpdateBalance({ cardNumber: '6000', action: 'redeem', amount: amount(1), redeemFromHoldTransactionId: '' })).errorMessage).toMatch(
      /redeemFromHoldTransactionId must not be empty/,
    );
  });

  it('answers a missing card number with the recorded refusal (code 6), not an invalid request', () => {
    for (const cardNumber of [undefined, null, '']) {
      const error = refusal(() => parseUpdateBalance({ cardNumber, action: 'redeem', amount: amount(1) }));
      expect(error).toMatchObject({ httpStatus: 400, refusal: 'noCardNumber', errorMessage: CLUTCH_ERRORS.noCardNumber.message });
    }
  });
});

describe('parseSearch, parseAllocate, parseVoid and parseCardHistory', () => {
  it('reads the card, includeInactive and the PIN check', () => {
    expect(parseSearch({ filters: { cardNumber: '6001' }, includeInactive: true, forcePinValidation: true, pin: '1234' })).toEqual({
      cardNumber: '6001',
      includeInactive: true,
      forcePinValidation: true,
      pin: '1234',
    });
    expect(parseSearch({ filters: { cardNumber: '6001' }, returnFields: { balances: true } })).toEqual({
      cardNumber: '6001',
      includeInactive: false,
      forcePinValidation: false,
      pin: undefined,
    });
    for (const filters of [{}, { cardNumber: '' }]) {
      expect(refusal(() => parseSearch({ filters }))).toMatchObject({ refusal: 'noCardNumber', errorMessage: 'No card number was specified.' });
    }
    expect(refusal(() => parseSearch({})).errorMessage).toMatch(/filters must be a JSON object/);
    expect(refusal(() => parseSearch({ filters: { cardNumber: '6001' }, includeInactive: 'yes' })).errorMessage).toMatch(/includeInactive must be true or false/);
  });

  it('takes exactly one of cardSetId and cardNumber', () => {
    expect(parseAllocate({ cardSetId: 'egift' })).toEqual({ kind: 'fromCardSet', cardSetId: 'egift' });
    expect(parseAllocate({ cardNumber: '6001' })).toEqual({ kind: 'activate', cardNumber: '6001' });
    expect(refusal(() => parseAllocate({})).httpStatus).toBe(400);
    expect(refusal(() => parseAllocate({ cardSetId: 'egift', cardNumber: '6001' })).refusal).toBe('invalidRequest');
    expect(refusal(() => parseAllocate({ cardNumber: '' })).refusal).toBe('noCardNumber');
    expect(refusal(() => parseAllocate({ cardSetId: '' })).errorMessage).toMatch(/cardSetId must not be empty/);
  });

  it('reads the transactionId of voidTransaction', () => {
    expect(parseVoid({ transactionId: 't1' })).toEqual({ transactionId: 't1' });
    expect(refusal(() => parseVoid({})).errorMessage).toMatch(/transactionId is required/);
    expect(refusal(() => parseVoid({ transactionId: 7 })).errorMessage).toMatch(/transactionId must be a string/);
    expect(refusal(() => parseVoid('t1')).errorMessage).toMatch(/body must be a JSON object/);
  });

  it('reads cardHistory with its page (limit 100 and offset 0 by default)', () => {
    expect(parseCardHistory({ cardNumber: '6001' })).toEqual({ cardNumber: '6001', limit: 100, offset: 0 });
    expect(parseCardHistory({ cardNumber: '6001', limit: 5, offset: 10 })).toEqual({ cardNumber: '6001', limit: 5, offset: 10 });
    expect(refusal(() => parseCardHistory({})).refusal).toBe('noCardNumber');
    for (const page of [{ limit: -1 }, { limit: 1001 }, { limit: 2.5 }, { offset: '1' }]) {
      expect(refusal(() => parseCardHistory({ cardNumber: '6001', ...page })).errorMessage).toMatch(/must be an integer between 0 and/);
    }
  });
});
