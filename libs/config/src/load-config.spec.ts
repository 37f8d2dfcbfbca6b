import { IsIn, IsInt, IsOptional, IsUrl, Matches, Max, Min } from 'class-validator';
import { ConfigValidationError, loadConfig } from './load-config';
import { ToInt } from './env-transforms';

class ExampleEnv {
  @ToInt() @Min(1) @Max(65535) @IsInt()
  PORT: number = 3000;

  @IsIn(['development', 'test', 'production'])
  NODE_ENV: string = 'development';

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['postgres', 'postgresql'], require_protocol: true })
  DATABASE_URL?: string = undefined;

  @IsOptional() @Matches(/^whsec_/)
  WEBHOOK_SECRET?: string = undefined;
}

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    const config = loadConfig(ExampleEnv, { PORT: '8080' });
    expect(config.PORT).toBe(8080);
    expect(config.NODE_ENV).toBe('development');
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('never echoes the value of a secret, only its length', () => {
    expect(() => loadConfig(ExampleEnv, { WEBHOOK_SECRET: 'hunter2-is-not-base64' })).toThrow(/WEBHOOK_SECRET: .*\(got 21 characters, not shown\)/);
    expect(() => loadConfig(ExampleEnv, { WEBHOOK_SECRET: 'hunter2-is-not-base64' })).not.toThrow(/hunter2/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(ExampleEnv, { PORT: '' }).PORT).toBe(3000);
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadConfig(ExampleEnv, { PORT: 'abc', NODE_ENV: 'staging', DATABASE_URL: 'nope' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const message = (caught as Error).message;
    expect(message).toMatch(/PORT: .*"abc"/);
    expect(message).toMatch(/NODE_ENV: .*"staging"/);
    expect(message).toMatch(/DATABASE_URL/);
  });
});
