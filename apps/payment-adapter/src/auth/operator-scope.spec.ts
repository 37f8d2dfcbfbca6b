import { DEV_OPERATOR_KEY, matchApiKey, parseApiKeys } from './api-keys';

describe('the operator scope of API keys', () => {
  it('is parsed from name:key:operator', () => {
    const keys = parseApiKeys('oms:oms-key,ops:ops-key:operator', false);
    expect(keys.map((k) => [k.name, k.scope])).toEqual([
      ['oms', 'payments'],
      ['ops', 'operator'],
    ]);
    expect(matchApiKey(keys, 'ops-key')?.scope).toBe('operator');
  });

  it('has a development key beside local-dev-key when API_KEYS is unset, and none in production', () => {
    const keys = parseApiKeys(undefined, false);
    expect(matchApiKey(keys, DEV_OPERATOR_KEY)).toMatchObject({ name: 'local-operator', scope: 'operator' });
    expect(matchApiKey(keys, 'local-dev-key')).toMatchObject({ scope: 'payments' });
    expect(parseApiKeys(undefined, true)).toEqual([]);
  });
});
