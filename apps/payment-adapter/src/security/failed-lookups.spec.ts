import { DomainError } from '../common/domain-errors';
import { cardTracker } from './security.module';
import { FailedLookupLimiter, isFailedLookup, MemoryFailureWindows } from './failed-lookups';

describe('cardTracker', () => {
  it('hashes the card number, or the set of cards, and gives none without a card', () => {
    expect(cardTracker({ cardNumber: '6000000000000001' })).toMatch(/^[0-9a-f]{64}$/);
    expect(cardTracker({ cardNumber: '6000000000000001' })).not.toContain('6000000000000001');
    expect(cardTracker({ cards: [{ cardNumber: 'b' }, { cardNumber: 'a' }] })).toBe(cardTracker({ cards: [{ cardNumber: 'a' }, { cardNumber: 'b' }] }));
    expect(cardTracker({ currency: 'USD' })).toBeNull();
    expect(cardTracker({ cards: [] })).toBeNull();
    expect(cardTracker(undefined)).toBeNull();
  });
});

describe('isFailedLookup', () => {
  it('recognises an unknown card and a wrong PIN, as a declined hold or a 422', () => {
    expect(isFailedLookup({ result: { status: 'DECLINED', declineReason: 'CARD_NOT_FOUND' } })).toBe(true);
    expect(isFailedLookup({ result: { status: 'DECLINED', declineReason: 'INSUFFICIENT_FUNDS' } })).toBe(false);
    expect(isFailedLookup({ error: new DomainError(422, 'INVALID_PIN', 'x') })).toBe(true);
    expect(isFailedLookup({ error: new DomainError(422, 'CARD_INACTIVE', 'x') })).toBe(false);
    expect(isFailedLookup({ result: undefined })).toBe(false);
  });
});

describe('FailedLookupLimiter in memory', () => {
  it('refuses a key or an address once its failures reach the limit', async () => {
    const limiter = new FailedLookupLimiter(new MemoryFailureWindows(), 2);
    await limiter.assertAllowed('oms', '10.0.0.1');
    await limiter.recordFailure('oms', '10.0.0.1');
    await limiter.assertAllowed('oms', '10.0.0.1');
    await limiter.recordFailure('oms', '10.0.0.2');
    await expect(limiter.assertAllowed('oms', '10.0.0.3')).rejects.toMatchObject({ status: 429, details: { reason: 'FAILED_LOOKUPS' } });
    await expect(limiter.assertAllowed('other', '10.0.0.3')).resolves.toBeUndefined();
    await limiter.recordFailure('other', '10.0.0.3');
    await limiter.recordFailure('third', '10.0.0.3');
    const refused = await limiter.assertAllowed('fourth', '10.0.0.3').catch((error) => error);
    expect(refused.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(60);
  });
});
