import { createHash, timingSafeEqual } from 'node:crypto';
import { DEV_API_KEY } from '../config/adapter.config';

export type ApiKeyScope = 'payments' | 'read';

export interface ApiKey {
  name: string;
  scope: ApiKeyScope;
  /** SHA-256 of the key: the key itself is not kept in memory after start-up. */
  digest: Buffer;
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Parses `API_KEYS`: comma-separated `name:key[:scope]` entries (scope `payments`, the default, or `read`);
 * a bare `key` is named `key1`, `key2`... Several keys at once allow rotation. Without API_KEYS outside
 * production, the development key `local-dev-key` is accepted.
 */
export function parseApiKeys(value: string | undefined, production: boolean): ApiKey[] {
  if (!value) return production ? [] : [{ name: 'local-dev', scope: 'payments', digest: digest(DEV_API_KEY) }];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const parts = entry.split(':');
      if (parts.length === 1) return { name: `key${index + 1}`, scope: 'payments' as const, digest: digest(parts[0]) };
      const [name, key, scope = 'payments'] = parts;
      if (scope !== 'payments' && scope !== 'read') throw new RangeError(`API_KEYS: unknown scope ${scope} for ${name}`);
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
