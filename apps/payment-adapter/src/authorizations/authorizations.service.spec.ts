import { ProviderDeclinedError, ProviderUnavailableError } from '@gcpa/gift-card-provider';
import { CardVault } from '../card-data/card-vault';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { PinLockoutService, PinVerdict } from '../security/pin-lockout.service';
import { SettlementsService } from '../settlements/settlements.service';
import { Authorization } from './authorization.entity';
import { AuthorizationsService, AuthorizeRequest } from './authorizations.service';
import { InMemoryAuthorizationsRepository } from './authorizations.repository.fake';
import { holdsWorld, ScriptedCalls, ScriptedProvider } from './collaborators.fake';
import { FreeChainLock, PassThroughFence, RecordedHistory } from '../testing/doubles';
import { HoldsService } from './holds.service';
import { newAuthorization } from './new-authorization';

const CARD = '6006491234567890';
const money = (minor: bigint) => ({ minor, currency: 'USD' });

/** The PIN attempts as counted: begun, cleared with an approval, or settled with a verdict. */
class CountedPins {
  readonly begun: string[] = [];
  readonly clearedWithApproval: string[] = [];
  readonly finished: PinVerdict[] = [];

  async beginAttempt(cardHash: string): Promise<void> {
    this.begun.push(cardHash);
  }

  async recordSuccess(cardHash: string, manager?: unknown): Promise<void> {
    if (manager) this.clearedWithApproval.push(cardHash);
  }

  async finishAttempt(_cardHash: string, _withPin: boolean, verdict: PinVerdict): Promise<void> {
    this.finished.push(verdict);
  }
}

describe('AuthorizationsService', () => {
  let repository: InMemoryAuthorizationsRepository;
  let history: RecordedHistory;
  let calls: ScriptedCalls;
  let provider: ScriptedProvider;
  let fence: PassThroughFence;
  let lock: FreeChainLock;
  let pins: CountedPins;
  let vault: CardVault;
  /** What the chain repair answers: whether every earlier call of the chain is resolved. */
  let resolved: boolean;
  let failedOpen: string[];
  let service: AuthorizationsService;

  beforeEach(() => {
    let holds: HoldsService;
    ({ repository, history, calls, provider, fence, vault, holds } = holdsWorld());
    lock = new FreeChainLock();
    pins = new CountedPins();
    resolved = true;
    failedOpen = [];
    const repair = {
      resolveChain: async () => resolved,
      unplacedLinks: async (rootId: string) => (await repository.chainOf(rootId)).filter((a) => a.state === 'FAILED' || a.state === 'PENDING'),
      chainStillHolds: async () => false,
    } as unknown as ChainRepair;
    const settlements = {
      openLink: async (rootId: string) => (await repository.chainOf(rootId)).find((a) => a.state === 'OPEN') ?? null,
      failOpen: async (rootId: string) => void failedOpen.push(rootId),
    } as unknown as SettlementsService;
    service = new AuthorizationsService(repository, vault, holds, lock, settlements, repair, pins as unknown as PinLockoutService, fence);
  });

  const request = (fields: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
    orderId: 'ORD-1',
    cardNumber: CARD,
    pin: '1234',
    amount: '50.00',
    currency: 'USD',
    allowPartial: false,
    ...fields,
  });

  /** An authorization stored under `key` in `state`, as an earlier request left it. */
  function earlier(key: string, changes: Partial<Authorization>): Authorization {
    const authorization = Object.assign(
      newAuthorization({ orderId: 'ORD-1', card: vault.protect(CARD), currency: 'USD', requestedMinor: 5000n, allowPartial: false, idempotencyKey: key }),
      changes,
    );
    repository.add(authorization);
    return authorization;
  }

  it('inserts a new authorization with its chain already locked, and approves it with the lock released and the PIN cleared in the same commit', async () => {
    provider.holds.push({ holdId: 'H-1', heldAmount: money(5000n) });

    const authorization = await service.authorize(request(), 'oms', 'K-1');

    const [stored] = repository.all();
    expect(stored).toMatchObject({ id: authorization.id, idempotencyKey: 'K-1', lockOwner: 'lease-owner-1', state: 'OPEN', heldMinor: 5000n, cardLast4: '7890' });
    expect(stored.cardEncrypted).not.toContain(CARD);
    expect(fence.releases).toBe(1);
    expect(pins.clearedWithApproval).toEqual([vault.hash(CARD)]);
    // Settled with the approval: no second settlement of the attempt after it.
    expect(pins.finished).toEqual([]);
  });

  it('answers a declined hold with the closed authorization, and counts a wrong PIN', async () => {
    provider.holds.push(new ProviderDeclinedError('INVALID_PIN'));

    const authorization = await service.authorize(request({ pin: '0000' }), 'oms', 'K-1');

    expect(authorization).toMatchObject({ state: 'CLOSED', declineReason: 'INVALID_PIN' });
    expect(repository.stored(authorization.id)).toMatchObject({ state: 'CLOSED', closedReason: 'DECLINED' });
    expect(pins.finished).toEqual(['WRONG_PIN']);
    expect(fence.releases).toBe(0);
  });

  it('refuses with 503 NOT_APPLIED when the provider could not be asked, leaving the authorization FAILED for a retry', async () => {
    provider.holds.push(new ProviderUnavailableError('down'));

    await expect(service.authorize(request(), 'oms', 'K-1')).rejects.toMatchObject({ status: 503, details: { outcome: 'NOT_APPLIED' } });

    expect(repository.all()).toEqual([expect.objectContaining({ idempotencyKey: 'K-1', state: 'FAILED' })]);
    expect(pins.finished).toEqual(['NO_VERDICT']);
  });

  it('replays a decided authorization found by its Idempotency-Key: no provider call, nothing written', async () => {
    const decided = earlier('K-1', { state: 'OPEN', decision: 'APPROVED', providerHoldId: 'H-1', approvedMinor: 5000n, heldMinor: 5000n });

    const authorization = await service.authorize(request(), 'oms', 'K-1');

    expect(authorization.id).toBe(decided.id);
    expect(calls.intents).toEqual([]);
    expect(repository.all()).toEqual([expect.objectContaining({ id: decided.id, state: 'OPEN', updatedAt: decided.updatedAt })]);
    expect(history.events).toEqual([]);
  });

  it('retries a FAILED authorization under the chain lock once its earlier calls are resolved: HOLD_RETRIED, then the hold', async () => {
    const failed = earlier('K-1', { state: 'FAILED' });
    provider.holds.push({ holdId: 'H-2', heldAmount: money(5000n) });

    const authorization = await service.authorize(request(), 'oms', 'K-1');

    expect(lock.ran).toEqual([failed.rootId]);
    expect(authorization).toMatchObject({ id: failed.id, state: 'OPEN', providerHoldId: 'H-2' });
    expect(repository.stored(failed.id)).toMatchObject({ state: 'OPEN', providerHoldId: 'H-2' });
    expect(history.types()).toEqual(['AUTHORIZATION_HOLD_RETRIED', 'AUTHORIZATION_HOLD_APPROVED']);
  });

  it('places no second hold while an earlier attempt is still being confirmed with the provider', async () => {
    const failed = earlier('K-1', { state: 'FAILED' });
    resolved = false;

    await expect(service.authorize(request(), 'oms', 'K-1')).rejects.toMatchObject({ status: 503, details: { outcome: 'UNKNOWN' } });

    expect(calls.intents).toEqual([]);
    expect(repository.stored(failed.id)).toMatchObject({ state: 'FAILED' });
    expect(history.events).toEqual([]);
  });

  it('refuses a reversal of a non-zero amount before touching the chain', async () => {
    const open = earlier('K-1', { state: 'OPEN', providerHoldId: 'H-1', heldMinor: 5000n });

    await expect(service.reverse(open.id, '1.00', 'oms')).rejects.toMatchObject({ code: 'REVERSAL_AMOUNT_NOT_ZERO' });

    expect(lock.ran).toEqual([]);
    expect(repository.stored(open.id)).toMatchObject({ state: 'OPEN', heldMinor: 5000n });
  });

  it('reverses an open chain: its hold released, the link REVERSED in the commit of the release, its open settlements failed', async () => {
    const open = earlier('K-1', { state: 'OPEN', providerHoldId: 'H-1', heldMinor: 5000n });
    provider.releases.push({ transactionId: 'R-1' });

    const reversed = await service.reverse(open.id, '0.00', 'oms');

    expect(provider.asked).toEqual([{ operation: 'releaseHold', holdId: 'H-1' }]);
    expect(reversed).toMatchObject({ id: open.id, state: 'CLOSED', closedReason: 'REVERSED' });
    expect(repository.stored(open.id)).toMatchObject({ state: 'CLOSED', closedReason: 'REVERSED', heldMinor: 0n });
    expect(history.events).toEqual([expect.objectContaining({ type: 'AUTHORIZATION_REVERSED', providerCallId: 'call-1' })]);
    expect(failedOpen).toEqual([open.rootId]);
  });

  it('answers 404 for an authorization that does not exist', async () => {
    await expect(service.get('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
