import { CLUTCH_ERRORS, ClutchRefusal } from '@gcpa/clutch';
import { Injectable } from '@nestjs/common';
import { SandboxConfig } from '../config/sandbox.config';

/**
 * The sandbox's choices where Clutch's behaviour is [unknown] (shared Clutch notes), switchable through
 * `PUT /_sandbox/behaviour` so tests can run the adapter against each reading. The defaults are the
 * conservative ones the README lists under "Clutch: what is confirmed and what is not".
 */
export interface BehaviourSettings {
  /** A hold for more than the available balance: refused (insufficient funds), or held short (`didOverdraw`). */
  overBalanceHold: 'refuse' | 'holdShort';
  /** Open holds lapse after this many seconds; null = never (the Clutch hold lifetime is not known). */
  holdTtlSeconds: number | null;
  /** The errorCode of each refusal. Defaults: the recorded codes, and our 9xx choices for the rest. */
  errorCodes: Record<ClutchRefusal, number>;
  /** `allocate {cardSetId}` sent again with the same customRequestId gives back the same card (nothing suggests Clutch does). */
  allocateIdempotent: boolean;
  /** `voidTransaction` of a hold releases it (never relied on by the adapter). */
  voidHolds: boolean;
}

export class BehaviourSettingsError extends Error {}

const defaultCodes = (): Record<ClutchRefusal, number> =>
  Object.fromEntries(Object.entries(CLUTCH_ERRORS).map(([refusal, row]) => [refusal, row.code])) as Record<ClutchRefusal, number>;

export function defaultBehaviour(config?: Pick<SandboxConfig, 'SANDBOX_HOLD_TTL_SECONDS' | 'SANDBOX_OVER_BALANCE_HOLD'>): BehaviourSettings {
  return {
    overBalanceHold: (config?.SANDBOX_OVER_BALANCE_HOLD as BehaviourSettings['overBalanceHold'] | undefined) ?? 'refuse',
    holdTtlSeconds: config?.SANDBOX_HOLD_TTL_SECONDS ?? null,
    errorCodes: defaultCodes(),
    allocateIdempotent: false,
    voidHolds: false,
  };
}

/** Reads `PUT /_sandbox/behaviour`: fields left out keep their defaults; `errorCodes` may name only some refusals. */
export function parseBehaviour(raw: unknown, base: BehaviourSettings): BehaviourSettings {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BehaviourSettingsError('body must be a JSON object');
  const body = raw as Record<string, unknown>;
  const known = new Set(['overBalanceHold', 'holdTtlSeconds', 'errorCodes', 'allocateIdempotent', 'voidHolds']);
  for (const field of Object.keys(body)) if (!known.has(field)) throw new BehaviourSettingsError(`unknown field ${field}`);
  const settings: BehaviourSettings = { ...base, errorCodes: { ...defaultCodes() } };
  if (body.overBalanceHold !== undefined) {
    if (body.overBalanceHold !== 'refuse' && body.overBalanceHold !== 'holdShort') throw new BehaviourSettingsError('overBalanceHold must be "refuse" or "holdShort"');
    settings.overBalanceHold = body.overBalanceHold;
  }
  if (body.holdTtlSeconds !== undefined) {
    const ttl = body.holdTtlSeconds;
    if (ttl !== null && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 31_536_000)) {
      throw new BehaviourSettingsError('holdTtlSeconds must be null or an integer between 1 and 31536000');
    }
    settings.holdTtlSeconds = ttl as number | null;
  }
  for (const flag of ['allocateIdempotent', 'voidHolds'] as const) {
    if (body[flag] === undefined) continue;
    if (typeof body[flag] !== 'boolean') throw new BehaviourSettingsError(`${flag} must be true or false`);
    settings[flag] = body[flag] as boolean;
  }
  if (body.errorCodes !== undefined) {
    const codes = body.errorCodes;
    if (codes === null || typeof codes !== 'object' || Array.isArray(codes)) throw new BehaviourSettingsError('errorCodes must be an object');
    for (const [refusal, code] of Object.entries(codes)) {
      if (!(refusal in CLUTCH_ERRORS)) throw new BehaviourSettingsError(`errorCodes: unknown refusal ${refusal} (one of ${Object.keys(CLUTCH_ERRORS).join(', ')})`);
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 0) throw new BehaviourSettingsError(`errorCodes.${refusal} must be a non-negative integer`);
      settings.errorCodes[refusal as ClutchRefusal] = code;
    }
  }
  return settings;
}

/** The behaviour in force: from the environment at boot, then from `/_sandbox/behaviour`. */
@Injectable()
export class SandboxBehaviour {
  private current: BehaviourSettings;
  private readonly initial: BehaviourSettings;

  constructor(config: SandboxConfig) {
    this.initial = defaultBehaviour(config);
    this.current = this.initial;
  }

  get settings(): BehaviourSettings {
    return this.current;
  }

  configure(body: unknown): BehaviourSettings {
    this.current = parseBehaviour(body, this.initial);
    return this.current;
  }

  reset(): BehaviourSettings {
    this.current = this.initial;
    return this.current;
  }

  codeFor(refusal: ClutchRefusal): number {
    return this.current.errorCodes[refusal];
  }
}
