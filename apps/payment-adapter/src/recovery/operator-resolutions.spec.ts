import { ChainRepair } from '../chain-repair/chain-repair.service';
import { DomainError } from '../common/domain-errors';
import { FulfillmentsService } from '../fulfillments/fulfillments.service';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { RefundsService } from '../refunds/refunds.service';
import { FreeChainLock, RecordedHistory } from '../testing/doubles';
import { OperatorResolutions } from './operator-resolutions';
import { InMemoryRecoveryRepository } from './recovery.repository.fake';
import { UnresolvedTransactions } from './unresolved-transactions';

const OPERATOR = 'key:operator-1';

/** What the completion asked of each collaborator; each records the decided outcome on the call, as a look-up would. */
class Completions {
  readonly asked: string[] = [];
  /** Thrown by the chain's resolution instead of resolving it. */
  chainError: Error | undefined;

  constructor(private readonly repository: InMemoryRecoveryRepository) {}

  private decide(match: (callId: string) => boolean) {
    for (const call of this.repository.calls.values()) {
      if (match(call.id) && call.operatorDecision) call.outcome = call.operatorDecision.applied ? 'APPLIED' : 'NOT_APPLIED';
    }
  }

  readonly repair = {
    resolveChain: async (rootId: string, actor: string) => {
      this.asked.push(`chain ${rootId} by ${actor}`);
      if (this.chainError) throw this.chainError;
      this.decide((id) => this.repository.roots.get(this.repository.calls.get(id)!.authorizationId ?? '') === rootId);
      return true;
    },
  } as unknown as ChainRepair;

  readonly refunds = {
    resolvePending: async (refundId: string, actor: string) => {
      this.asked.push(`refund ${refundId} by ${actor}`);
      this.decide((id) => this.repository.calls.get(id)!.refundId === refundId);
    },
  } as unknown as RefundsService;

  readonly fulfillments = {
    resume: async (fulfillmentId: string, actor: string) => {
      this.asked.push(`fulfillment ${fulfillmentId} by ${actor}`);
    },
  } as unknown as FulfillmentsService;

  readonly calls = {
    resolve: async (call: { id: string }) => {
      this.asked.push(`call ${call.id}`);
      this.decide((id) => id === call.id);
    },
  } as unknown as ProviderCallsService;
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('OperatorResolutions', () => {
  let repository: InMemoryRecoveryRepository;
  let history: RecordedHistory;
  let lock: FreeChainLock;
  let done: Completions;
  let resolutions: OperatorResolutions;

  beforeEach(() => {
    repository = new InMemoryRecoveryRepository();
    history = new RecordedHistory();
    lock = new FreeChainLock();
    done = new Completions(repository);
    // No call here carries a card: the view never asks the vault.
    const transactions = new UnresolvedTransactions(repository, undefined as never);
    resolutions = new OperatorResolutions(repository, history, done.repair, done.refunds, done.fulfillments, lock, transactions, done.calls);
  });

  it('refuses a call that does not exist, with nothing written', async () => {
    const error = await refusal(resolutions.resolve('missing', { applied: true, reason: 'seen' }, OPERATOR));

    expect(error.code).toBe('NOT_FOUND');
    expect(history.events).toEqual([]);
    expect(done.asked).toEqual([]);
  });

  it('refuses a call already resolved: no decision kept, no event, no completion', async () => {
    repository.add({ id: 'call-1', operation: 'REDEEM', refundId: 'refund-1', outcome: 'SUCCEEDED' });

    const error = await refusal(resolutions.resolve('call-1', { applied: false, reason: 'not in the card history' }, OPERATOR));

    expect(error.code).toBe('TRANSACTION_NOT_UNKNOWN');
    expect(repository.calls.get('call-1')!.operatorDecision).toBeNull();
    expect(history.events).toEqual([]);
    expect(done.asked).toEqual([]);
  });

  it('refuses a HOLD that happened without the provider id that releases or adopts it', async () => {
    repository.add({ id: 'call-1', operation: 'HOLD', authorizationId: 'auth-1' });

    const error = await refusal(resolutions.resolve('call-1', { applied: true, reason: 'portal shows it' }, OPERATOR));

    expect(error.code).toBe('TRANSACTION_ID_REQUIRED');
    expect(repository.calls.get('call-1')!.operatorDecision).toBeNull();
    expect(history.events).toEqual([]);
  });

  it('keeps a decision on the call with its audit event, completes it, and answers the call as it is then', async () => {
    repository.add({
      id: 'call-1', operation: 'ISSUE', orderId: 'ORD-1', refundId: 'refund-1', amountMinor: 1500n, currency: 'EUR',
      providerTransactionId: 'txn-7', givenUpAt: repository.now, nextCheckAt: new Date(repository.now.getTime() + 3_600_000),
    });

    const answer = await resolutions.resolve('call-1', { applied: true, reason: 'in the card history' }, OPERATOR);

    expect(repository.calls.get('call-1')).toMatchObject({
      operatorDecision: { applied: true, transactionId: 'txn-7', actor: OPERATOR, reason: 'in the card history' },
      givenUpAt: null,
      nextCheckAt: repository.now,
      outcome: 'APPLIED',
    });
    expect(history.events).toEqual([
      expect.objectContaining({
        type: 'TRANSACTION_RESOLVED_BY_OPERATOR', orderId: 'ORD-1', refundId: 'refund-1', fromState: 'UNKNOWN', toState: 'APPLIED',
        amountMinor: 1500n, currency: 'EUR', actor: OPERATOR, providerCallId: 'call-1', providerTransactionId: 'txn-7', providerMessage: 'in the card history',
      }),
    ]);
    expect(done.asked).toEqual([`refund refund-1 by ${OPERATOR}`]);
    expect(answer).toMatchObject({ transactionId: 'call-1', recordedOutcome: 'APPLIED', completed: true, decision: { applied: true, transactionId: 'txn-7' } });
  });

  it('answers 409 when another decision came first, and writes no second event', async () => {
    repository.add({ id: 'call-1', operation: 'ISSUE', refundId: 'refund-1', operatorDecision: { applied: false, transactionId: null, actor: 'key:other', reason: 'first' } });

    const error = await refusal(resolutions.resolve('call-1', { applied: true, reason: 'second' }, OPERATOR));

    expect([error.status, error.code]).toEqual([409, 'TRANSACTION_BUSY']);
    expect(repository.calls.get('call-1')!.operatorDecision).toMatchObject({ actor: 'key:other', reason: 'first' });
    expect(history.events).toEqual([]);
    expect(done.asked).toEqual([]);
  });

  it("completes an authorization's call under its chain's lock; a busy chain leaves the decision to the sweep", async () => {
    repository.roots.set('auth-2', 'root-1');
    repository.add({ id: 'call-1', operation: 'RELEASE_HOLD', authorizationId: 'auth-2' });
    done.chainError = new DomainError(409, 'AUTHORIZATION_BUSY', 'busy');

    const answer = await resolutions.resolve('call-1', { applied: false, reason: 'not at the provider' }, OPERATOR);

    expect(lock.ran).toEqual(['root-1']);
    expect(done.asked).toEqual([`chain root-1 by ${OPERATOR}`]);
    expect(answer.completed).toBe(false);
    expect(repository.calls.get('call-1')).toMatchObject({ outcome: 'UNKNOWN', operatorDecision: { applied: false, transactionId: null } });
    expect(history.types()).toEqual(['TRANSACTION_RESOLVED_BY_OPERATOR']);
  });

  it("records the decision on a call of nobody's by the call's own resolution", async () => {
    repository.add({ id: 'call-1', operation: 'RELEASE_HOLD' });

    const answer = await resolutions.resolve('call-1', { applied: false, reason: 'no such hold' }, OPERATOR);

    expect(done.asked).toEqual(['call call-1']);
    expect(answer).toMatchObject({ completed: true, recordedOutcome: 'NOT_APPLIED' });
  });

  it('re-arms a given-up call (attempts reset, due now), and refuses one still being checked', async () => {
    const later = new Date(repository.now.getTime() + 3_600_000);
    repository.add({ id: 'given-up', refundId: 'refund-1', checkAttempts: 9, givenUpAt: repository.now, nextCheckAt: later });
    repository.add({ id: 'checking', refundId: 'refund-2', checkAttempts: 2, nextCheckAt: later });

    const view = await resolutions.recheck('given-up');
    const error = await refusal(resolutions.recheck('checking'));

    expect(view).toMatchObject({ transactionId: 'given-up', outcome: 'CHECKING', checkAttempts: 0, nextCheckAt: repository.now });
    expect(repository.calls.get('given-up')).toMatchObject({ checkAttempts: 0, givenUpAt: null, nextCheckAt: repository.now });
    expect(error.code).toBe('TRANSACTION_NOT_UNKNOWN');
    expect(repository.calls.get('checking')).toMatchObject({ checkAttempts: 2, nextCheckAt: later });
  });
});

describe('UnresolvedTransactions', () => {
  it('lists given-up calls or those still checked, oldest first, a page at a time', async () => {
    const repository = new InMemoryRecoveryRepository();
    const transactions = new UnresolvedTransactions(repository, undefined as never);
    const t = (s: number) => new Date(repository.now.getTime() + s * 1000);
    repository.add({ id: 'c', refundId: 'r', createdAt: t(3), givenUpAt: t(9) });
    repository.add({ id: 'a', refundId: 'r', createdAt: t(1), givenUpAt: t(9) });
    repository.add({ id: 'b', refundId: 'r', createdAt: t(2), givenUpAt: t(9), amountMinor: 1234n, currency: 'EUR' });
    repository.add({ id: 'checking', refundId: 'r', createdAt: t(0) });
    repository.add({ id: 'answered', refundId: 'r', createdAt: t(0), outcome: 'SUCCEEDED', givenUpAt: t(9) });

    const first = await transactions.list({ limit: 2 });
    const second = await transactions.list({ limit: 2, cursor: first.nextCursor! });
    const checking = await transactions.list({ outcome: 'CHECKING' });

    expect(first.items.map((i) => i.transactionId)).toEqual(['a', 'b']);
    expect(first.items[1]).toMatchObject({ outcome: 'UNKNOWN', amount: '12.34', maskedCardNumber: null });
    expect(first.nextCursor).toBe('b');
    expect(second).toMatchObject({ items: [expect.objectContaining({ transactionId: 'c' })], nextCursor: null });
    expect(checking.items.map((i) => [i.transactionId, i.outcome])).toEqual([['checking', 'CHECKING']]);
  });
});
