import { money } from '@gcpa/money';
import { applyBalance } from './balance-inquiry';

describe('applyBalance', () => {
  const usd = (minor: number) => money(BigInt(minor), 'USD');

  it('applies what the card has when the request is larger', () => {
    expect(applyBalance(usd(2500), usd(6000))).toEqual({ available: usd(2500), applicable: usd(2500), remaining: usd(3500) });
  });

  it('applies the whole request when the card covers it', () => {
    expect(applyBalance(usd(10000), usd(6000))).toEqual({ available: usd(10000), applicable: usd(6000), remaining: usd(0) });
  });

  it('applies the available balance and leaves nothing remaining without a request', () => {
    expect(applyBalance(usd(2500))).toEqual({ available: usd(2500), applicable: usd(2500), remaining: usd(0) });
  });

  it('applies nothing from an empty card', () => {
    expect(applyBalance(usd(0), usd(100))).toEqual({ available: usd(0), applicable: usd(0), remaining: usd(100) });
  });
});
