import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';

/** Thrown at start-up when the environment does not describe a runnable service. Names every bad variable. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Builds a typed configuration object from environment variables. The class declares each variable as a
 * property with class-validator rules and a default initialiser; empty strings count as unset.
 */
export function loadConfig<T extends object>(schema: new () => T, env: Env = process.env): T {
  const defaults = new schema() as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const value = env[key];
    plain[key] = value === undefined || value === '' ? defaults[key] : value;
  }
  const config = plainToInstance(schema, plain, { enableImplicitConversion: false });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: false, stopAtFirstError: true });
  const problems = errors.flatMap((error) => describe(error, plain));
  const crossChecks = (config as { crossCheck?: () => string[] }).crossCheck?.() ?? [];
  problems.push(...crossChecks);
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return config;
}

function describe(error: ValidationError, plain: Record<string, unknown>): string[] {
  const raw = plain[error.property];
  // A secret's value is never echoed (the message goes to the logs): only its length.
  const secret = /SECRET|_KEY$|_KEYS$/.test(error.property);
  const shown = raw === undefined ? 'unset' : secret ? `got ${String(raw).length} characters, not shown` : `got ${JSON.stringify(String(raw))}`;
  const messages = Object.values(error.constraints ?? {}).map((m) => m.replace(new RegExp(`^${error.property} `), ''));
  return [`${error.property}: ${messages.join('; ')} (${shown})`];
}

/** Prints a configuration error without a stack trace and stops the process; rethrows anything else. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
