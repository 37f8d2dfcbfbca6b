import { ExpiryLink, nextExpiryStep, reauthorizationOrder, shortfallOf } from './expiry-rules';

const NOW = new Date('2026-12-01T12:00:00Z');
const HOUR = 3600_000;
const at = (hoursFromNow: number) => new Date(NOW.getTime() + hoursFromNow * HOUR);

function link(fields: Partial<ExpiryLink> & Pick<ExpiryLink, 'id'>): ExpiryLink {
  return { previousId: null, state: 'OPEN', closedReason: null, heldMinor: 3000n, expiresAt: at(100), hasCalls: true, ...fields };
}

describe('which link of a chain the expiry job acts on, and how', () => {
  const before = 24 * HOUR;

  it('leaves a hold alone until it is within REAUTHORIZE_BEFORE_HOURS of its expiry', () => {
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(25) })], NOW, before)).toEqual({ kind: 'NONE' });
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(24) })], NOW, before)).toEqual({ kind: 'REAUTHORIZE', linkId: 'a' });
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(1) })], NOW, before)).toEqual({ kind: 'REAUTHORIZE', linkId: 'a' });
  });

  it('expires an open link past its expiry, whatever else the chain has', () => {
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(0) })], NOW, before)).toEqual({ kind: 'EXPIRE', linkId: 'a' });
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(-1) }), link({ id: 'b', previousId: 'a', state: 'CLOSED', closedReason: 'DECLINED', heldMinor: 0n })], NOW, before))
      .toEqual({ kind: 'EXPIRE', linkId: 'a' });
  });

  it('re-authorizes only what still holds value for unshipped goods', () => {
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(1), heldMinor: 0n })], NOW, before)).toEqual({ kind: 'NONE' });
    expect(nextExpiryStep([link({ id: 'a', expiresAt: null })], NOW, before)).toEqual({ kind: 'NONE' });
    expect(nextExpiryStep([link({ id: 'a', state: 'CLOSED', closedReason: 'SETTLED', expiresAt: at(-5) })], NOW, before)).toEqual({ kind: 'NONE' });
  });

  it('with REAUTHORIZE_BEFORE_HOURS=0 only expires', () => {
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(0.1) })], NOW, 0)).toEqual({ kind: 'NONE' });
    expect(nextExpiryStep([link({ id: 'a', expiresAt: at(-0.1) })], NOW, 0)).toEqual({ kind: 'EXPIRE', linkId: 'a' });
  });

  it('does not try again after a re-hold was declined (the OMS was told): the link waits for its expiry', () => {
    const chain = [link({ id: 'a', expiresAt: at(2) }), link({ id: 'b', previousId: 'a', state: 'CLOSED', closedReason: 'DECLINED', heldMinor: 0n })];
    expect(nextExpiryStep(chain, NOW, before)).toEqual({ kind: 'NONE' });
  });

  it('places again a new link that was not processed, or never asked for (a crash before its hold)', () => {
    const failed = [link({ id: 'a', expiresAt: at(2) }), link({ id: 'b', previousId: 'a', state: 'FAILED', heldMinor: 0n })];
    expect(nextExpiryStep(failed, NOW, before)).toEqual({ kind: 'PLACE_SUCCESSOR', linkId: 'b' });
    const neverAsked = [link({ id: 'a', expiresAt: at(2) }), link({ id: 'b', previousId: 'a', state: 'PENDING', heldMinor: 0n, hasCalls: false })];
    expect(nextExpiryStep(neverAsked, NOW, before)).toEqual({ kind: 'PLACE_SUCCESSOR', linkId: 'b' });
  });

  it('leaves a new link whose hold is in flight or unresolved to the chain resolution', () => {
    const inFlight = [link({ id: 'a', expiresAt: at(2) }), link({ id: 'b', previousId: 'a', state: 'PENDING', heldMinor: 0n, hasCalls: true })];
    expect(nextExpiryStep(inFlight, NOW, before)).toEqual({ kind: 'NONE' });
  });

  it('places the new link of a chain whose old hold was released first (no open link left)', () => {
    const chain = [
      link({ id: 'a', state: 'CLOSED', closedReason: 'REAUTHORIZED', heldMinor: 0n, expiresAt: at(2) }),
      link({ id: 'b', previousId: 'a', state: 'PENDING', heldMinor: 0n, hasCalls: false, expiresAt: null }),
    ];
    expect(nextExpiryStep(chain, NOW, before)).toEqual({ kind: 'PLACE_SUCCESSOR', linkId: 'b' });
    // An unplaced advanced hold (after a settlement) is the settlement's business, not the expiry job's.
    const advanced = [chain[0], { ...chain[1] }].map((l, i) => (i === 0 ? { ...l, closedReason: 'SUPERSEDED' as const } : l));
    expect(nextExpiryStep(advanced, NOW, before)).toEqual({ kind: 'NONE' });
  });
});

describe('the order of a re-authorization', () => {
  it('holds the new one first when the card can carry both holds', () => {
    expect(reauthorizationOrder(3000n, 3000n)).toBe('HOLD_FIRST');
    expect(reauthorizationOrder(3000n, 9000n)).toBe('HOLD_FIRST');
  });

  it('releases the old one first when its own reservation is what the new one needs', () => {
    expect(reauthorizationOrder(3000n, 2999n)).toBe('RELEASE_FIRST');
    expect(reauthorizationOrder(3000n, 0n)).toBe('RELEASE_FIRST');
  });
});

describe('the shortfall of a re-hold', () => {
  it('is what the new hold did not get', () => {
    expect(shortfallOf(3000n, 3000n)).toBe(0n);
    expect(shortfallOf(3000n, 1200n)).toBe(1800n);
    expect(shortfallOf(3000n, 0n)).toBe(3000n);
  });
});
