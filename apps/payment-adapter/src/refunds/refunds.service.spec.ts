import {
  GiftCardProvider,
  IssueInput,
  IssueResult,
  ProviderDeclinedError,
  ProviderError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
} from '@gcpa/gift-card-provider';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CardVault } from '../card-data/card-vault';
import { DomainError } from '../common/domain-errors';
import { FulfillmentRequest, FulfillmentResult, FulfillmentsService } from '../fulfillments/fulfillments.service';
import { GiftCardFulfillment } from '../fulfillments/gift-card-fulfillment.entity';
import { Metrics } from '../observability/metrics';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { CallIntent, CallResult, OUTCOME_OF, ProviderCallsService, Resolution, ResolveOptions } from '../provider-calls/provider-calls.service';
import { Settlement } from '../settlements/settlement.entity';
import { RefundLock } from './refund-lock';
import { newCardLine, Refund } from './refund.entity';
import { InMemoryRefundsRepository } from './refunds.repository.fake';
import { RefundAnswer, RefundsService } from './refunds.service';
import { PassThroughFence, RecordedHistory } from '../testing/doubles';

const ORDER = 'ORD-1';
const CARD_A = '6000000000000001';
const CARD_B = '6000000000000002';
const STRANGER = '6000000000009999';

/** One worker only: the lease is always free. */
class FreeLock extends RefundLock {
  constructor() {
    super(undefined as never);
  }
  override run<T>(_refundId: string, work: () => Promise<T>): Promise<T> {
    return work();
  }
  override async tryRun<T>(_refundId: string, _waitMs: number, work: () => Promise<T>): Promise<{ value: T }> {
    return { value: await work() };
  }
}

/** Provider calls as the service sees them: each one recorded in the fake's `provider_call` rows, a look-up answering `resolution`. */
class RecordedCalls {
  resolution: Resolution = { applied: 'unknown' };
  readonly resolved: ProviderCall[] = [];

  constructor(private readonly rows: ProviderCall[]) {}

  async run<T>(
    intent: CallIntent,
    call: (requestId: string) => Promise<T>,
    describe: (value: T) => { transactionId?: string },
    applySuccess?: (manager: EntityManager, value: T, record: ProviderCall) => Promise<void>,
  ): Promise<CallResult<T>> {
    const record = Object.assign(new ProviderCall(), {
      id: randomUUID(),
      operation: intent.operation,
      refundId: intent.refundId ?? null,
      outcome: 'PENDING',
      providerTransactionId: null,
      providerMessage: null,
      createdAt: new Date(Date.now() + this.rows.length),
    });
    this.rows.push(record);
    try {
      const value = await call(record.id);
      Object.assign(record, { outcome: 'SUCCEEDED', providerTransactionId: describe(value).transactionId ?? null });
      if (applySuccess) await applySuccess(undefined as never, value, record);
      return { ok: true, value, call: record };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      Object.assign(record, { outcome: OUTCOME_OF[error.kind], providerMessage: error.providerMessage ?? error.message });
      return { ok: false, error, call: record };
    }
  }

  async resolve(call: ProviderCall, options: ResolveOptions = {}): Promise<Resolution> {
    this.resolved.push(call);
    const resolution = this.resolution;
    if (resolution.applied === true) {
      call.outcome = 'APPLIED';
      call.providerTransactionId = resolution.transaction.transactionId;
      if (options.onApplied) await options.onApplied(undefined as never, resolution.transaction);
    }
    if (resolution.applied === false) call.outcome = 'NOT_APPLIED';
    return resolution;
  }
}

/** The provider's issue: answers `answer` (a transaction id, or a failure to throw), and remembers what it was asked. */
class IssuingProvider {
  answer: string | ProviderError = 'TX-1';
  readonly issued: IssueInput[] = [];
  async issue(input: IssueInput): Promise<IssueResult> {
    this.issued.push(input);
    if (this.answer instanceof ProviderError) throw this.answer;
    return { transactionId: this.answer };
  }
}

/** The fulfillment of a new card: completes at once with a card, and remembers what it was asked. */
class CompletingFulfillments {
  readonly requests: FulfillmentRequest[] = [];
  constructor(private readonly rows: GiftCardFulfillment[], private readonly vault: CardVault) {}
  async fulfill(request: FulfillmentRequest): Promise<FulfillmentResult> {
    this.requests.push(request);
    const card = this.vault.protect('6000000000007777');
    const fulfillment = Object.assign(new GiftCardFulfillment(), {
      id: randomUUID(),
      orderId: request.orderId,
      lineId: request.lineId,
      status: 'COMPLETED',
      cardHash: card.hash,
      cardEncrypted: card.encrypted,
      cardLast4: card.last4,
      issueReference: 'ISSUE-REF-1',
    });
    this.rows.push(fulfillment);
    return { fulfillment, revealed: { cardNumber: '6000000000007777', pin: '1234' } };
  }
}

describe('RefundsService', () => {
  let repo: InMemoryRefundsRepository;
  let vault: CardVault;
  let history: RecordedHistory;
  let calls: RecordedCalls;
  let provider: IssuingProvider;
  let fulfillments: CompletingFulfillments;
  let newCards: Array<Record<string, string>>;
  let service: RefundsService;

  beforeEach(() => {
    repo = new InMemoryRefundsRepository();
    vault = new CardVault(randomBytes(32).toString('base64'));
    history = new RecordedHistory();
    calls = new RecordedCalls(repo.providerCalls);
    provider = new IssuingProvider();
    fulfillments = new CompletingFulfillments(repo.fulfillments, vault);
    newCards = [];
    const metrics = { refundsToNewCards: { inc: (labels: Record<string, string>) => newCards.push(labels) } } as unknown as Metrics;
    service = new RefundsService(
      repo,
      calls as unknown as ProviderCallsService,
      vault,
      history,
      new FreeLock(),
      provider as unknown as GiftCardProvider,
      fulfillments as unknown as FulfillmentsService,
      metrics,
      new PassThroughFence(),
    );
  });

  /** A SETTLED settlement of the order that redeemed `settledMinor` from the card. */
  function settled(cardNumber: string, settledMinor: bigint, at = new Date('2025-01-01T00:00:00Z'), orderId = ORDER): Settlement {
    const authorizationId = randomUUID();
    repo.authorizationCards.set(authorizationId, vault.protect(cardNumber));
    const settlement = Object.assign(new Settlement(), {
      id: randomUUID(),
      orderId,
      authorizationId,
      servedAuthorizationId: null,
      currency: 'USD',
      amountMinor: settledMinor,
      settledMinor,
      status: 'SETTLED',
      createdAt: at,
    });
    repo.settlements.set(settlement.id, settlement);
    return settlement;
  }

  const stored = () => [...repo.refunds.values()];
  const types = () => history.events.map((e) => e.type);

  async function refused(answer: Promise<RefundAnswer>): Promise<DomainError> {
    const error = await answer.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }

  it('refuses a refund beyond what is left of the settlement, writing nothing and calling nobody', async () => {
    const settlement = settled(CARD_A, 5000n);
    await service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '30.00', currency: 'USD' }, 'oms', 'K-1');

    const error = await refused(service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '20.01', currency: 'USD' }, 'oms', 'K-2'));

    expect(error.code).toBe('REFUND_EXCEEDS_SETTLED');
    expect(error.details).toMatchObject({ settlementId: settlement.id, refundableAmount: '20.00', refundedAmount: '30.00' });
    expect(stored()).toHaveLength(1);
    expect(provider.issued).toHaveLength(1);
    expect(history.events).toHaveLength(2);
  });

  it('issues an accepted refund back to the settlement card and stores it SUCCEEDED with its history', async () => {
    const settlement = settled(CARD_A, 5000n);

    const answer = await service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '12.50', currency: 'USD' }, 'oms', 'K-1');

    const [row] = stored();
    expect(row).toMatchObject({ settlementId: settlement.id, idempotencyKey: 'K-1', amountMinor: 1250n, kind: 'REFUND', status: 'SUCCEEDED', providerTransactionId: 'TX-1', cardLast4: '0001' });
    expect(answer).toMatchObject({ refund: { id: row.id, status: 'SUCCEEDED' } });
    expect(provider.issued).toEqual([expect.objectContaining({ cardNumber: CARD_A, amount: { minor: 1250n, currency: 'USD' }, returnRelated: true })]);
    expect(types()).toEqual(['REFUND_REQUESTED', 'REFUND_ISSUED']);
    expect(repo.lockedOrders).toEqual([ORDER]);
  });

  it('answers a retry with the same key from the stored refund, issuing nothing again', async () => {
    const settlement = settled(CARD_A, 5000n);
    const first = await service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '10.00', currency: 'USD' }, 'oms', 'K-1');

    const again = await service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '10.00', currency: 'USD' }, 'oms', 'K-1');

    expect(again).toMatchObject({ refund: { id: (first as { refund: Refund }).refund.id, status: 'SUCCEEDED' } });
    expect(stored()).toHaveLength(1);
    expect(provider.issued).toHaveLength(1);
    expect(repo.lockedOrders).toEqual([ORDER]);
  });

  it('stores a declined refund FAILED with the reason, so it no longer counts against the ceiling', async () => {
    const settlement = settled(CARD_A, 5000n);
    provider.answer = new ProviderDeclinedError('CARD_INACTIVE');

    const error = await refused(service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '50.00', currency: 'USD' }, 'oms', 'K-1'));

    expect(error).toMatchObject({ status: 422, code: 'CARD_INACTIVE' });
    expect(stored()).toEqual([expect.objectContaining({ status: 'FAILED', failureReason: 'CARD_INACTIVE' })]);
    expect(types()).toEqual(['REFUND_REQUESTED', 'REFUND_DECLINED']);
    provider.answer = 'TX-2';
    await service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '50.00', currency: 'USD' }, 'oms', 'K-2');
    expect(stored().map((r) => r.status)).toEqual(['FAILED', 'SUCCEEDED']);
  });

  it('keeps a refund the provider could not be asked about PENDING, and issues it again on the retry', async () => {
    const settlement = settled(CARD_A, 5000n);
    provider.answer = new ProviderUnavailableError('503 from the provider');

    const error = await refused(service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '10.00', currency: 'USD' }, 'oms', 'K-1'));

    expect(error).toMatchObject({ status: 503, code: 'PROVIDER_UNAVAILABLE' });
    expect(stored()).toEqual([expect.objectContaining({ status: 'PENDING', providerTransactionId: null })]);
    provider.answer = 'TX-2';
    await service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '10.00', currency: 'USD' }, 'oms', 'K-1');
    expect(stored()).toEqual([expect.objectContaining({ status: 'SUCCEEDED', providerTransactionId: 'TX-2' })]);
    expect(types()).toEqual(['REFUND_REQUESTED', 'REFUND_NOT_PROCESSED', 'REFUND_RETRIED', 'REFUND_ISSUED']);
    expect(provider.issued).toHaveLength(2);
  });

  it('never issues again while an earlier issue of the refund is unconfirmed, and completes it once found applied', async () => {
    const settlement = settled(CARD_A, 5000n);
    provider.answer = new ProviderOutcomeUnknownError('timeout');

    const lost = await refused(service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '10.00', currency: 'USD' }, 'oms', 'K-1'));
    expect(lost).toMatchObject({ status: 503, code: 'PROVIDER_OUTCOME_UNKNOWN' });
    const retry = await refused(service.refund({ orderId: ORDER, settlementId: settlement.id, amount: '10.00', currency: 'USD' }, 'oms', 'K-1'));
    expect(retry.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
    expect(provider.issued).toHaveLength(1);
    expect(stored()).toEqual([expect.objectContaining({ status: 'PENDING' })]);

    calls.resolution = { applied: true, transaction: { transactionId: 'TX-FOUND', amount: { minor: 1000n, currency: 'USD' } } };
    const resolution = await service.resolvePending(stored()[0].id, 'sweep');

    expect(resolution.outcome).toBe('SUCCEEDED');
    expect(stored()).toEqual([expect.objectContaining({ status: 'SUCCEEDED', providerTransactionId: 'TX-FOUND' })]);
    expect(provider.issued).toHaveLength(1);
  });

  it('refuses a named card the order never settled on, unless the key may credit: then a CREDIT', async () => {
    settled(CARD_A, 5000n);

    const error = await refused(service.refund({ orderId: ORDER, cardNumber: STRANGER, amount: '5.00', currency: 'USD' }, 'oms', 'K-1'));
    expect(error.code).toBe('REFUND_CARD_NOT_IN_ORDER');
    expect(stored()).toHaveLength(0);

    await service.refund({ orderId: ORDER, cardNumber: STRANGER, amount: '5.00', currency: 'USD' }, 'oms', 'K-2', { mayCredit: true });
    expect(stored()).toEqual([expect.objectContaining({ kind: 'CREDIT', settlementId: null, cardLast4: '9999', status: 'SUCCEEDED' })]);
  });

  it('splits a refund naming only its order across its cards, the most recent settlement first', async () => {
    settled(CARD_A, 3000n, new Date('2025-01-01T00:00:00Z'));
    settled(CARD_B, 2000n, new Date('2025-01-02T00:00:00Z'));

    const answer = await service.refund({ orderId: ORDER, amount: '35.00', currency: 'USD' }, 'oms', 'K-1');

    const [allocation] = [...repo.allocations.values()];
    expect(allocation).toMatchObject({ orderId: ORDER, idempotencyKey: 'K-1', amountMinor: 3500n });
    expect(answer).toMatchObject({ allocation: { id: allocation.id } });
    const parts = stored().sort((a, b) => (a.partIndex ?? 0) - (b.partIndex ?? 0));
    expect(parts.map((p) => [p.partIndex, p.cardLast4, p.amountMinor, p.status, p.idempotencyKey])).toEqual([
      [1, '0002', 2000n, 'SUCCEEDED', null],
      [2, '0001', 1500n, 'SUCCEEDED', null],
    ]);
    expect(parts.every((p) => p.allocationId === allocation.id)).toBe(true);
  });

  it('refuses a split beyond what the cards have left, storing neither the allocation nor any part', async () => {
    settled(CARD_A, 3000n);

    const error = await refused(service.refund({ orderId: ORDER, amount: '30.01', currency: 'USD' }, 'oms', 'K-1'));

    expect(error).toMatchObject({ code: 'REFUND_EXCEEDS_SETTLED', details: { refundableAmount: '30.00' } });
    expect(repo.allocations.size).toBe(0);
    expect(stored()).toHaveLength(0);
    expect(history.events).toHaveLength(0);
  });

  it('loads a refund to a new card through the fulfillment of its line, and marks it SUCCEEDED with that card', async () => {
    settled(CARD_A, 5000n);

    const answer = await service.refund({ orderId: ORDER, toNewCard: { cardSetId: 'SET-9' }, amount: '20.00', currency: 'USD' }, 'oms', 'K-1');

    const [row] = stored();
    expect(fulfillments.requests).toEqual([
      expect.objectContaining({ orderId: ORDER, lineId: newCardLine(row.id), cardSetId: 'SET-9', amount: '20.00', returnRelated: true }),
    ]);
    expect(row).toMatchObject({ toNewCard: true, status: 'SUCCEEDED', providerTransactionId: 'ISSUE-REF-1', cardLast4: '7777', kind: 'REFUND' });
    expect(answer).toMatchObject({ newCard: { cardNumber: '6000000000007777' } });
    expect(newCards).toEqual([{ kind: 'REFUND' }]);
    expect(provider.issued).toHaveLength(0);
  });

  it('finishes a PENDING refund to a new card whose card the sweep completed, once it was quiet long enough', async () => {
    const refund = Object.assign(new Refund(), {
      id: randomUUID(),
      orderId: ORDER,
      settlementId: null,
      idempotencyKey: 'K-1',
      // The card is learnt when it is loaded (the columns are nullable; the entity types them for a loaded card).
      cardHash: null!,
      cardEncrypted: null!,
      cardLast4: null!,
      toNewCard: true,
      newCardSetId: null,
      currency: 'USD',
      amountMinor: 1000n,
      kind: 'REFUND',
      status: 'PENDING',
      failureReason: null,
      providerTransactionId: null,
      allocationId: null,
      partIndex: null,
      createdAt: new Date(Date.now() - 60_000),
      updatedAt: new Date(Date.now() - 60_000),
    });
    await repo.insertRefund(undefined as never, refund);
    expect(await service.finishLoadedNewCards(10, 5_000, 'sweep')).toBe(0);
    await fulfillments.fulfill({ orderId: ORDER, lineId: newCardLine(refund.id), kind: 'ELECTRONIC', amount: '10.00', currency: 'USD' });

    expect(await service.finishLoadedNewCards(10, 120_000, 'sweep')).toBe(0);
    expect(await service.finishLoadedNewCards(10, 5_000, 'sweep')).toBe(1);

    expect(repo.refunds.get(refund.id)).toMatchObject({ status: 'SUCCEEDED', cardLast4: '7777', providerTransactionId: 'ISSUE-REF-1' });
    expect(types()).toEqual(['REFUND_ISSUED']);
    expect(await service.finishLoadedNewCards(10, 5_000, 'sweep')).toBe(0);
  });
});
