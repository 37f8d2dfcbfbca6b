import { createHash } from 'node:crypto';
import { matchApiKey, parseApiKeys } from './api-keys';
import { bearerToken } from './api-key.guard';

const digest = (key: string) => createHash('sha256').update(key).digest();

describe('parseApiKeys', () => {
  it('reads name:key[:scope] entries', () => {
    const keys = parseApiKeys('oms:oms-key,csr:csr-key:read', true);
    expect(keys.map(({ name, scope }) => ({ name, scope }))).toEqual([
      { name: 'oms', scope: 'payments' },
      { name: 'csr', scope: 'read' },
    ]);
    expect(matchApiKey(keys, 'csr-key')?.name).toBe('csr');
  });

  it('reads the credits scope (refunds beyond what an order settled on gift cards)', () => {
    const keys = parseApiKeys('oms:oms-key,desk:desk-key:credits', true);
    expect(keys.map(({ name, scope }) => ({ name, scope }))).toEqual([
      { name: 'oms', scope: 'payments' },
      { name: 'desk', scope: 'credits' },
    ]);
    expect(matchApiKey(keys, 'desk-key')?.scope).toBe('credits');
  });

  it('keeps a key that contains ":" whole', () => {
    const keys = parseApiKeys('oms:abc:def:ghi,csr:x:y:read,ops:p:q:payments', true);
    expect(keys.map(({ name, scope }) => ({ name, scope }))).toEqual([
      { name: 'oms', scope: 'payments' },
      { name: 'csr', scope: 'read' },
      { name: 'ops', scope: 'payments' },
    ]);
    expect(keys[0].digest.equals(digest('abc:def:ghi'))).toBe(true);
    expect(matchApiKey(keys, 'abc:def:ghi')?.name).toBe('oms');
    expect(matchApiKey(keys, 'x:y')?.name).toBe('csr');
    expect(matchApiKey(keys, 'p:q')?.name).toBe('ops');
    expect(matchApiKey(keys, 'abc')).toBeUndefined();
  });

  it('refuses an entry without a key', () => {
    expect(() => parseApiKeys('oms:', true)).toThrow(RangeError);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc:def', 'abc:def'],
    ['Bearer   abc  ', 'abc'],
    ['Basic abc', ''],
    ['Bearerabc', ''],
    [undefined, ''],
  ])('%j -> %j', (header, token) => expect(bearerToken(header)).toBe(token));
});
