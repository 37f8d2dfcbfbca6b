import { AmountFormatError, currencyScale, formatAmount, fromMajorNumber, isCurrency, parseAmount, toMajorNumber } from './index';

describe('currency scales', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
    ['BHD', 3],
    // ISO 4217 where the runtime's ICU data says otherwise (Node 20 gives these 0):
    ['HUF', 2],
    ['IDR', 2],
    ['PKR', 2],
    ['COP', 2],
    ['LBP', 2],
    ['IQD', 3],
    ['CLF', 4],
    ['UYW', 4],
    ['ISK', 0],
    ['KRW', 0],
    ['XCG', 2],
  ])('%s has %i decimals', (code, scale) => expect(currencyScale(code)).toBe(scale));

  it('refuses unknown codes and codes without a minor unit', () => {
    expect(() => currencyScale('XYZ')).toThrow(RangeError);
    expect(() => currencyScale('usd')).toThrow(RangeError);
    for (const code of ['XAU', 'XXX', 'XTS', 'XDR']) {
      expect(isCurrency(code)).toBe(false);
      expect(() => currencyScale(code)).toThrow(RangeError);
    }
  });

  it('parses amounts at the ISO scale', () => {
    expect(parseAmount('1500.50', 'HUF').minor).toBe(150050n);
    expect(parseAmount('1.250', 'IQD').minor).toBe(1250n);
    expect(() => parseAmount('1500', 'HUF')).toThrow(AmountFormatError);
    expect(() => parseAmount('1.25', 'IQD')).toThrow(AmountFormatError);
    expect(formatAmount({ minor: 1250n, currency: 'IQD' })).toBe('1.250');
  });
});

describe('parseAmount', () => {
  it.each([
    ['0.00', 'USD', 0n],
    ['0.01', 'USD', 1n],
    ['25.50', 'USD', 2550n],
    ['9999999999999.99', 'USD', 999999999999999n],
    ['0', 'JPY', 0n],
    ['1000', 'JPY', 1000n],
    ['1.234', 'KWD', 1234n],
    ['0.001', 'KWD', 1n],
  ])('%s %s -> %s minor', (text, currency, minor) => {
    expect(parseAmount(text, currency)).toEqual({ minor, currency });
  });

  it.each([
    ['25.5', 'USD'],
    ['25', 'USD'],
    ['25.500', 'USD'],
    ['-1.00', 'USD'],
    ['+1.00', 'USD'],
    ['1e3', 'USD'],
    [' 1.00', 'USD'],
    ['1.0', 'JPY'],
    ['1.23', 'KWD'],
    ['', 'USD'],
    ['10000000000000.00', 'USD'],
    ['999999999999999.99', 'USD'],
  ])('refuses %j for %s', (text, currency) => {
    expect(() => parseAmount(text, currency)).toThrow(AmountFormatError);
  });
});

describe('formatAmount', () => {
  it.each([
    [0n, 'USD', '0.00'],
    [1n, 'USD', '0.01'],
    [2550n, 'USD', '25.50'],
    [-5n, 'USD', '-0.05'],
    [1000n, 'JPY', '1000'],
    [1n, 'KWD', '0.001'],
    [99999999999999999n, 'USD', '999999999999999.99'],
  ])('%s %s -> %s', (minor, currency, text) => expect(formatAmount({ minor, currency })).toBe(text));

  it('round-trips with parseAmount', () => {
    for (const text of ['0.00', '0.01', '0.10', '10.00', '123456.78']) {
      expect(formatAmount(parseAmount(text, 'USD'))).toBe(text);
    }
  });
});

describe('provider numbers', () => {
  it.each([
    [0n, 'USD', 0],
    [1n, 'USD', 0.01],
    [2550n, 'USD', 25.5],
    [10n, 'USD', 0.1],
    [123456789012345n, 'USD', 1234567890123.45],
    [999999999999999n, 'KWD', 999999999999.999],
    [1000n, 'JPY', 1000],
    [1234n, 'KWD', 1.234],
  ])('%s %s <-> %s', (minor, currency, major) => {
    expect(toMajorNumber({ minor, currency })).toBe(major);
    expect(fromMajorNumber(major, currency)).toEqual({ minor, currency });
  });

  it('reads numbers printed in exponent form', () => {
    expect(() => fromMajorNumber(1e-7, 'USD')).toThrow(AmountFormatError);
    expect(fromMajorNumber(1e21, 'JPY').minor).toBe(10n ** 21n);
  });

  it('never rounds silently', () => {
    expect(() => fromMajorNumber(0.001, 'USD')).toThrow(AmountFormatError);
    expect(() => fromMajorNumber(0.1 + 0.2, 'USD')).toThrow(AmountFormatError);
    expect(() => fromMajorNumber(NaN, 'USD')).toThrow(AmountFormatError);
  });

  it('survives every cent from 0.00 to 100.00 both ways', () => {
    for (let minor = 0n; minor <= 10000n; minor++) {
      const major = toMajorNumber({ minor, currency: 'USD' });
      expect(fromMajorNumber(JSON.parse(JSON.stringify(major)), 'USD').minor).toBe(minor);
    }
  });

  it('refuses amounts beyond 15 significant digits, which a double cannot carry exactly', () => {
    expect(() => toMajorNumber({ minor: 8913919192961624n, currency: 'USD' })).toThrow(RangeError);
    expect(() => toMajorNumber({ minor: 2n ** 60n, currency: 'USD' })).toThrow(RangeError);
    const largest = 999999999999999n;
    expect(fromMajorNumber(JSON.parse(JSON.stringify(toMajorNumber({ minor: largest, currency: 'USD' }))), 'USD').minor).toBe(largest);
  });
});
