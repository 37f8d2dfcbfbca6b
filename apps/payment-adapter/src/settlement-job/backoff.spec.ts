import fc from 'fast-check';
import { backoffCeilingMs, retryDelayMs } from './backoff';

describe('retry backoff', () => {
  const policy = { baseMs: 2000, maxMs: 300_000 };

  it('doubles the ceiling with every attempt, from the base, up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffCeilingMs(attempt, policy))).toEqual([2000, 4000, 8000, 16000, 32000]);
    expect(backoffCeilingMs(8, policy)).toBe(256_000);
    expect(backoffCeilingMs(9, policy)).toBe(300_000);
    expect(backoffCeilingMs(10_000, policy)).toBe(300_000);
  });

  it('treats attempt 0 (or less) like the first attempt', () => {
    expect(backoffCeilingMs(0, policy)).toBe(2000);
    expect(backoffCeilingMs(-3, policy)).toBe(2000);
  });

  it('waits half the ceiling at least and the whole ceiling at most', () => {
    expect(retryDelayMs(3, policy, () => 0)).toBe(4000);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(6000);
    expect(retryDelayMs(3, policy, () => 0.999999)).toBe(8000);
  });

  it('stays within [ceiling/2, ceiling] and never exceeds the cap, for any attempt and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, extra, draw) => {
          const p = { baseMs, maxMs: baseMs + extra };
          const ceiling = backoffCeilingMs(attempt, p);
          const delay = retryDelayMs(attempt, p, () => draw);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeLessThanOrEqual(p.maxMs);
          expect(delay).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('never shrinks from one attempt to the next (the ceiling is monotonic)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (attempt) => {
        expect(backoffCeilingMs(attempt + 1, policy)).toBeGreaterThanOrEqual(backoffCeilingMs(attempt, policy));
      }),
    );
  });
});
