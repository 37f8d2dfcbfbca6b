import { differences, nextStep, stepsOf } from './fulfillment-steps';
import { GiftCardFulfillment } from './gift-card-fulfillment.entity';

const at = new Date('2026-01-01T00:00:00Z');
const electronic = (changes: Partial<GiftCardFulfillment> = {}) =>
  ({
    kind: 'ELECTRONIC',
    status: 'PENDING',
    cardSetId: 'egift',
    cardHash: null,
    currency: 'USD',
    amountMinor: 2500n,
    allocatedAt: null,
    activatedAt: null,
    issuedAt: null,
    allocateReference: null,
    activateReference: null,
    issueReference: null,
    ...changes,
  }) as GiftCardFulfillment;

describe('nextStep', () => {
  it('runs an electronic card through allocate, activate, issue', () => {
    expect(nextStep(electronic())).toBe('ALLOCATE');
    expect(nextStep(electronic({ allocatedAt: at }))).toBe('ACTIVATE');
    expect(nextStep(electronic({ allocatedAt: at, activatedAt: at }))).toBe('ISSUE');
    expect(nextStep(electronic({ allocatedAt: at, activatedAt: at, issuedAt: at }))).toBeNull();
  });

  it('starts a physical card at activation', () => {
    expect(nextStep(electronic({ kind: 'PHYSICAL', cardSetId: null }))).toBe('ACTIVATE');
  });

  it('runs nothing for a finished or failed fulfillment', () => {
    expect(nextStep(electronic({ status: 'FAILED' }))).toBeNull();
    expect(nextStep(electronic({ status: 'COMPLETED', allocatedAt: at, activatedAt: at, issuedAt: at }))).toBeNull();
  });
});

describe('stepsOf', () => {
  it('lists the steps reached, in order, with their references', () => {
    const later = new Date(at.getTime() + 1000);
    expect(stepsOf(electronic({ allocatedAt: at, activatedAt: later, activateReference: 'tx-2' }))).toEqual([
      { step: 'ALLOCATED', at, providerReference: null },
      { step: 'ACTIVATED', at: later, providerReference: 'tx-2' },
    ]);
  });
});

describe('differences', () => {
  const same = { kind: 'ELECTRONIC' as const, cardSetId: 'egift', cardHash: null, currency: 'USD', amountMinor: 2500n };

  it('finds none for the same line request, whatever card an electronic line was given', () => {
    expect(differences(electronic({ cardHash: 'h' }), same)).toEqual([]);
  });

  it("never takes a refund's card for a sold line, nor the other way round", () => {
    expect(differences(electronic({ returnRelated: true }), same)).toEqual(['returnRelated']);
    expect(differences(electronic(), { ...same, returnRelated: true })).toEqual(['returnRelated']);
    expect(differences(electronic({ returnRelated: true }), { ...same, returnRelated: true })).toEqual([]);
  });

  it('names every differing field', () => {
    expect(differences(electronic(), { ...same, cardSetId: 'other', amountMinor: 1n, currency: 'EUR' })).toEqual(['cardSetId', 'currency', 'amount']);
    const physical = electronic({ kind: 'PHYSICAL', cardSetId: null, cardHash: 'a' });
    expect(differences(physical, { ...same, kind: 'PHYSICAL', cardSetId: null, cardHash: 'b' })).toEqual(['cardNumber']);
    expect(differences(physical, same)).toEqual(['kind', 'cardSetId']);
  });
});
