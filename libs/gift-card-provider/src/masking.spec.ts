import { maskCardNumber, maskSensitiveText } from './masking';

describe('maskCardNumber', () => {
  it.each([
    ['6006491234567890', '****7890'],
    ['6006 4912 3456 7890', '****7890'],
    ['12345', '****2345'],
    ['1234', '****'],
    ['', '****'],
    [undefined, '****'],
  ])('%j -> %s', (input, masked) => expect(maskCardNumber(input)).toBe(masked));
});

describe('maskSensitiveText', () => {
  it('masks bare card numbers of 12 to 19 digits, grouped or not', () => {
    expect(maskSensitiveText('card 6006491234567890 not found')).toBe('card ****7890 not found');
    expect(maskSensitiveText('card 6006-4912-3456-7890.')).toBe('card ****7890.');
    expect(maskSensitiveText('ref 12345678901')).toBe('ref 12345678901');
  });

  it('masks card numbers glued to letters or underscores', () => {
    expect(maskSensitiveText('order ORD_6000000000000001 failed')).toBe('order ORD_****0001 failed');
    expect(maskSensitiveText('ORD-6000000000000001')).toBe('ORD-****0001');
    expect(maskSensitiveText('card6000000000000001x')).toBe('card****0001x');
    expect(maskSensitiveText('{"orderId":"A6000000000000001_B"}')).toBe('{"orderId":"A****0001_B"}');
    expect(maskSensitiveText('ORD_12345678901')).toBe('ORD_12345678901');
  });

  it('masks JSON fields holding a card number, a PIN or a credential', () => {
    const body = JSON.stringify({ cardNumber: 'ABC1234567', pin: '9876', other: 'x', Authorization: 'Basic dGVzdDp0ZXN0' });
    const masked = maskSensitiveText(body);
    expect(masked).toBe('{"cardNumber":"****4567","pin":"****","other":"x","Authorization":"****"}');
  });

  it('masks key=value and prose forms', () => {
    expect(maskSensitiveText('pin=1234&cardNumber=6006491234567890')).toBe('pin=****&cardNumber=****7890');
    expect(maskSensitiveText('Invalid PIN: 1234 for cardNumber: 600649123456')).toBe('Invalid PIN: **** for cardNumber: ****3456');
    expect(maskSensitiveText('authorization: Basic abc==')).toBe('authorization: ****');
  });

  it('leaves ordinary text alone', () => {
    expect(maskSensitiveText('Insufficient funds.')).toBe('Insufficient funds.');
    expect(maskSensitiveText(undefined)).toBe('');
  });
});
