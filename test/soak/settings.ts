/** The soak's knobs, all from SOAK_* environment variables (the README's soak section lists them). */
export interface FaultRates {
  errorRate: number;
  rateLimitRate: number;
  timeoutRate: number;
  dropRate: number;
  resetRate: number;
  /** Applied, then answered HTTP 500: a 5xx on a money call whose effect is on the ledger. */
  applyThenErrorRate: number;
  /** Held `lateMs` (past the adapter's timeout and grace period), then applied: a late landing. */
  lateRate: number;
}

export interface SoakSettings {
  orders: number;
  concurrency: number;
  cards: number;
  kills: number;
  seed: number;
  faults: FaultRates;
  /** Base latency of every provider call, plus a uniform 0..jitter. */
  latencyMs: number;
  jitterMs: number;
  /** Every `spikeEveryMs`, for `spikeMs`, calls take `spikeLatencyMs` + 0..`spikeJitterMs` (some longer than the adapter's timeout). */
  spikeEveryMs: number;
  spikeMs: number;
  spikeLatencyMs: number;
  spikeJitterMs: number;
  /** The adapter's provider timeout, and the sandbox's hang just above it. */
  clutchTimeoutMs: number;
  graceMs: number;
  /** The adapter's UNKNOWN_ISSUE_GRACE_MS: a lost issue waits this long before "not applied" (longer than a late landing). */
  issueGraceMs: number;
  /** How long a late call is held before the sandbox applies it (more than the adapter's timeout + grace). */
  lateMs: number;
  /** Share of requests an OMS sends twice at once (same key, same body). */
  duplicateRate: number;
  /** A client gives up on one request after this many attempts or this long. */
  maxAttempts: number;
  requestDeadlineMs: number;
  /** How long the end of the run may take to settle the batch backlog and resolve unknown outcomes. */
  drainMs: number;
  reportFile: string | undefined;
  /** Notifications: the soak's receiver and how it misbehaves (see webhook-receiver.ts). */
  webhooks: {
    enabled: boolean;
    failRate: number;
    slowRate: number;
    /** The adapter's WEBHOOK_TIMEOUT_MS; a slow answer comes after it. */
    timeoutMs: number;
    /** An outage of the receiver (500 to everything) this often, this long; longer than the retry window: FAILED deliveries. */
    outageEveryMs: number;
    outageMs: number;
    /** The adapter's WEBHOOK_RETRY_FOR_SECONDS. */
    retryForSeconds: number;
  };
  /** Shares of approved orders whose hold is aged in the database before they ship (expires_at moved, as time would). */
  reauthorizeRate: number;
  expireRate: number;
  /** Share of approved orders whose hold lapses at the provider first (the sandbox's hold created_at moved back). */
  lapseRate: number;
  /** Share of refunds sent `toNewCard` (a part of what the settlement settled). */
  newCardRefundRate: number;
  /** The adapter's RECOVERY_GIVE_UP_AFTER_SECONDS: calls unresolved this long are announced `transaction.unknown`. */
  recoveryGiveUpSeconds: number;
}

function number(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name}=${raw}: must be a number from ${min} to ${max}`);
  return value;
}

export function soakSettings(): SoakSettings {
  const orders = Math.floor(number('SOAK_ORDERS', 10000, 1));
  const rate = (name: string) => number(name, 0.02, 0, 1);
  const faults: FaultRates = {
    errorRate: rate('SOAK_FAULT_ERROR_RATE'),
    rateLimitRate: number('SOAK_FAULT_RATE_LIMIT_RATE', 0.01, 0, 1),
    timeoutRate: rate('SOAK_FAULT_TIMEOUT_RATE'),
    dropRate: rate('SOAK_FAULT_DROP_RATE'),
    resetRate: rate('SOAK_FAULT_RESET_RATE'),
    applyThenErrorRate: rate('SOAK_FAULT_APPLY_THEN_ERROR_RATE'),
    lateRate: number('SOAK_FAULT_LATE_RATE', 0.01, 0, 1),
  };
  const total = Object.values(faults).reduce((a, b) => a + b, 0);
  if (total > 1) throw new Error(`the SOAK_FAULT_* rates add up to ${total}; at most 1`);
  const clutchTimeoutMs = number('SOAK_CLUTCH_TIMEOUT_MS', 1000, 100);
  const graceMs = number('SOAK_GRACE_MS', 2000, 1000);
  const lateMs = number('SOAK_FAULT_LATE_MS', clutchTimeoutMs + graceMs + 2000, 0, 600000);
  if (faults.lateRate > 0 && lateMs <= clutchTimeoutMs + graceMs) {
    throw new Error(`SOAK_FAULT_LATE_MS=${lateMs}: a late landing must come after the adapter's timeout + grace (${clutchTimeoutMs + graceMs} ms)`);
  }
  return {
    orders,
    concurrency: Math.floor(number('SOAK_CONCURRENCY', 16, 1, 512)),
    cards: Math.floor(number('SOAK_CARDS', Math.max(20, Math.ceil(orders / 8)), 1)),
    kills: Math.floor(number('SOAK_KILLS', 3, 0, 100)),
    seed: Math.floor(number('SOAK_SEED', Math.floor(Math.random() * 2 ** 32), 0, 2 ** 32 - 1)),
    faults,
    latencyMs: number('SOAK_FAULT_LATENCY_MS', 0),
    jitterMs: number('SOAK_FAULT_JITTER_MS', 20),
    spikeEveryMs: number('SOAK_SPIKE_EVERY_MS', 20000, 1000),
    spikeMs: number('SOAK_SPIKE_MS', 3000),
    spikeLatencyMs: number('SOAK_SPIKE_LATENCY_MS', 300),
    spikeJitterMs: number('SOAK_SPIKE_JITTER_MS', 1200),
    clutchTimeoutMs,
    graceMs,
    issueGraceMs: number('SOAK_ISSUE_GRACE_MS', 30000, 1000),
    lateMs,
    duplicateRate: number('SOAK_DUPLICATE_RATE', 0.05, 0, 1),
    maxAttempts: Math.floor(number('SOAK_MAX_ATTEMPTS', 40, 1)),
    requestDeadlineMs: number('SOAK_REQUEST_DEADLINE_MS', 240000, 1000),
    drainMs: number('SOAK_DRAIN_MS', 240000, 1000),
    reportFile: process.env.SOAK_REPORT_FILE || undefined,
    webhooks: {
      enabled: process.env.SOAK_WEBHOOKS !== 'false',
      failRate: number('SOAK_WEBHOOK_FAIL_RATE', 0.1, 0, 1),
      slowRate: number('SOAK_WEBHOOK_SLOW_RATE', 0.03, 0, 1),
      timeoutMs: number('SOAK_WEBHOOK_TIMEOUT_MS', 1000, 100, 60000),
      outageEveryMs: number('SOAK_WEBHOOK_OUTAGE_EVERY_MS', 45000, 1000),
      outageMs: number('SOAK_WEBHOOK_OUTAGE_MS', 12000, 0),
      retryForSeconds: Math.floor(number('SOAK_WEBHOOK_RETRY_FOR_SECONDS', 8, 1)),
    },
    reauthorizeRate: number('SOAK_REAUTHORIZE_RATE', 0.06, 0, 1),
    expireRate: number('SOAK_EXPIRE_RATE', 0.03, 0, 1),
    lapseRate: number('SOAK_LAPSE_RATE', 0.03, 0, 1),
    newCardRefundRate: number('SOAK_NEW_CARD_REFUND_RATE', 0.25, 0, 1),
    recoveryGiveUpSeconds: Math.floor(number('SOAK_RECOVERY_GIVE_UP_SECONDS', 8, 1)),
  };
}

/** mulberry32: the soak's own dice (orders, kill moments), reproducible from SOAK_SEED. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
  };
}

export type Dice = ReturnType<typeof seededRandom>;
