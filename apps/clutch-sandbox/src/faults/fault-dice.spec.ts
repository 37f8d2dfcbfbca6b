import fc from 'fast-check';
import { FaultDice, FaultSettings, FaultSettingsError, NO_FAULTS, hasFaults, mulberry32, outcomeOf, parseFaultSettings } from './fault-dice';

const settings = (overrides: Partial<FaultSettings> = {}): FaultSettings => ({ ...NO_FAULTS, seed: 1, ...overrides });

describe('mulberry32', () => {
  it('gives the same sequence for the same seed, in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const a = mulberry32(seed);
        const b = mulberry32(seed);
        for (let i = 0; i < 20; i++) {
          const x = a();
          expect(b()).toBe(x);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
        }
      }),
    );
  });

  it('gives different sequences for different seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(2);
    expect([a(), a(), a()]).not.toEqual([b(), b(), b()]);
  });
});

describe('outcomeOf', () => {
  const stacked = settings({ errorRate: 0.1, rateLimitRate: 0.2, timeoutRate: 0.1, dropRate: 0.1, resetRate: 0.1, applyThenErrorRate: 0.125 });

  it('stacks the rates in a fixed order on [0, 1)', () => {
    expect(outcomeOf(0, stacked)).toBe('error');
    expect(outcomeOf(0.09, stacked)).toBe('error');
    expect(outcomeOf(0.1, stacked)).toBe('rateLimit');
    expect(outcomeOf(0.35, stacked)).toBe('timeout');
    expect(outcomeOf(0.45, stacked)).toBe('drop');
    expect(outcomeOf(0.55, stacked)).toBe('reset');
    expect(outcomeOf(0.6, stacked)).toBe('applyThenError');
    expect(outcomeOf(0.72, stacked)).toBe('applyThenError');
    expect(outcomeOf(0.725, stacked)).toBe('none');
    expect(outcomeOf(0.999, stacked)).toBe('none');
  });

  it('draws applyThenError alone at rate 1, and counts it as a fault', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (draw) => {
        expect(outcomeOf(draw, settings({ applyThenErrorRate: 1 }))).toBe('applyThenError');
      }),
    );
    expect(hasFaults(settings())).toBe(false);
    expect(hasFaults(settings({ applyThenErrorRate: 0.01 }))).toBe(true);
    const dice = new FaultDice(settings({ applyThenErrorRate: 0.3, seed: 11 }));
    let applied = 0;
    for (let i = 0; i < 10000; i++) if (dice.roll('updateBalance')!.outcome === 'applyThenError') applied++;
    expect(applied / 10000).toBeCloseTo(0.3, 1);
  });

  it('never faults with all rates at 0 and always faults at rate 1', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (draw) => {
        expect(outcomeOf(draw, settings())).toBe('none');
        expect(outcomeOf(draw, settings({ dropRate: 1 }))).toBe('drop');
      }),
    );
  });

  it('draws each outcome about as often as its rate', () => {
    const dice = new FaultDice(settings({ errorRate: 0.2, resetRate: 0.1, seed: 42 }));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10000; i++) {
      const outcome = dice.roll('search')!.outcome;
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    expect(counts.error / 10000).toBeCloseTo(0.2, 1);
    expect(counts.reset / 10000).toBeCloseTo(0.1, 1);
    expect(counts.none / 10000).toBeCloseTo(0.7, 1);
  });
});

describe('FaultDice', () => {
  it('replays the same decisions for the same seed and call order', () => {
    const config = settings({ errorRate: 0.3, dropRate: 0.3, latencyMs: 5, jitterMs: 20, seed: 9 });
    const first = new FaultDice(config);
    const second = new FaultDice(config);
    const methods = ['search', 'updateBalance', 'voidTransaction', 'search', 'allocate', 'cardHistory'];
    expect(methods.map((m) => second.roll(m))).toEqual(methods.map((m) => first.roll(m)));
  });

  it('does not draw for methods outside its list, nor when nothing is configured', () => {
    expect(new FaultDice(settings()).roll('search')).toBeNull();
    const limited = new FaultDice(settings({ errorRate: 0.5, methods: ['voidTransaction'], seed: 3 }));
    const reference = new FaultDice(settings({ errorRate: 0.5, methods: ['voidTransaction'], seed: 3 }));
    expect(limited.roll('search')).toBeNull();
    expect(limited.roll('voidTransaction')).toEqual(reference.roll('voidTransaction'));
    expect(limited.roll('void')).toBeNull();
  });

  it('adds a jitter between 0 and jitterMs to the latency', () => {
    const dice = new FaultDice(settings({ latencyMs: 100, jitterMs: 50, seed: 5 }));
    for (let i = 0; i < 200; i++) {
      const { delayMs, outcome } = dice.roll('search')!;
      expect(outcome).toBe('none');
      expect(delayMs).toBeGreaterThanOrEqual(100);
      expect(delayMs).toBeLessThanOrEqual(150);
    }
  });
});

describe('parseFaultSettings', () => {
  const seed = () => 77;

  it('turns off what is left out and picks a random seed when none is given', () => {
    expect(parseFaultSettings({ errorRate: 0.5 }, seed)).toEqual({ ...NO_FAULTS, errorRate: 0.5, seed: 77 });
    expect(parseFaultSettings({ seed: 0, methods: ['search'], hangMs: 10 }, seed)).toMatchObject({ seed: 0, methods: ['search'], hangMs: 10 });
    expect(parseFaultSettings({ applyThenErrorRate: 0.4, dropRate: 0.6, methods: ['updateBalance', 'voidTransaction'] }, seed)).toEqual({
      ...NO_FAULTS,
      applyThenErrorRate: 0.4,
      dropRate: 0.6,
      methods: ['updateBalance', 'voidTransaction'],
      seed: 77,
    });
  });

  it('accepts every Clutch method of the wire, and only those', () => {
    const all = ['search', 'updateBalance', 'allocate', 'cardHistory', 'voidTransaction'];
    expect(parseFaultSettings({ methods: all }, seed).methods).toEqual(all);
  });

  it.each([
    [null],
    [[]],
    [{ errorRate: -0.1 }],
    [{ errorRate: '0.5' }],
    [{ timeoutRate: 0.5, resetRate: 0.51 }],
    [{ latencyMs: 1.5 }],
    [{ jitterMs: 600001 }],
    [{ seed: -1 }],
    [{ seed: 2 ** 32 }],
    [{ methods: 'search' }],
    [{ methods: ['search', 'refund'] }],
    [{ methods: ['void'] }],
    [{ applyThenErrorRate: 1.5 }],
    [{ applyThenErrorRate: -0.5 }],
    [{ applyThenErrorRate: 0.5, errorRate: 0.6 }],
  ])('refuses %j', (body) => {
    expect(() => parseFaultSettings(body, seed)).toThrow(FaultSettingsError);
  });
});

describe('late landings (lateRate, lateMs)', () => {
  const seed = () => 77;
  it('draws late after every other outcome, and counts it as a fault', () => {
    const stacked = settings({ errorRate: 0.1, applyThenErrorRate: 0.1, lateRate: 0.2, lateMs: 4000 });
    expect(outcomeOf(0.15, stacked)).toBe('applyThenError');
    expect(outcomeOf(0.25, stacked)).toBe('late');
    expect(outcomeOf(0.39, stacked)).toBe('late');
    expect(outcomeOf(0.41, stacked)).toBe('none');
    expect(hasFaults(settings({ lateRate: 0.01, lateMs: 10 }))).toBe(true);
  });

  it('holds a late call lateMs on top of the latency, and only a late one', () => {
    const dice = new FaultDice(settings({ lateRate: 0.5, lateMs: 5000, latencyMs: 10, seed: 3 }));
    const delays = Array.from({ length: 200 }, () => dice.roll('updateBalance')!);
    for (const d of delays) expect(d.delayMs).toBe(d.outcome === 'late' ? 5010 : 10);
    expect(delays.filter((d) => d.outcome === 'late').length).toBeGreaterThan(50);
  });

  it('reads lateRate and lateMs, within the rates budget', () => {
    expect(parseFaultSettings({ lateRate: 0.02, lateMs: 6000 }, seed)).toMatchObject({ lateRate: 0.02, lateMs: 6000 });
    expect(() => parseFaultSettings({ lateRate: 0.6, errorRate: 0.5 }, seed)).toThrow(FaultSettingsError);
    expect(() => parseFaultSettings({ lateMs: -1 }, seed)).toThrow(FaultSettingsError);
  });
});
