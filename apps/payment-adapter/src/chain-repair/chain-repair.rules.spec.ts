import { closedByExpiryJob, foundHoldStep } from './chain-repair.rules';

const link = (fields: Partial<Parameters<typeof foundHoldStep>[0]> = {}) => ({ state: 'OPEN' as const, closedReason: null, providerHoldId: 'hold-1', ...fields });
const placed = (providerTransactionId: string | null, resultMinor: bigint | null = 3000n) => ({ providerTransactionId, resultMinor });

describe('what the chain repair does with a hold placed for a link', () => {
  it('leaves a link its own hold', () => {
    expect(foundHoldStep(link(), placed('hold-1'))).toBe('NONE');
    expect(foundHoldStep(link({ state: 'CLOSED', closedReason: 'SETTLED' }), placed('hold-1'))).toBe('NONE');
  });

  it('leaves a call without a hold id alone', () => {
    expect(foundHoldStep(link({ state: 'PENDING', providerHoldId: null }), placed(null))).toBe('NONE');
  });

  it('releases the own hold of a link the expiry job closed before releasing it', () => {
    expect(foundHoldStep(link({ state: 'CLOSED', closedReason: 'REAUTHORIZED' }), placed('hold-1'))).toBe('RELEASE');
    expect(foundHoldStep(link({ state: 'CLOSED', closedReason: 'EXPIRED' }), placed('hold-1'))).toBe('RELEASE');
  });

  it('lets a pending link adopt a hold that holds something', () => {
    expect(foundHoldStep(link({ state: 'PENDING', providerHoldId: null }), placed('hold-2'))).toBe('ADOPT');
    expect(foundHoldStep(link({ state: 'PENDING', providerHoldId: null }), placed('hold-2', 0n))).toBe('RELEASE');
    expect(foundHoldStep(link({ state: 'PENDING', providerHoldId: null }), placed('hold-2', null))).toBe('RELEASE');
  });

  it('releases a hold nobody owns', () => {
    expect(foundHoldStep(link(), placed('hold-2'))).toBe('RELEASE');
    expect(foundHoldStep(link({ state: 'FAILED', providerHoldId: null }), placed('hold-2'))).toBe('RELEASE');
  });

  it('knows the links the expiry job closed', () => {
    expect(closedByExpiryJob({ closedReason: 'REAUTHORIZED' })).toBe(true);
    expect(closedByExpiryJob({ closedReason: 'EXPIRED' })).toBe(true);
    expect(closedByExpiryJob({ closedReason: 'REVERSED' })).toBe(false);
    expect(closedByExpiryJob({ closedReason: null })).toBe(false);
  });
});
