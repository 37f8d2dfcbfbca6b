import { CLUTCH_METHODS } from '@gcpa/clutch';

/** What the sandbox does to one merchant call. */
/**
 * `drop` and `applyThenError` act after the operation committed: the call applied, its answer is lost.
 * `late` holds the call `lateMs` before handling it, then applies it: the client gave up waiting long before
 * (a late landing, after the adapter's timeout and its unknown-outcome grace period).
 */
export type FaultOutcome = 'none' | 'error' | 'rateLimit' | 'timeout' | 'drop' | 'reset' | 'applyThenError' | 'late';

export interface FaultSettings {
  latencyMs: number;
  jitterMs: number;
  errorRate: number;
  rateLimitRate: number;
  timeoutRate: number;
  dropRate: number;
  resetRate: number;
  applyThenErrorRate: number;
  /** Share of calls held `lateMs` (on top of the latency) and then applied. */
  lateRate: number;
  lateMs: number;
  seed: number;
  /** Only these Clutch methods get faults; null = every method. */
  methods: string[] | null;
  /** How long a timeout holds the connection before destroying it. */
  hangMs: number;
}

export interface FaultDecision {
  delayMs: number;
  outcome: FaultOutcome;
}

export const NO_FAULTS: Omit<FaultSettings, 'seed'> = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  timeoutRate: 0,
  dropRate: 0,
  resetRate: 0,
  applyThenErrorRate: 0,
  lateRate: 0,
  lateMs: 0,
  methods: null,
  hangMs: 30000,
};

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1); the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One draw picks at most one outcome: the rates are stacked in a fixed order on [0, 1). */
export function outcomeOf(draw: number, settings: FaultSettings): FaultOutcome {
  let threshold = 0;
  const stacked: Array<[FaultOutcome, number]> = [
    ['error', settings.errorRate],
    ['rateLimit', settings.rateLimitRate],
    ['timeout', settings.timeoutRate],
    ['drop', settings.dropRate],
    ['reset', settings.resetRate],
    ['applyThenError', settings.applyThenErrorRate],
    ['late', settings.lateRate],
  ];
  for (const [outcome, rate] of stacked) {
    threshold += rate;
    if (draw < threshold) return outcome;
  }
  return 'none';
}

export const hasFaults = (s: FaultSettings): boolean =>
  s.latencyMs > 0 || s.jitterMs > 0 || s.errorRate + s.rateLimitRate + s.timeoutRate + s.dropRate + s.resetRate + s.applyThenErrorRate + s.lateRate > 0;

/**
 * The dice of one fault configuration: one draw per affected call decides its outcome, and a second stream
 * (seeded from the same seed) its jitter, so the outcome sequence depends only on the seed and call order.
 */
export class FaultDice {
  private readonly outcomes: () => number;
  private readonly jitter: () => number;

  constructor(readonly settings: FaultSettings) {
    this.outcomes = mulberry32(settings.seed);
    this.jitter = mulberry32(settings.seed ^ 0x9e3779b9);
  }

  roll(method: string): FaultDecision | null {
    const s = this.settings;
    if (!hasFaults(s) || (s.methods !== null && !s.methods.includes(method))) return null;
    const outcome = outcomeOf(this.outcomes(), s);
    const delayMs = s.latencyMs + (s.jitterMs > 0 ? Math.floor(this.jitter() * (s.jitterMs + 1)) : 0);
    return { delayMs: outcome === 'late' ? delayMs + s.lateMs : delayMs, outcome };
  }
}

export class FaultSettingsError extends Error {}

const RATE_FIELDS = ['errorRate', 'rateLimitRate', 'timeoutRate', 'dropRate', 'resetRate', 'applyThenErrorRate', 'lateRate'] as const;
const MS_FIELDS = ['latencyMs', 'jitterMs', 'hangMs', 'lateMs'] as const;

/** Reads `PUT /_sandbox/faults`; fields left out are off (hangMs: 30000; seed: random). */
export function parseFaultSettings(raw: unknown, randomSeed: () => number): FaultSettings {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new FaultSettingsError('body must be a JSON object');
  const body = raw as Record<string, unknown>;
  const settings: FaultSettings = { ...NO_FAULTS, seed: 0 };
  for (const field of MS_FIELDS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 600000) {
      throw new FaultSettingsError(`${field} must be an integer between 0 and 600000`);
    }
    settings[field] = value;
  }
  for (const field of RATE_FIELDS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new FaultSettingsError(`${field} must be a number between 0 and 1`);
    }
    settings[field] = value;
  }
  const total = RATE_FIELDS.reduce((sum, field) => sum + settings[field], 0);
  if (total > 1 + 1e-9) throw new FaultSettingsError(`the rates must add up to at most 1 (got ${total})`);
  const seed = body.seed;
  if (seed === undefined || seed === null) settings.seed = randomSeed();
  else if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new FaultSettingsError('seed must be an integer between 0 and 4294967295');
  } else settings.seed = seed;
  const methods = body.methods;
  if (methods !== undefined && methods !== null) {
    if (!Array.isArray(methods) || methods.some((m) => !(CLUTCH_METHODS as readonly string[]).includes(m))) {
      throw new FaultSettingsError(`methods must be a list of Clutch methods (${CLUTCH_METHODS.join(', ')})`);
    }
    settings.methods = [...methods];
  }
  return settings;
}
