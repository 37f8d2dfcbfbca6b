import { afterFailedAttempt, isDelivered } from './delivery-schedule';

const policy = { baseMs: 5000, maxMs: 3600_000 };
const at = (iso: string) => new Date(iso);
const start = at('2026-01-01T00:00:00Z');
const day = new Date(start.getTime() + 86400_000);

describe('afterFailedAttempt', () => {
  it('backs off exponentially with equal jitter: half the ceiling at least, the ceiling at most', () => {
    const low = (attempt: number) => afterFailedAttempt(attempt, start, day, policy, () => 0);
    const high = (attempt: number) => afterFailedAttempt(attempt, start, day, policy, () => 1);
    expect(low(1)).toEqual({ status: 'PENDING', nextAttemptAt: at('2026-01-01T00:00:02.500Z') });
    expect(high(1)).toEqual({ status: 'PENDING', nextAttemptAt: at('2026-01-01T00:00:05.000Z') });
    expect(high(2)).toEqual({ status: 'PENDING', nextAttemptAt: at('2026-01-01T00:00:10.000Z') });
    expect(high(4)).toEqual({ status: 'PENDING', nextAttemptAt: at('2026-01-01T00:00:40.000Z') });
  });

  it('never waits longer than the cap', () => {
    expect(afterFailedAttempt(30, start, day, policy, () => 1)).toEqual({ status: 'PENDING', nextAttemptAt: at('2026-01-01T01:00:00Z') });
  });

  it('retries no later than the deadline, and FAILS an attempt made at or past it', () => {
    const late = new Date(day.getTime() - 1000);
    expect(afterFailedAttempt(20, late, day, policy, () => 1)).toEqual({ status: 'PENDING', nextAttemptAt: day });
    expect(afterFailedAttempt(21, day, day, policy)).toEqual({ status: 'FAILED' });
    expect(afterFailedAttempt(21, new Date(day.getTime() + 1), day, policy)).toEqual({ status: 'FAILED' });
  });

  it('spreads deliveries that failed together (a receiver outage)', () => {
    const next = (r: number) => {
      const decided = afterFailedAttempt(3, start, day, policy, () => r);
      return decided.status === 'PENDING' ? decided.nextAttemptAt.getTime() - start.getTime() : null;
    };
    const delays = new Set([0, 0.25, 0.5, 0.75, 1].map(next));
    expect([...delays]).toEqual([10000, 12500, 15000, 17500, 20000]);
    expect(delays.size).toBe(5);
  });
});

describe('isDelivered', () => {
  it('is a 2xx answer and nothing else', () => {
    expect([200, 201, 204, 299].map(isDelivered)).toEqual([true, true, true, true]);
    expect([null, 199, 300, 301, 400, 410, 500, 503].map(isDelivered)).toEqual([false, false, false, false, false, false, false, false]);
  });
});
