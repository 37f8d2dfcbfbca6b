import { parseErrorCodeOverrides } from '@gcpa/clutch';
import { ToBoolean, ToInt } from '@gcpa/config';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { IsCronExpression } from '../settlement-job/is-cron-expression';

export const DEV_API_KEY = 'local-dev-key';
export const DEV_CARD_DATA_KEY = 'ZGV2LW9ubHktY2FyZC1kYXRhLWtleS0zMi1ieXRlcyE='; // "dev-only-card-data-key-32-bytes!"

const POSTGRES_URL = { require_tld: false, protocols: ['postgres', 'postgresql'], require_protocol: true };

/**
 * Every setting of the payment adapter, read from the environment and validated at boot.
 * The README's configuration table documents each one; keep the two in step.
 */
export class AdapterConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: string = 'development';

  @IsString() @IsNotEmpty()
  HOST: string = '127.0.0.1';

  @ToInt() @Min(0) @Max(65535) @IsInt()
  PORT: number = 3000;

  @IsOptional() @IsUrl(POSTGRES_URL, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string = undefined;

  @IsString() @IsNotEmpty()
  DATA_DIR: string = './.data';

  @ToInt() @Min(1) @Max(200) @IsInt()
  DB_POOL_SIZE: number = 10;

  /**
   * true: what a request (or one batch settlement) writes between two provider calls commits together, one
   * commit before each provider call and one after (issue 16's budget). false: each small transaction commits
   * on its own, as before (kept to compare, and as a way back).
   */
  @ToBoolean() @IsBoolean()
  UNIT_OF_WORK: boolean = true;

  @IsIn(['clutch'])
  PAYMENT_PROVIDER: string = 'clutch';

  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'must be an http(s) URL' })
  CLUTCH_BASE_URL?: string = undefined;

  @ToInt() @Min(0) @Max(65535) @IsInt()
  SANDBOX_PORT: number = 3100;

  @IsString() @IsNotEmpty()
  CLUTCH_API_KEY: string = 'sandbox-key';

  @IsString() @IsNotEmpty()
  CLUTCH_API_SECRET: string = 'sandbox-secret';

  @IsString() @IsNotEmpty()
  CLUTCH_BRAND: string = 'sandbox-brand';

  @IsString() @IsNotEmpty()
  CLUTCH_LOCATION: string = 'sandbox-location';

  @IsString() @IsNotEmpty()
  CLUTCH_TERMINAL: string = 'sandbox-terminal';

  @ToInt() @Min(100) @Max(120000) @IsInt()
  CLUTCH_TIMEOUT_MS: number = 5000;

  /**
   * Refusal codes learned from a real Clutch account, `code=MEANING` comma-separated (e.g.
   * `51=INSUFFICIENT_FUNDS`): read before the built-in table, whose unconfirmed rows are our guesses.
   */
  @IsOptional() @Matches(/^\s*\d{1,9}=[A-Z_]+\s*(,\s*\d{1,9}=[A-Z_]+\s*)*$/, { message: 'must be code=MEANING pairs separated by commas' })
  CLUTCH_ERROR_CODES?: string = undefined;

  /** How far Clutch's clock may be from ours when a lost answer is looked for in the card's history. */
  @ToInt() @Min(0) @Max(600000) @IsInt()
  CLUTCH_CLOCK_SKEW_MS: number = 10000;

  /** `name:key` pairs separated by commas; a bare key is named `key1`, `key2`... */
  @IsOptional() @IsString()
  API_KEYS?: string = undefined;

  /** 32 bytes, base64: encrypts card numbers at rest and keys their look-up hash. */
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes in base64 (openssl rand -base64 32)' })
  CARD_DATA_KEY: string = DEV_CARD_DATA_KEY;

  /** How long after a provider call with a lost answer "not found at the provider" is believed. */
  @ToInt() @Min(1000) @Max(3600000) @IsInt()
  UNKNOWN_OUTCOME_GRACE_MS: number = 15000;

  /**
   * The same for a lost ISSUE (a refund, a fulfillment's value): "not in the card's history" is believed only
   * this long after the call, since issuing again pays twice if the first lands later, and value already
   * spent cannot be voided. Never shorter than UNKNOWN_OUTCOME_GRACE_MS.
   */
  @ToInt() @Min(1000) @Max(86400000) @IsInt()
  UNKNOWN_ISSUE_GRACE_MS: number = 300000;

  /** When an authorization expires (set it to the provider's hold lifetime): released and closed EXPIRED then. */
  @ToInt() @Min(1) @Max(8760) @IsInt()
  HOLD_TTL_HOURS: number = 168;

  /**
   * An open authorization that still holds value is held again (a new link) this long before it expires; 0: never.
   * Unset: 24, or a quarter of HOLD_TTL_HOURS when that is shorter (so a shorter HOLD_TTL_HOURS stays valid alone).
   */
  @IsOptional() @ToInt() @Min(0) @Max(8759) @IsInt()
  REAUTHORIZE_BEFORE_HOURS?: number = undefined;

  /** REAUTHORIZE_BEFORE_HOURS in milliseconds, with its default. */
  get reauthorizeBeforeMs(): number {
    if (this.REAUTHORIZE_BEFORE_HOURS !== undefined) return this.REAUTHORIZE_BEFORE_HOURS * 3600_000;
    return Math.min(24, this.HOLD_TTL_HOURS / 4) * 3600_000;
  }

  /** false: no scheduled expiry runs in this instance (POST /v1/expiry-runs still runs one). */
  @ToBoolean() @IsBoolean()
  EXPIRY_JOB_ENABLED: boolean = true;

  /** When the expiry job (re-authorizations and expiries) runs. Default: every five minutes. */
  @IsCronExpression()
  EXPIRY_CRON: string = '0 */5 * * * *';

  /** Authorizations claimed per batch of an expiry run; a run claims batch after batch until nothing is due. */
  @ToInt() @Min(1) @Max(10000) @IsInt()
  EXPIRY_BATCH_SIZE: number = 100;

  // Gift card fulfillment (rule 6)
  /** The card set an ELECTRONIC fulfillment allocates from when the request names none. */
  @IsString() @IsNotEmpty()
  FULFILLMENT_CARD_SET_ID: string = 'egift';

  /** Largest accepted request body, in bytes. */
  @ToInt() @Min(1024) @Max(10485760) @IsInt()
  BODY_LIMIT_BYTES: number = 65536;

  /** A request not answered within this is cut off (the provider timeout stays shorter). */
  @ToInt() @Min(1000) @Max(600000) @IsInt()
  REQUEST_TIMEOUT_MS: number = 30000;

  /** Balance inquiries and holds per API key per minute (card enumeration defence). */
  @ToInt() @Min(1) @Max(1000000) @IsInt()
  RATE_LIMIT_PER_KEY_PER_MINUTE: number = 6000;

  /** Balance inquiries and holds per card number per minute. */
  @ToInt() @Min(1) @Max(100000) @IsInt()
  RATE_LIMIT_PER_CARD_PER_MINUTE: number = 30;

  /** Failed card look-ups (unknown card, wrong PIN) per API key and per client address per minute. */
  @ToInt() @Min(1) @Max(100000) @IsInt()
  RATE_LIMIT_FAILED_LOOKUPS_PER_MINUTE: number = 20;

  /** `redis://...`: rate-limit counters shared by every instance. Unset: counters in memory, per instance. */
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['redis', 'rediss'] }, { message: 'must be a redis:// URL' })
  REDIS_URL?: string = undefined;

  /**
   * Proxies in front of the adapter whose `X-Forwarded-For` is believed for the client address (the failed look-up
   * limit counts per address): `false` (none, the default), `true` (any), a hop count, or comma-separated IPs/CIDRs.
   */
  @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F:./]+(\s*,\s*[0-9a-fA-F:./]+)*)$/, { message: 'must be true, false, a hop count or comma-separated IPs/CIDRs' })
  TRUST_PROXY: string = 'false';

  /** Fastify's `trustProxy` from TRUST_PROXY. */
  get trustProxy(): boolean | number | string {
    if (this.TRUST_PROXY === 'true' || this.TRUST_PROXY === 'false') return this.TRUST_PROXY === 'true';
    return /^\d+$/.test(this.TRUST_PROXY) ? Number(this.TRUST_PROXY) : this.TRUST_PROXY;
  }

  /** `required`: an OMS hold or balance check without a PIN is a 400. `optional`: the provider decides. */
  @IsIn(['required', 'optional'])
  PIN_POLICY: string = 'required';

  /** How long an Idempotency-Key (and the answer it replays) is kept before the purge job deletes it. */
  @ToInt() @Min(1) @Max(3650) @IsInt()
  IDEMPOTENCY_RETENTION_DAYS: number = 30;

  /**
   * How long one worker's lease on an authorization chain, a refund or a fulfillment lasts without being renewed
   * (it is renewed while the work goes on; a crashed holder's lease runs out after this).
   */
  @ToInt() @Min(1) @Max(3600) @IsInt()
  ROW_LEASE_SECONDS: number = 60;

  /** How long a request holds its Idempotency-Key before a duplicate may take it over (renewed while it runs). */
  @ToInt() @Min(2) @Max(3600) @IsInt()
  IDEMPOTENCY_LEASE_SECONDS: number = 60;

  /** When the purge of expired idempotency keys runs. Default: every hour. */
  @IsCronExpression()
  IDEMPOTENCY_PURGE_CRON: string = '0 0 * * * *';

  /** Wrong PINs on one card (within 15 minutes) before it is locked. */
  @ToInt() @Min(1) @Max(100) @IsInt()
  PIN_MAX_FAILURES: number = 5;

  @ToInt() @Min(1) @Max(86400) @IsInt()
  PIN_LOCKOUT_SECONDS: number = 900;

  // Batch settlement job and recovery sweep (rule 3, rule 5): see the README
  /** false: no scheduled runs in this instance (POST /v1/settlement-runs still runs the job). */
  @ToBoolean() @IsBoolean()
  SETTLEMENT_JOB_ENABLED: boolean = true;

  /** When the job runs; 6 fields = with seconds. Default: every minute. */
  @IsCronExpression()
  SETTLEMENT_CRON: string = '0 * * * * *';

  /** Authorization chains settled at the same time by one instance. */
  @ToInt() @Min(1) @Max(256) @IsInt()
  SETTLEMENT_CONCURRENCY: number = 8;

  /** Settlements claimed per batch; a run claims batch after batch until nothing is due. */
  @ToInt() @Min(1) @Max(10000) @IsInt()
  SETTLEMENT_BATCH_SIZE: number = 200;

  /** Tries while the provider is unavailable before a settlement is FAILED (PROVIDER_UNAVAILABLE). */
  @ToInt() @Min(1) @Max(100) @IsInt()
  SETTLEMENT_MAX_ATTEMPTS: number = 5;

  /** How long a claim is held; a crashed instance's claims return to the pool after it. */
  @ToInt() @Min(1) @Max(3600) @IsInt()
  SETTLEMENT_LEASE_SECONDS: number = 120;

  /** Retry backoff: the first retry's ceiling, doubled each attempt (with jitter), capped at the max. */
  @ToInt() @Min(1) @Max(3600000) @IsInt()
  SETTLEMENT_RETRY_BASE_MS: number = 2000;

  @ToInt() @Min(1) @Max(86400000) @IsInt()
  SETTLEMENT_RETRY_MAX_MS: number = 300000;

  /** false: no scheduled recovery sweeps in this instance (POST /v1/recovery-runs still runs one). */
  @ToBoolean() @IsBoolean()
  RECOVERY_ENABLED: boolean = true;

  /** When the sweep of unknown provider outcomes runs. Default: every 30 seconds. */
  @IsCronExpression()
  RECOVERY_CRON: string = '*/30 * * * * *';

  /** Still accepted, no longer used: give-up is measured in time (RECOVERY_GIVE_UP_AFTER_SECONDS); see the changelog. */
  @ToInt() @Min(1) @Max(1000) @IsInt()
  RECOVERY_MAX_ATTEMPTS: number = 10;

  /** How long after a call the sweep stops expecting to resolve it by itself and lists it for an operator. */
  @ToInt() @Min(1) @Max(31536000) @IsInt()
  RECOVERY_GIVE_UP_AFTER_SECONDS: number = 86400;

  /** How often a given-up call is still checked. */
  @ToInt() @Min(1) @Max(604800) @IsInt()
  RECOVERY_GIVEN_UP_CHECK_SECONDS: number = 3600;

  /** Provider calls checked per batch of a sweep. */
  @ToInt() @Min(1) @Max(10000) @IsInt()
  RECOVERY_BATCH_SIZE: number = 100;

  /** Run the reconciliation job (provider state and history against our records) on this instance's schedule. */
  @ToBoolean() @IsBoolean()
  RECONCILIATION_ENABLED: boolean = true;

  @IsCronExpression()
  RECONCILIATION_CRON: string = '0 0 * * * *';

  /** Cards with provider calls in this many hours (or since the last run, if that is longer ago) are compared. */
  @ToInt() @Min(1) @Max(8760) @IsInt()
  RECONCILIATION_WINDOW_HOURS: number = 48;

  /**
   * Void (Clutch `voidTransaction`) a movement that landed after its call was concluded NOT_APPLIED and was
   * done again (a refund issued twice, a redeem charged twice); false: only list it (LATE_ENTRY) for an operator.
   */
  @ToBoolean() @IsBoolean()
  RECONCILIATION_VOID_LATE_ENTRIES: boolean = true;

  // Notifications to the OMS (Standard Webhooks): see the README, "Notifications"
  /** Where every notification is POSTed. Unset: nothing is sent, and no outbox rows are written. */
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'must be an http(s) URL' })
  WEBHOOK_URL?: string = undefined;

  /** The signing secret shared with the receiver: `whsec_` and base64 (Standard Webhooks). Required with WEBHOOK_URL. */
  @IsOptional() @Matches(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, { message: 'must be whsec_ followed by base64 (at least 12 bytes)' })
  WEBHOOK_SECRET?: string = undefined;

  /** A receiver that has not answered within this is cut off; the attempt counts as failed. */
  @ToInt() @Min(100) @Max(120000) @IsInt()
  WEBHOOK_TIMEOUT_MS: number = 10000;

  /** How often the sender looks for due deliveries when the last look found none. */
  @ToInt() @Min(50) @Max(600000) @IsInt()
  WEBHOOK_POLL_INTERVAL_MS: number = 1000;

  /** How long a sender's claim on a delivery lasts; a sender that died mid-delivery leaves it to another after this. */
  @ToInt() @Min(1) @Max(3600) @IsInt()
  WEBHOOK_LEASE_SECONDS: number = 60;

  /** Deliveries one instance has in flight at most (side by side, one per order at a time). */
  @ToInt() @Min(1) @Max(1000) @IsInt()
  WEBHOOK_BATCH_SIZE: number = 20;

  /** A delivery not answered 2xx for this long after it was queued is FAILED (listed for an operator). */
  @ToInt() @Min(1) @Max(31536000) @IsInt()
  WEBHOOK_RETRY_FOR_SECONDS: number = 86400;

  /** Retry backoff: the first retry's ceiling, doubled each attempt (with jitter), capped at the max. */
  @ToInt() @Min(1) @Max(3600000) @IsInt()
  WEBHOOK_RETRY_BASE_MS: number = 5000;

  @ToInt() @Min(1) @Max(86400000) @IsInt()
  WEBHOOK_RETRY_MAX_MS: number = 3600000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  get clutchBaseUrl(): string {
    return this.CLUTCH_BASE_URL ?? `http://127.0.0.1:${this.SANDBOX_PORT}/merchant/`;
  }

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  /** Rules that span variables: production never runs on development secrets or a missing provider. */
  crossCheck(): string[] {
    const problems: string[] = [];
    try {
      parseErrorCodeOverrides(this.CLUTCH_ERROR_CODES);
    } catch (error) {
      problems.push((error as Error).message);
    }
    if (this.WEBHOOK_URL && !this.WEBHOOK_SECRET) problems.push('WEBHOOK_SECRET: required when WEBHOOK_URL is set (unset)');
    if (this.WEBHOOK_LEASE_SECONDS * 1000 <= this.WEBHOOK_TIMEOUT_MS) problems.push('WEBHOOK_LEASE_SECONDS: must be longer than WEBHOOK_TIMEOUT_MS (a claim would run out mid-delivery)');
    if (this.REAUTHORIZE_BEFORE_HOURS !== undefined && this.REAUTHORIZE_BEFORE_HOURS >= this.HOLD_TTL_HOURS) {
      problems.push(`REAUTHORIZE_BEFORE_HOURS: must be less than HOLD_TTL_HOURS (${this.HOLD_TTL_HOURS}), or every new hold would be due at once (got ${this.REAUTHORIZE_BEFORE_HOURS})`);
    }
    if (!this.isProduction) return problems;
    if (!this.API_KEYS) problems.push('API_KEYS: required when NODE_ENV=production (unset)');
    if (this.CARD_DATA_KEY === DEV_CARD_DATA_KEY) problems.push('CARD_DATA_KEY: the development key is refused when NODE_ENV=production');
    if (!this.DATABASE_URL) problems.push('DATABASE_URL: required when NODE_ENV=production (unset)');
    if (!this.CLUTCH_BASE_URL) problems.push('CLUTCH_BASE_URL: required when NODE_ENV=production (unset)');
    return problems;
  }
}
