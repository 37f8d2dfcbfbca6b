import { createHash, timingSafeEqual } from 'node:crypto';
import { DEV_API_KEY } from '../config/adapter.config';

/**
 * payments: everything an OMS does; read: GET only; operator: GET and the operator actions (the console);
 * credits: what payments does, and refunds beyond what the order settled on gift cards (store credit).
 */
export type ApiKeyScope = 'payments' | 'read' | 'operator' | 'credits';

export interface ApiKey {
  name: string;
  scope: ApiKeyScope;
  /** SHA-256 of the key: the key itself is not kept in memory after start-up. */
  digest: Buffer;
}

const SCOPES = new Set<string>(['payments', 'read', 'operator', 'credits']);

/** The operator console's key outside production when API_KEYS is unset (beside `local-dev-key`). */
export const DEV_OPERATOR_KEY = 'local-operator-key';

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Parses `API_KEYS`: comma-separated `name:key[:scope]` entries (scope `payments`, the default, or `read`;
 * the key may contain `:`);
 * a bare `key` is named `key1`, `key2`... Several keys at once allow rotation. Without API_KEYS outside
 * production, the development key `local-dev-key` is accepted.
 */
export function parseApiKeys(value: string | undefined, production: boolean): ApiKey[] {
  if (!value) {
    if (production) return [];
    return [
      { name: 'local-dev', scope: 'payments', digest: digest(DEV_API_KEY) },
      { name: 'local-operator', scope: 'operator', digest: digest(DEV_OPERATOR_KEY) },
    ];
  }
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const separator = entry.indexOf(':');
      if (separator < 0) return { name: `key${index + 1}`, scope: 'payments' as const, digest: digest(entry) };
      // The name ends at the first ':'; the key may itself hold ':'. A last part `payments` or `read` is the scope
      // (a key that ends in ":read" is written with its scope: `name:key:read:payments`).
      const name = entry.slice(0, separator);
      let key = entry.slice(separator + 1);
      let scope: ApiKeyScope = 'payments';
      const last = key.lastIndexOf(':');
      if (last >= 0 && SCOPES.has(key.slice(last + 1))) {
        scope = key.slice(last + 1) as ApiKeyScope;
        key = key.slice(0, last);
      }
      if (!name || !key) throw new RangeError(`API_KEYS: entry ${index + 1} needs a name and a key (name:key[:scope])`);
      return { name, scope, digest: digest(key) };
    });
}

/** Finds the key a presented bearer token matches, comparing digests in constant time. */
export function matchApiKey(keys: ApiKey[], presented: string): ApiKey | undefined {
  const candidate = digest(presented);
  let found: ApiKey | undefined;
  for (const key of keys) if (timingSafeEqual(key.digest, candidate)) found = key;
  return found;
}
