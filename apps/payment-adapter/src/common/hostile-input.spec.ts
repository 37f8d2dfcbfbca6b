import { hostileStrings, jsonDepthExceeds, malformedQueryParameters, textProblem } from './hostile-input';

describe('textProblem', () => {
  it.each(['ORD-1', 'Ünïcödé', 'emoji 😀', ''])('accepts %j', (text) => expect(textProblem(text)).toBeNull());
  it.each(['a\u0000b', 'tab\t', 'line\n', '\u007f', '\u0085', 'x\ud800', '\udfffx', '\ud83d'])('refuses %j', (text) => expect(textProblem(text)).not.toBeNull());
});

describe('hostileStrings', () => {
  it('names fields by their path, keys included', () => {
    expect(hostileStrings({ a: 'ok', b: 'n\u0000', c: [{ d: 'x\ud800' }, 'fine'], ['k\u0001']: 1 }).map((f) => f.field)).toEqual(['b', 'c.0.d', 'k?']);
    expect(hostileStrings('\u0000').map((f) => f.field)).toEqual(['body']);
    expect(hostileStrings({ n: 1, t: true, z: null })).toEqual([]);
  });
});

describe('jsonDepthExceeds', () => {
  it('counts nesting outside strings only', () => {
    expect(jsonDepthExceeds('{"a":[[1]]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[[[1]]]}', 3)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(jsonDepthExceeds('[]'.repeat(1000), 1)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(2000) + ']'.repeat(2000), 32)).toBe(true);
  });
});

describe('malformedQueryParameters', () => {
  it('finds parameters that are not percent-encoded UTF-8', () => {
    expect(malformedQueryParameters('/v1/x?orderId=%ED%A0%80&status=OPEN').map((f) => f.field)).toEqual(['orderId']);
    expect(malformedQueryParameters('/v1/x?a=%FF')).toHaveLength(1);
    expect(malformedQueryParameters('/v1/x?a=%C3%A9&b=c+d')).toEqual([]);
    expect(malformedQueryParameters('/v1/x')).toEqual([]);
  });
});
