import { ToBoolean, ToInt, ToNumber } from '@gcpa/config';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';

/** Settings of the Clutch sandbox, from the environment, validated at boot; documented in the README (The Clutch sandbox). */
export class SandboxConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: string = 'development';

  @IsString() @IsNotEmpty()
  HOST: string = '127.0.0.1';

  @ToInt() @Min(0) @Max(65535) @IsInt()
  SANDBOX_PORT: number = 3100;

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['postgres', 'postgresql'], require_protocol: true }, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string = undefined;

  @IsString() @IsNotEmpty()
  DATA_DIR: string = './.data';

  @ToInt() @Min(1) @Max(200) @IsInt()
  DB_POOL_SIZE: number = 10;

  /** The credentials the sandbox accepts, as a Clutch portal would issue them. */
  @IsString() @IsNotEmpty()
  CLUTCH_API_KEY: string = 'sandbox-key';

  @IsString() @IsNotEmpty()
  CLUTCH_API_SECRET: string = 'sandbox-secret';

  @IsString() @IsNotEmpty()
  CLUTCH_BRAND: string = 'sandbox-brand';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Creates the three demo cards (fixed numbers) at start when they are missing. */
  @ToBoolean() @IsBoolean()
  SANDBOX_SEED_DEMO: boolean = true;

  /** Fault injection at start; the same knobs as `PUT /_sandbox/faults`. */
  @ToInt() @Min(0) @Max(600000) @IsInt()
  SANDBOX_FAULT_LATENCY_MS: number = 0;

  @ToInt() @Min(0) @Max(600000) @IsInt()
  SANDBOX_FAULT_JITTER_MS: number = 0;

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  SANDBOX_FAULT_ERROR_RATE: number = 0;

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  SANDBOX_FAULT_RATE_LIMIT_RATE: number = 0;

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  SANDBOX_FAULT_TIMEOUT_RATE: number = 0;

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  SANDBOX_FAULT_DROP_RATE: number = 0;

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  SANDBOX_FAULT_RESET_RATE: number = 0;

  /** Seed of the fault dice; unset = a random seed (shown by `GET /_sandbox/faults`). */
  @IsOptional() @ToInt() @Min(0) @Max(4294967295) @IsInt()
  SANDBOX_FAULT_SEED?: number = undefined;

  /** How long a "timeout" fault holds the connection before destroying it. */
  @ToInt() @Min(0) @Max(600000) @IsInt()
  SANDBOX_FAULT_HANG_MS: number = 30000;

  /** Comma-separated Clutch methods the faults apply to; unset = all methods. */
  @IsOptional() @IsString()
  SANDBOX_FAULT_METHODS?: string = undefined;

  /** Faults: answer HTTP 500 after the call was applied (a lost answer Clutch might really give). */
  @ToNumber() @IsNumber() @Min(0) @Max(1)
  SANDBOX_FAULT_APPLY_THEN_ERROR_RATE: number = 0;

  /** Faults: share of calls held SANDBOX_FAULT_LATE_MS before they are applied (late landings). */
  @ToNumber() @IsNumber() @Min(0) @Max(1)
  SANDBOX_FAULT_LATE_RATE: number = 0;

  @ToInt() @Min(0) @Max(600000) @IsInt()
  SANDBOX_FAULT_LATE_MS: number = 0;

  /** Open holds lapse after this many seconds (unset: never). The same as `holdTtlSeconds` of `PUT /_sandbox/behaviour`. */
  @IsOptional() @ToInt() @Min(1) @Max(31536000) @IsInt()
  SANDBOX_HOLD_TTL_SECONDS?: number = undefined;

  /** A hold for more than the available balance: `refuse` (insufficient funds) or `holdShort`. */
  @IsIn(['refuse', 'holdShort'])
  SANDBOX_OVER_BALANCE_HOLD: string = 'refuse';

  crossCheck(): string[] {
    const total =
      this.SANDBOX_FAULT_ERROR_RATE +
      this.SANDBOX_FAULT_RATE_LIMIT_RATE +
      this.SANDBOX_FAULT_TIMEOUT_RATE +
      this.SANDBOX_FAULT_DROP_RATE +
      this.SANDBOX_FAULT_RESET_RATE +
      this.SANDBOX_FAULT_APPLY_THEN_ERROR_RATE +
      this.SANDBOX_FAULT_LATE_RATE;
    return typeof total === 'number' && total > 1
      ? [`SANDBOX_FAULT_*_RATE: the seven rates must add up to at most 1 (got ${total})`]
      : [];
  }
}
