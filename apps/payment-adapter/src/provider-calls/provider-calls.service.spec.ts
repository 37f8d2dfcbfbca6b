import {
  GiftCardProvider,
  LostCallFinding,
  LostCallInput,
  ProviderDeclinedError,
  ProviderOutcomeUnknownError,
} from '@gcpa/gift-card-provider';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CardVault } from '../card-data/card-vault';
import { LeaseLostError } from '../common/lease-fence';
import { Metrics } from '../observability/metrics';
import { FAKE_TX, PassThroughFence, RecordedHistory, providerCallRow } from '../testing/doubles';
import { CardLease, HeldCardLease } from './card-lease';
import { ProviderCall } from './provider-call.entity';
import { InMemoryProviderCallsRepository } from './provider-calls.repository.fake';
import { ProviderCallsService } from './provider-calls.service';

const GRACE_MS = 1000;
const ISSUE_GRACE_MS = 60_000;
const CARD = 'card-hash-1';

/** Card leases nobody else holds unless a test says so (`busy`); every take and release is kept, in turn. */
class RecordedCardLease extends CardLease {
  readonly busy = new Set<string>();
  readonly events: string[] = [];

  constructor() {
    super(undefined as never, 0);
  }

  override async acquire(cardHash: string): Promise<HeldCardLease | undefined> {
    this.events.push(`acquire ${cardHash}`);
    return this.busy.has(cardHash) ? undefined : this.leaseOf(cardHash);
  }

  override async tryTakeWith(_manager: EntityManager, cardHash: string): Promise<HeldCardLease | undefined> {
    this.events.push(`take ${cardHash}`);
    return this.busy.has(cardHash) ? undefined : this.leaseOf(cardHash);
  }

  private leaseOf(cardHash: string): HeldCardLease {
    return {
      release: async () => void this.events.push(`release ${cardHash}`),
      releaseWith: async (manager) => void this.events.push(`release ${cardHash} with ${manager === FAKE_TX ? 'the outcome' : 'no transaction'}`),
    };
  }
}

/** A provider whose look-ups find `finding` (or fail with `failure`); every look-up asked is kept. */
class LookedUpProvider {
  finding: LostCallFinding = { outcome: 'NOT_APPLIED', note: 'nothing on the card' };
  failure: Error | undefined;
  readonly asked: LostCallInput[] = [];

  lostAnswerStrategy(): 'state' {
    return 'state';
  }

  async resolveLostCall(input: LostCallInput): Promise<LostCallFinding> {
    this.asked.push(input);
    if (this.failure) throw this.failure;
    return this.finding;
  }
}

describe('ProviderCallsService', () => {
  let repository: InMemoryProviderCallsRepository;
  let provider: LookedUpProvider;
  let cards: RecordedCardLease;
  let fence: PassThroughFence;
  let history: RecordedHistory;
  let vault: CardVault;

  const service = () =>
    new ProviderCallsService(
      repository,
      provider as unknown as GiftCardProvider,
      vault,
      GRACE_MS,
      new Metrics(),
      cards,
      10,
      fence,
      history,
      ISSUE_GRACE_MS,
    );

  beforeEach(() => {
    repository = new InMemoryProviderCallsRepository();
    provider = new LookedUpProvider();
    cards = new RecordedCardLease();
    fence = new PassThroughFence();
    history = new RecordedHistory();
    vault = new CardVault(randomBytes(32).toString('base64'));
  });

  /** A call whose answer was lost, stored as the sweep would find it. */
  function lostCall(fields: Partial<ProviderCall> = {}): ProviderCall {
    const call = providerCallRow({
      orderId: 'order-1',
      authorizationId: randomUUID(),
      cardHash: CARD,
      cardEncrypted: vault.encrypt('6006491234567890'),
      currency: 'USD',
      amountMinor: 2500n,
      outcome: 'UNKNOWN',
      providerMessage: 'timed out',
      errorKind: 'OUTCOME_UNKNOWN',
      nextCheckAt: new Date(Date.now() + 3600_000),
      createdAt: new Date(Date.now() - 10_000),
      completedAt: new Date(Date.now() - 9_000),
      ...fields,
    });
    repository.put(call);
    return call;
  }

  describe('run', () => {
    it('commits the intent before the call, and the answer with what it means and the card lease release in one transaction', async () => {
      const seenDuringCall: Array<string | undefined> = [];
      const applied: Array<[EntityManager, string]> = [];
      const result = await service().run(
        { operation: 'HOLD', orderId: 'order-1', cardHash: CARD, currency: 'USD', amountMinor: 2500n },
        async (requestId) => {
          seenDuringCall.push(repository.get(requestId)?.outcome);
          return { holdId: 'hold-9', held: 2500n };
        },
        (value) => ({ transactionId: value.holdId, resultMinor: value.held }),
        async (manager, value, record) => void applied.push([manager, `${record.id}:${value.holdId}`]),
      );

      expect(result.ok).toBe(true);
      expect(seenDuringCall).toEqual(['PENDING']);
      const stored = repository.get(result.call.id)!;
      expect(stored).toMatchObject({ outcome: 'SUCCEEDED', providerTransactionId: 'hold-9', resultMinor: 2500n, nextCheckAt: null });
      expect(stored.completedAt).toBeInstanceOf(Date);
      expect(applied).toEqual([[FAKE_TX, `${result.call.id}:hold-9`]]);
      // Taken with the intent, released with the outcome: two transactions, no release of its own.
      expect(cards.events).toEqual([`take ${CARD}`, `release ${CARD} with the outcome`]);
      expect(fence.transactions).toBe(2);
    });

    it('records a decline with its reason, nothing to check later', async () => {
      const result = await service().run(
        { operation: 'HOLD', orderId: 'order-1', cardHash: CARD, currency: 'USD', amountMinor: 2500n },
        async () => {
          throw new ProviderDeclinedError('INSUFFICIENT_FUNDS', 'balance too low');
        },
        () => ({}),
      );

      expect(result).toMatchObject({ ok: false, error: { kind: 'DECLINED' } });
      expect(repository.get(result.call.id)).toMatchObject({
        outcome: 'DECLINED',
        errorKind: 'DECLINED:INSUFFICIENT_FUNDS',
        providerMessage: 'balance too low',
        providerTransactionId: null,
        nextCheckAt: null,
      });
      expect(cards.events).toEqual([`take ${CARD}`, `release ${CARD} with the outcome`]);
    });

    it('keeps a lost answer UNKNOWN, to be looked up once the grace period has passed', async () => {
      const before = Date.now();
      const result = await service().run(
        { operation: 'REDEEM_FROM_HOLD', orderId: 'order-1', cardHash: CARD, currency: 'USD', amountMinor: 2500n },
        async () => {
          throw new ProviderOutcomeUnknownError('timed out');
        },
        () => ({}),
      );

      const stored = repository.get(result.call.id)!;
      expect(stored).toMatchObject({ outcome: 'UNKNOWN', errorKind: 'OUTCOME_UNKNOWN' });
      expect(stored.nextCheckAt!.getTime()).toBeGreaterThanOrEqual(before + GRACE_MS);
      expect(stored.nextCheckAt!.getTime()).toBeLessThanOrEqual(Date.now() + GRACE_MS);
    });

    it('sends nothing while another call holds the card: the intent is FAILED as unavailable', async () => {
      cards.busy.add(CARD);
      let sent = 0;
      const result = await service().run(
        { operation: 'REDEEM', orderId: 'order-1', cardHash: CARD, currency: 'USD', amountMinor: 100n },
        async () => void sent++,
        () => ({}),
      );

      expect(sent).toBe(0);
      expect(result).toMatchObject({ ok: false, error: { kind: 'UNAVAILABLE' } });
      expect(repository.get(result.call.id)).toMatchObject({ outcome: 'FAILED', errorKind: 'UNAVAILABLE' });
      expect(cards.events).toEqual([`take ${CARD}`, `acquire ${CARD}`]);
    });

    it('takes no card lease for a call that moves no money, nor one whose caller holds it already', async () => {
      await service().run({ operation: 'ALLOCATE', orderId: 'order-1', cardHash: CARD }, async () => ({}), () => ({}));
      await service().run({ operation: 'RELEASE_HOLD', cardHash: CARD, cardLeaseHeld: true }, async () => ({}), () => ({}));

      expect(cards.events).toEqual([]);
      expect(repository.all().map((c) => [c.operation, c.outcome])).toEqual([
        ['ALLOCATE', 'SUCCEEDED'],
        ['RELEASE_HOLD', 'SUCCEEDED'],
      ]);
    });

    it('records nothing of the answer once the lease of the row was lost: the call stays PENDING, the card is freed', async () => {
      class LostAfterIntent extends PassThroughFence {
        override async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
          if (this.transactions > 0) throw new LeaseLostError({ table: 'refund', id: 'refund-1', owner: 'someone-else' });
          return super.transaction(work);
        }
      }
      fence = new LostAfterIntent();
      let recordId = '';
      const run = service().run(
        { operation: 'ISSUE', refundId: 'refund-1', cardHash: CARD, currency: 'USD', amountMinor: 700n },
        async (requestId) => {
          recordId = requestId;
          return { transactionId: 'issue-1' };
        },
        (value) => value,
      );

      await expect(run).rejects.toBeInstanceOf(LeaseLostError);
      expect(repository.get(recordId)?.outcome).toBe('PENDING');
      expect(cards.events).toEqual([`take ${CARD}`, `release ${CARD}`]);
    });
  });

  describe('resolve', () => {
    it('records an APPLIED finding with what it means for the caller, in one transaction, under the card lease', async () => {
      const call = lostCall();
      provider.finding = { outcome: 'APPLIED', transactionId: 'hold-7', amount: { minor: 2500n, currency: 'USD' }, note: 'hold found on the card' };
      const effects: string[] = [];

      const resolution = await service().resolve(call, { onApplied: async (_m, found) => void effects.push(`hold ${found.transactionId}`) });

      expect(resolution).toEqual({ applied: true, transaction: { transactionId: 'hold-7', amount: { minor: 2500n, currency: 'USD' } } });
      expect(repository.get(call.id)).toMatchObject({
        outcome: 'APPLIED',
        providerTransactionId: 'hold-7',
        resultMinor: 2500n,
        resolutionNote: 'hold found on the card',
        nextCheckAt: null,
      });
      expect(effects).toEqual(['hold hold-7']);
      expect(fence.transactions).toBe(1);
      expect(cards.events).toEqual([`acquire ${CARD}`, `release ${CARD}`]);
      // Not given up: the OMS was never told the outcome is unknown, so nothing tells it it is resolved.
      expect(history.events).toEqual([]);
    });

    it('announces the outcome of a call the sweep had given up on, in the commit that records it', async () => {
      const call = lostCall({ givenUpAt: new Date(Date.now() - 1000), operation: 'REDEEM_FROM_HOLD' });
      provider.finding = { outcome: 'NOT_APPLIED', note: 'no redeem on the card' };
      let notApplied = 0;

      expect(await service().resolve(call, { onNotApplied: async () => void notApplied++ })).toEqual({ applied: false });

      expect(repository.get(call.id)).toMatchObject({ outcome: 'NOT_APPLIED', providerTransactionId: null, resultMinor: null });
      expect(notApplied).toBe(1);
      expect(history.events).toEqual([
        expect.objectContaining({
          type: 'TRANSACTION_RESOLVED',
          fromState: 'UNKNOWN',
          toState: 'NOT_APPLIED',
          providerCallId: call.id,
          amountMinor: 2500n,
          actor: 'lost-answer-look-up',
        }),
      ]);
      expect(fence.transactions).toBe(1);
    });

    it('with record: false answers an APPLIED finding but writes nothing, leaving the call for the caller to record', async () => {
      const call = lostCall();
      provider.finding = { outcome: 'APPLIED', transactionId: 'hold-8', amount: { minor: 2500n, currency: 'USD' }, note: 'hold nobody owns' };

      const resolution = await service().resolve(call, { record: false });

      expect(resolution).toMatchObject({ applied: true, transaction: { transactionId: 'hold-8' } });
      expect(repository.get(call.id)).toMatchObject({ outcome: 'UNKNOWN', providerTransactionId: null, resolutionNote: null });
      expect(call.resolutionNote).toBe('hold nobody owns');
      expect(fence.transactions).toBe(0);

      await service().recordApplied(FAKE_TX, call, resolution.applied === true ? resolution.transaction : (undefined as never));
      expect(repository.get(call.id)).toMatchObject({ outcome: 'APPLIED', providerTransactionId: 'hold-8', resolutionNote: 'hold nobody owns' });
    });

    it('keeps an undecided call UNKNOWN with the candidates found, for an operator', async () => {
      const call = lostCall();
      const candidates = [
        { transactionId: 'tx-1', amount: '25.00' },
        { transactionId: 'tx-2', amount: '25.00' },
      ];
      provider.finding = { outcome: 'UNDECIDED', note: 'two redeems of the amount', candidates };

      expect(await service().resolve(call)).toEqual({ applied: 'unknown' });

      expect(repository.get(call.id)).toMatchObject({ outcome: 'UNKNOWN', candidates, resolutionNote: 'two redeems of the amount' });
      expect(history.events).toEqual([]);
    });

    it('applies an operator decision without asking the provider, and clears it', async () => {
      const call = lostCall({
        operation: 'REDEEM',
        operatorDecision: { applied: true, transactionId: 'tx-op', actor: 'alice', reason: 'seen in the Clutch portal' },
      });

      expect(await service().resolve(call)).toMatchObject({ applied: true, transaction: { transactionId: 'tx-op', amount: { minor: 2500n } } });

      expect(provider.asked).toEqual([]);
      expect(cards.events).toEqual([]);
      expect(repository.get(call.id)).toMatchObject({
        outcome: 'APPLIED',
        providerTransactionId: 'tx-op',
        operatorDecision: null,
        resolutionNote: 'operator alice: seen in the Clutch portal',
      });
    });

    it('checks again later when the look-up fails, never later than a check already planned', async () => {
      const soon = new Date(Date.now() + 2000);
      const call = lostCall({ nextCheckAt: soon, checkAttempts: 2 });
      provider.failure = new Error('connection reset');

      expect(await service().resolve(call)).toEqual({ applied: 'unknown' });

      expect(repository.get(call.id)).toMatchObject({
        outcome: 'UNKNOWN',
        checkAttempts: 3,
        resolutionNote: 'look-up failed: connection reset',
        nextCheckAt: soon,
      });
      expect(cards.events).toEqual([`acquire ${CARD}`, `release ${CARD}`]);
    });

    it('does not look while another call holds the card, and backs off', async () => {
      const call = lostCall({ nextCheckAt: null });
      cards.busy.add(CARD);
      const before = Date.now();

      expect(await service().resolve(call)).toEqual({ applied: 'unknown' });

      expect(provider.asked).toEqual([]);
      const stored = repository.get(call.id)!;
      expect(stored).toMatchObject({ checkAttempts: 1, resolutionNote: 'the card is busy with another call' });
      expect(stored.nextCheckAt!.getTime()).toBeGreaterThanOrEqual(before + 5000);
    });

    it('tells the provider what our records explain on the card (other calls, owned holds), and the card number', async () => {
      const call = lostCall();
      lostCall({ outcome: 'SUCCEEDED', providerTransactionId: 'hold-a' });
      lostCall({ operation: 'REDEEM', outcome: 'SUCCEEDED', providerTransactionId: 'redeem-b' });
      lostCall({ cardHash: 'another-card', outcome: 'SUCCEEDED', providerTransactionId: 'hold-elsewhere' });
      repository.put(Object.assign(repository.get(call.id)!, { providerTransactionId: 'own-guess' }));
      repository.ownedHolds.push({ cardHash: CARD, providerHoldId: 'hold-c' }, { cardHash: CARD, providerHoldId: null });

      await service().resolve(call);

      expect(provider.asked).toHaveLength(1);
      const [asked] = provider.asked;
      expect([...asked.known.holdIds].sort()).toEqual(['hold-a', 'hold-c']);
      expect([...asked.known.transactionIds]).toEqual(['redeem-b']);
      expect(asked).toMatchObject({ reference: call.id, cardNumber: '6006491234567890', amount: { minor: 2500n, currency: 'USD' } });
    });

    it('names the calls on the card answered before the lost call began, whose entries bound its history', async () => {
      const began = Date.now() - 60_000;
      const call = lostCall({ createdAt: new Date(began) });
      lostCall({ operation: 'REDEEM', outcome: 'SUCCEEDED', providerTransactionId: 'redeem-before', completedAt: new Date(began - 1) });
      lostCall({ outcome: 'SUCCEEDED', providerTransactionId: 'hold-before', completedAt: new Date(began - 5000) });
      lostCall({ operation: 'REDEEM', outcome: 'SUCCEEDED', providerTransactionId: 'redeem-after', completedAt: new Date(began + 1) });
      lostCall({ operation: 'REDEEM', outcome: 'SUCCEEDED', providerTransactionId: 'redeem-same-ms', completedAt: new Date(began) });

      await service().resolve(call);

      expect([...provider.asked[0].known.answeredBefore!].sort()).toEqual(['hold-before', 'redeem-before']);
    });

    it('waits longer before an ISSUE nothing was found of counts as not applied', async () => {
      const answeredAgo = new Date(Date.now() - 5 * GRACE_MS);
      const hold = lostCall({ completedAt: answeredAgo });
      const issue = lostCall({ operation: 'ISSUE', completedAt: answeredAgo });

      await service().resolve(hold);
      await service().resolve(issue);

      expect(provider.asked.map((a) => [a.operation, a.graceElapsed])).toEqual([
        ['HOLD', true],
        ['ISSUE', false],
      ]);
    });
  });

  it('lists the unresolved calls of an authorization, oldest first', async () => {
    const authorizationId = randomUUID();
    const later = lostCall({ authorizationId, outcome: 'PENDING', createdAt: new Date(Date.now() - 1000) });
    const earlier = lostCall({ authorizationId, createdAt: new Date(Date.now() - 5000) });
    lostCall({ authorizationId, outcome: 'APPLIED' });
    lostCall({ outcome: 'UNKNOWN' });

    expect((await service().unresolvedFor(authorizationId)).map((c) => c.id)).toEqual([earlier.id, later.id]);
  });
});
