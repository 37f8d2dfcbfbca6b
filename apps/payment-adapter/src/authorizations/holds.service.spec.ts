import { ProviderDeclinedError, ProviderOutcomeUnknownError, ProviderUnavailableError } from '@gcpa/gift-card-provider';
import { CardVault } from '../card-data/card-vault';
import { Authorization } from './authorization.entity';
import { InMemoryAuthorizationsRepository } from './authorizations.repository.fake';
import { HOLD_TTL_MS, holdsWorld, ScriptedCalls, ScriptedProvider } from './collaborators.fake';
import { PassThroughFence, RecordedHistory } from '../testing/doubles';
import { HoldsService } from './holds.service';
import { newAuthorization, nextLinkOf } from './new-authorization';

const CARD = '6006491234567890';
const money = (minor: bigint) => ({ minor, currency: 'USD' });

describe('HoldsService', () => {
  let repository: InMemoryAuthorizationsRepository;
  let history: RecordedHistory;
  let calls: ScriptedCalls;
  let provider: ScriptedProvider;
  let fence: PassThroughFence;
  let vault: CardVault;
  let holds: HoldsService;

  beforeEach(() => {
    ({ repository, history, calls, provider, fence, vault, holds } = holdsWorld());
  });

  /** A PENDING authorization of `requestedMinor`, stored. */
  function pending(requestedMinor: bigint, allowPartial = false): Authorization {
    const authorization = newAuthorization({ orderId: 'ORD-1', card: vault.protect(CARD), currency: 'USD', requestedMinor, allowPartial });
    repository.add(authorization);
    return authorization;
  }

  it('records an approved hold in the commit of its answer: OPEN, what was held, the hold id, its expiry, and the caller\'s writes', async () => {
    const authorization = pending(5000n);
    provider.holds.push({ holdId: 'H-1', heldAmount: money(5000n) });
    const onApproved = jest.fn(async () => undefined);

    const before = Date.now();
    await expect(holds.place(authorization, '1234', 'oms', false, onApproved)).resolves.toBe('APPROVED');

    const stored = repository.stored(authorization.id)!;
    expect(stored).toMatchObject({ state: 'OPEN', decision: 'APPROVED', providerHoldId: 'H-1', approvedMinor: 5000n, heldMinor: 5000n });
    expect(stored.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + HOLD_TTL_MS);
    expect(provider.asked).toEqual([{ operation: 'hold', amountMinor: 5000n, pin: '1234' }]);
    expect(history.events).toEqual([
      expect.objectContaining({ type: 'AUTHORIZATION_HOLD_APPROVED', fromState: 'PENDING', toState: 'OPEN', amountMinor: 5000n, providerCallId: 'call-1', providerTransactionId: 'H-1' }),
    ]);
    expect(onApproved).toHaveBeenCalledTimes(1);
  });

  it('holds what the card has under partial approval, read first: never more than the balance, reported as PARTIALLY_APPROVED', async () => {
    const authorization = pending(5000n, true);
    provider.balances.push({ available: money(3000n), held: money(0n), active: true });
    provider.holds.push({ holdId: 'H-1', heldAmount: money(3000n) });

    await expect(holds.place(authorization, undefined, 'oms', false)).resolves.toBe('APPROVED');

    expect(provider.asked.map((a) => [a.operation, a.amountMinor])).toEqual([['balance', undefined], ['hold', 3000n]]);
    expect(repository.stored(authorization.id)).toMatchObject({ state: 'OPEN', decision: 'PARTIALLY_APPROVED', requestedMinor: 5000n, heldMinor: 3000n });
  });

  it('declines an empty card under partial approval without asking for a hold', async () => {
    const authorization = pending(5000n, true);
    provider.balances.push({ available: money(0n), held: money(0n), active: true });

    await expect(holds.place(authorization, undefined, 'oms', false)).resolves.toBe('DECLINED');

    expect(calls.intents).toEqual([]);
    expect(repository.stored(authorization.id)).toMatchObject({ state: 'CLOSED', closedReason: 'DECLINED', decision: 'DECLINED', declineReason: 'INSUFFICIENT_FUNDS', heldMinor: 0n });
  });

  it('records a decline in one transaction of its own, with its reason and the provider\'s message', async () => {
    const authorization = pending(5000n);
    provider.holds.push(new ProviderDeclinedError('INVALID_PIN', 'PIN mismatch'));

    await expect(holds.place(authorization, '0000', 'oms', false)).resolves.toBe('DECLINED');

    expect(repository.stored(authorization.id)).toMatchObject({ state: 'CLOSED', closedReason: 'DECLINED', declineReason: 'INVALID_PIN', providerHoldId: null });
    expect(repository.transactions).toBe(1);
    expect(history.events).toEqual([expect.objectContaining({ type: 'AUTHORIZATION_HOLD_DECLINED', toState: 'CLOSED/DECLINED', providerMessage: 'PIN mismatch', providerCallId: 'call-1' })]);
  });

  it('tries a partial hold once more when the card was spent between the balance read and the hold', async () => {
    const authorization = pending(5000n, true);
    provider.balances.push({ available: money(5000n), held: money(0n), active: true }, { available: money(1200n), held: money(0n), active: true });
    provider.holds.push(new ProviderDeclinedError('INSUFFICIENT_FUNDS'), { holdId: 'H-2', heldAmount: money(1200n) });

    await expect(holds.place(authorization, undefined, 'oms', false)).resolves.toBe('APPROVED');

    expect(provider.asked.filter((a) => a.operation === 'hold').map((a) => a.amountMinor)).toEqual([5000n, 1200n]);
    expect(repository.stored(authorization.id)).toMatchObject({ state: 'OPEN', providerHoldId: 'H-2', heldMinor: 1200n, declineReason: null });
    expect(history.types()).toEqual(['AUTHORIZATION_HOLD_APPROVED']);
  });

  it('leaves a hold the provider could not be asked for FAILED (a retry may place it), in a fenced transaction', async () => {
    const authorization = pending(5000n);
    provider.holds.push(new ProviderUnavailableError('503 from the provider'));

    await expect(holds.place(authorization, undefined, 'oms', false)).resolves.toBe('NOT_PROCESSED');

    expect(repository.stored(authorization.id)).toMatchObject({ state: 'FAILED', decision: null, providerHoldId: null });
    expect(fence.transactions).toBe(1);
    expect(repository.transactions).toBe(0);
    expect(history.events).toEqual([expect.objectContaining({ type: 'AUTHORIZATION_HOLD_NOT_PROCESSED', detail: { errorKind: 'UNAVAILABLE' } })]);
  });

  it('releases a lost hold that is found when nobody is to be told of it, recording the hold call with the release', async () => {
    const authorization = pending(5000n);
    provider.holds.push(new ProviderOutcomeUnknownError('timeout'));
    calls.resolutions.push({ applied: true, transaction: { transactionId: 'H-LOST', amount: money(5000n) } });
    provider.releases.push({ transactionId: 'R-1' });

    await expect(holds.place(authorization, undefined, 'oms', false)).resolves.toBe('UNKNOWN');

    expect(provider.asked.map((a) => a.operation)).toEqual(['hold', 'releaseHold']);
    expect(provider.asked[1].holdId).toBe('H-LOST');
    expect(calls.recordedApplied).toEqual(['call-1']);
    expect(repository.stored(authorization.id)).toMatchObject({ state: 'FAILED', providerHoldId: null, heldMinor: 0n });
  });

  it('adopts a lost hold that is found when the caller will report it', async () => {
    const authorization = pending(5000n);
    provider.holds.push(new ProviderOutcomeUnknownError('timeout'));
    calls.resolutions.push({ applied: true, transaction: { transactionId: 'H-LOST', amount: money(5000n) } });

    await expect(holds.place(authorization, undefined, 'recovery-sweep', true)).resolves.toBe('APPROVED');

    expect(provider.asked.map((a) => a.operation)).toEqual(['hold']);
    expect(repository.stored(authorization.id)).toMatchObject({ state: 'OPEN', providerHoldId: 'H-LOST', heldMinor: 5000n });
  });

  it('closes the old link REAUTHORIZED when its re-hold is approved, and tells the OMS what the short re-hold no longer holds', async () => {
    const old = pending(5000n);
    repository.add(Object.assign(old, { state: 'OPEN', decision: 'APPROVED', providerHoldId: 'H-OLD', approvedMinor: 5000n, heldMinor: 5000n }));
    const link = nextLinkOf(old, 5000n);
    repository.add(link);
    provider.balances.push({ available: money(4000n), held: money(5000n), active: true });
    provider.holds.push({ holdId: 'H-NEW', heldAmount: money(4000n) });

    await expect(holds.place(link, undefined, 'expiry-job', true)).resolves.toBe('APPROVED');

    expect(repository.stored(old.id)).toMatchObject({ state: 'CLOSED', closedReason: 'REAUTHORIZED', heldMinor: 0n, nextId: link.id });
    expect(repository.stored(link.id)).toMatchObject({ state: 'OPEN', heldMinor: 4000n, previousId: old.id });
    expect(history.types()).toEqual(['AUTHORIZATION_HOLD_APPROVED', 'AUTHORIZATION_REAUTHORIZED', 'AUTHORIZATION_EXPIRING']);
    expect(history.events[2]).toMatchObject({ authorizationId: link.id, amountMinor: 1000n, detail: expect.objectContaining({ shortfall: '10.00', previousAuthorizationId: old.id }) });
  });

  it('counts a hold already gone at the provider as released, and records what that means in a fenced transaction', async () => {
    const open = pending(5000n);
    repository.add(Object.assign(open, { state: 'OPEN', providerHoldId: 'H-1', heldMinor: 5000n }));
    provider.releases.push(new ProviderDeclinedError('HOLD_NOT_AVAILABLE'));

    const release = await holds.release(open, 'H-1', 'oms', (m, callId) =>
      holds.transition(open, 'REVERSED', { heldMinor: 0n }, 'oms', { providerCallId: callId }, m),
    );

    expect(release).toEqual({ released: true, callId: 'call-1', unknown: false });
    expect(fence.transactions).toBe(1);
    expect(repository.stored(open.id)).toMatchObject({ state: 'CLOSED', closedReason: 'REVERSED', heldMinor: 0n });
  });

  it('writes only the columns an event changes, never a stale copy of the rest (such as the chain lock\'s lease)', async () => {
    const authorization = pending(5000n);
    repository.add(Object.assign(new Authorization(), authorization, { lockOwner: 'another-worker' }));

    await holds.transition(authorization, 'HOLD_NOT_PROCESSED', {}, 'oms');

    expect(repository.stored(authorization.id)).toMatchObject({ state: 'FAILED', lockOwner: 'another-worker' });
  });
});
