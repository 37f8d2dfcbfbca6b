import { ToInt } from '@gcpa/config';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';

/** Settings of the Clutch sandbox, from the environment, validated at boot; documented in the README. */
export class SandboxConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: string = 'development';

  @IsString() @IsNotEmpty()
  HOST: string = '127.0.0.1';

  @ToInt() @IsInt() @Min(0) @Max(65535)
  SANDBOX_PORT: number = 3100;

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['postgres', 'postgresql'], require_protocol: true }, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string = undefined;

  @IsString() @IsNotEmpty()
  DATA_DIR: string = './.data';

  @ToInt() @IsInt() @Min(1) @Max(200)
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
}
