import { backoffCeilingMs } from '../settlement-job/backoff';
import { RecordedHistory } from '../testing/doubles';
import { CHECK_BACKOFF, RecoveryClaims } from './recovery-claims';
import { InMemoryRecoveryRepository } from './recovery.repository.fake';

const at = (repository: InMemoryRecoveryRepository, ms: number) => new Date(repository.now.getTime() + ms);

describe('RecoveryClaims', () => {
  let repository: InMemoryRecoveryRepository;
  let history: RecordedHistory;
  let claims: RecoveryClaims;

  beforeEach(() => {
    repository = new InMemoryRecoveryRepository();
    history = new RecordedHistory();
    claims = new RecoveryClaims(repository, history);
  });

  it('claims the due calls of a chain nobody holds, for a minute, so a second sweep finds none of them', async () => {
    repository.roots.set('auth-1', 'root-1').set('auth-2', 'root-2');
    repository.leasedRoots.add('root-2');
    repository.add({ id: 'due', authorizationId: 'auth-1', checkAttempts: 2 });
    repository.add({ id: 'leased', authorizationId: 'auth-2' });
    repository.add({ id: 'later', refundId: 'refund-1', nextCheckAt: at(repository, 1000) });
    repository.add({ id: 'answered', refundId: 'refund-2', outcome: 'SUCCEEDED' });
    repository.add({ id: 'of-nobody' });

    const batch = await claims.claim(10);

    expect(batch).toEqual([
      { id: 'due', authorizationId: 'auth-1', refundId: null, fulfillmentId: null, rootAuthorizationId: 'root-1', checkAttempts: 2, createdAt: repository.now, givenUp: false },
    ]);
    expect(repository.calls.get('due')!.nextCheckAt).toEqual(at(repository, 60_000));
    expect(await claims.claim(10)).toEqual([]);
  });

  it('gives up on an unresolved call: UNKNOWN, listed, checked again later, and TRANSACTION_GIVEN_UP in the history', async () => {
    repository.add({
      id: 'call-1', operation: 'REDEEM_FROM_HOLD', outcome: 'PENDING', orderId: 'ORD-1', authorizationId: 'auth-1', settlementId: 'settle-1',
      amountMinor: 2500n, currency: 'EUR', providerMessage: 'timeout',
    });

    await claims.giveUp('call-1', 7, 3_600_000, 'recovery-sweep');

    const call = repository.calls.get('call-1')!;
    expect(call).toMatchObject({ outcome: 'UNKNOWN', checkAttempts: 7, givenUpAt: repository.now, nextCheckAt: at(repository, 3_600_000), providerMessage: 'timeout; unresolved after 7 checks' });
    expect(history.events).toEqual([
      expect.objectContaining({
        type: 'TRANSACTION_GIVEN_UP', orderId: 'ORD-1', authorizationId: 'auth-1', settlementId: 'settle-1', fromState: 'UNKNOWN', toState: 'UNKNOWN',
        amountMinor: 2500n, currency: 'EUR', actor: 'recovery-sweep', providerCallId: 'call-1', detail: { operation: 'REDEEM_FROM_HOLD', checks: 7 },
      }),
    ]);
    expect(await claims.unresolvedCount()).toBe(1);
  });

  it('gives up on nothing when the call was resolved meanwhile: no change, no event', async () => {
    repository.add({ id: 'call-1', outcome: 'APPLIED', refundId: 'refund-1', checkAttempts: 3 });

    await claims.giveUp('call-1', 4, 3_600_000, 'recovery-sweep');

    expect(repository.calls.get('call-1')).toMatchObject({ outcome: 'APPLIED', checkAttempts: 3, givenUpAt: null });
    expect(history.events).toEqual([]);
  });

  it('rolls the give-up back when its history event cannot be written', async () => {
    repository.add({ id: 'call-1', outcome: 'PENDING', refundId: 'refund-1' });
    history.append = async () => {
      throw new Error('history down');
    };

    await expect(claims.giveUp('call-1', 2, 1000, 'recovery-sweep')).rejects.toThrow('history down');

    expect(repository.calls.get('call-1')).toMatchObject({ outcome: 'PENDING', checkAttempts: 0, givenUpAt: null });
  });

  it('checks a call again after the backoff of its attempts, and leaves a resolved one alone', async () => {
    repository.add({ id: 'open', refundId: 'refund-1' });
    repository.add({ id: 'done', refundId: 'refund-2', outcome: 'NOT_APPLIED' });

    await claims.checkLater('done', 3);
    await claims.checkLater('open', 4, 5000);

    expect(repository.calls.get('open')).toMatchObject({ checkAttempts: 4, nextCheckAt: at(repository, 5000) });
    expect(repository.calls.get('done')).toMatchObject({ checkAttempts: 0, nextCheckAt: repository.now });
  });

  it('paces a check by the backoff when no delay is given', async () => {
    repository.add({ id: 'open', refundId: 'refund-1' });

    await claims.checkLater('open', 3);

    expect(backoffCeilingMs(3, CHECK_BACKOFF)).toBe(20_000);
    expect(repository.calls.get('open')).toMatchObject({ checkAttempts: 3, nextCheckAt: at(repository, 20_000) });
  });

  it('counts only the given-up calls still unresolved', async () => {
    repository.add({ id: 'given-up', refundId: 'r1', givenUpAt: repository.now });
    repository.add({ id: 'checking', refundId: 'r2' });
    repository.add({ id: 'decided', refundId: 'r3', outcome: 'APPLIED', givenUpAt: repository.now });

    expect(await claims.unresolvedCount()).toBe(1);
  });
});
