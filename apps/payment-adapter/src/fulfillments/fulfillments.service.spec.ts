import {
  GiftCardProvider,
  ProviderDeclinedError,
  ProviderError,
  ProviderOutcomeUnknownError,
} from '@gcpa/gift-card-provider';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CardVault } from '../card-data/card-vault';
import { DomainError } from '../common/domain-errors';
import { LeasedTable, RowLease } from '../common/row-lease';
import { HistoryService } from '../history/history.service';
import { NewPaymentEvent } from '../history/payment-event.entity';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { CallIntent, CallResult, ProviderCallsService, Resolution, ResolveOptions } from '../provider-calls/provider-calls.service';
import { InMemoryFulfillmentsRepository } from './fulfillments.repository.fake';
import { FulfillmentRequest, FulfillmentsService } from './fulfillments.service';
import { GiftCardFulfillment } from './gift-card-fulfillment.entity';
import { FAKE_TX, PassThroughFence } from '../testing/doubles';

const ELECTRONIC_CARD = '6006490000000001';
const SHIPPED_CARD = '6006490000000002';
const ELECTRONIC_PIN = '4321';

/** A lease always free: the work runs at once, and the tests see which rows it was taken on. */
class FreeLease extends RowLease {
  readonly taken: string[] = [];
  constructor() {
    super(undefined as never, 60);
  }
  override run<T>(table: LeasedTable, id: string, _busyCode: string, work: () => Promise<T>): Promise<T> {
    this.taken.push(`${table}:${id}`);
    return work();
  }
}

/**
 * ProviderCallsService as the fulfillment sees it: each call's intent recorded in the repository before it is
 * made, its answer after (SUCCEEDED before the caller's `applySuccess`, as one commit does); look-ups of lost
 * answers answer `resolution`.
 */
class RecordingCalls {
  resolution: Resolution = { applied: 'unknown' };
  readonly resolved: string[] = [];
  readonly announced: Array<{ callId: string; from: string; outcome: string }> = [];
  private clock = 0;

  constructor(private readonly repository: InMemoryFulfillmentsRepository) {}

  async run<T>(
    intent: CallIntent,
    call: (requestId: string) => Promise<T>,
    describe: (value: T) => { transactionId?: string },
    applySuccess?: (manager: EntityManager, value: T, record: ProviderCall) => Promise<void>,
  ): Promise<CallResult<T>> {
    const record = this.record({ operation: intent.operation, fulfillmentId: intent.fulfillmentId ?? null, outcome: 'PENDING' });
    try {
      const value = await call(record.id);
      Object.assign(record, { outcome: 'SUCCEEDED', providerTransactionId: describe(value).transactionId ?? null });
      this.repository.putCall(record);
      if (applySuccess) await applySuccess(FAKE_TX, value, record);
      return { ok: true, value, call: record };
    } catch (thrown) {
      if (!(thrown instanceof ProviderError)) throw thrown;
      record.outcome = thrown.kind === 'OUTCOME_UNKNOWN' ? 'UNKNOWN' : thrown.kind === 'DECLINED' ? 'DECLINED' : 'FAILED';
      this.repository.putCall(record);
      return { ok: false, error: thrown, call: record };
    }
  }

  async resolve(call: ProviderCall, options: ResolveOptions = {}): Promise<Resolution> {
    this.resolved.push(call.id);
    const resolution = this.resolution;
    if (resolution.applied === true) {
      this.repository.putCall({ ...call, outcome: 'APPLIED', providerTransactionId: resolution.transaction.transactionId });
      await options.onApplied?.(FAKE_TX, resolution.transaction);
    }
    return resolution;
  }

  async announceResolved(_m: EntityManager, call: ProviderCall, from: string, outcome: string): Promise<void> {
    this.announced.push({ callId: call.id, from, outcome });
  }

  /** A provider call as recorded (by this fake, or by a test seeding an earlier attempt), later than the ones before. */
  record(fields: Partial<ProviderCall>): ProviderCall {
    const call = {
      id: randomUUID(),
      fulfillmentId: null,
      outcome: 'PENDING',
      providerTransactionId: null,
      givenUpAt: null,
      resolutionNote: null,
      createdAt: new Date(Date.UTC(2026, 0, 1) + this.clock++),
      ...fields,
    } as ProviderCall;
    this.repository.putCall(call);
    return call;
  }
}

/** The provider's answers: a card set that hands out one card, and whatever a test makes a step throw. */
function cannedProvider() {
  return {
    allocate: jest.fn(async () => ({ cardNumber: ELECTRONIC_CARD, pin: ELECTRONIC_PIN })),
    activate: jest.fn(async () => ({})),
    issue: jest.fn(async () => ({ transactionId: 'TX-ISSUE-1' })),
    balance: jest.fn(async () => ({ available: { minor: 0n, currency: 'USD' }, held: { minor: 0n, currency: 'USD' }, active: false })),
  };
}

describe('FulfillmentsService', () => {
  let now: number;
  let repository: InMemoryFulfillmentsRepository;
  let calls: RecordingCalls;
  let events: NewPaymentEvent[];
  let provider: ReturnType<typeof cannedProvider>;
  let lease: FreeLease;
  let vault: CardVault;
  let service: FulfillmentsService;

  beforeEach(() => {
    now = Date.parse('2026-01-01T12:00:00Z');
    repository = new InMemoryFulfillmentsRepository(() => now);
    calls = new RecordingCalls(repository);
    events = [];
    const history = { append: async (_m: EntityManager, ...appended: NewPaymentEvent[]) => void events.push(...appended) };
    provider = cannedProvider();
    lease = new FreeLease();
    vault = new CardVault(randomBytes(32).toString('base64'));
    service = new FulfillmentsService(
      repository,
      vault,
      calls as unknown as ProviderCallsService,
      history as unknown as HistoryService,
      provider as unknown as GiftCardProvider,
      'egift-default',
      lease,
      new PassThroughFence(),
    );
  });

  const electronic = (changes: Partial<FulfillmentRequest> = {}): FulfillmentRequest => ({
    orderId: 'ORD-1',
    lineId: 'L1',
    kind: 'ELECTRONIC',
    amount: '25.00',
    currency: 'USD',
    ...changes,
  });
  const physical = (changes: Partial<FulfillmentRequest> = {}): FulfillmentRequest => ({
    orderId: 'ORD-2',
    lineId: 'L1',
    kind: 'PHYSICAL',
    cardNumber: SHIPPED_CARD,
    amount: '10.00',
    currency: 'USD',
    ...changes,
  });
  const types = () => events.map((e) => e.type);
  const only = (): GiftCardFulfillment => {
    const all = repository.all();
    expect(all).toHaveLength(1);
    return all[0];
  };

  it('refuses a request of the wrong shape with nothing written', async () => {
    await expect(service.fulfill(electronic({ cardNumber: ELECTRONIC_CARD, pin: '1' }), 'oms')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ field: 'cardNumber' }, { field: 'pin' }] },
    });
    expect(repository.all()).toEqual([]);
    expect(events).toEqual([]);
    expect(provider.allocate).not.toHaveBeenCalled();
  });

  it('runs an electronic card through allocate, activate and issue, and stores each step', async () => {
    const { fulfillment } = await service.fulfill(electronic(), 'oms', 'K-1');

    const stored = only();
    expect(stored).toMatchObject({
      id: fulfillment.id,
      status: 'COMPLETED',
      cardSetId: 'egift-default',
      idempotencyKey: 'K-1',
      amountMinor: 2500n,
      cardLast4: '0001',
      issueReference: 'TX-ISSUE-1',
    });
    expect(stored.allocatedAt).not.toBeNull();
    expect(stored.activatedAt).not.toBeNull();
    expect(stored.issuedAt).not.toBeNull();
    expect(vault.decrypt(stored.cardEncrypted!)).toBe(ELECTRONIC_CARD);
    expect(stored.cardHash).toBe(vault.hash(ELECTRONIC_CARD));
    expect(types()).toEqual(['FULFILLMENT_CREATED', 'FULFILLMENT_ALLOCATED', 'FULFILLMENT_ACTIVATED', 'FULFILLMENT_ISSUED']);
    expect(repository.callsOf(fulfillment.id).map((c) => [c.operation, c.outcome])).toEqual([
      ['ALLOCATE', 'SUCCEEDED'],
      ['ACTIVATE', 'SUCCEEDED'],
      ['ISSUE', 'SUCCEEDED'],
    ]);
    expect(provider.issue).toHaveBeenCalledWith(expect.objectContaining({ cardNumber: ELECTRONIC_CARD, amount: { minor: 2500n, currency: 'USD' }, returnRelated: false }));
    expect(lease.taken).toEqual([`gift_card_fulfillment:${fulfillment.id}`]);
  });

  it('shows the card number and PIN in the first answer only, and erases the stored PIN', async () => {
    const first = await service.fulfill(electronic(), 'oms', 'K-1');
    expect(first.revealed).toEqual({ cardNumber: ELECTRONIC_CARD, pin: ELECTRONIC_PIN });
    expect(only().pinEncrypted).toBeNull();
    expect(only().revealedAt).not.toBeNull();

    const again = await service.fulfill(electronic(), 'oms', 'K-2');
    expect(again.revealed).toEqual({});
    expect(again.fulfillment.id).toBe(first.fulfillment.id);
    // The line was complete: nothing asked of the provider again, nothing more recorded.
    expect(provider.allocate).toHaveBeenCalledTimes(1);
    expect(provider.issue).toHaveBeenCalledTimes(1);
    expect(types()).toHaveLength(4);
  });

  it('answers another request for the same line with a 409 and changes nothing', async () => {
    await service.fulfill(electronic(), 'oms', 'K-1');
    const before = only();

    const refused = service.fulfill(electronic({ amount: '30.00' }), 'oms', 'K-2');
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'FULFILLMENT_CONFLICT', details: { differingFields: ['amount'] } });
    expect(only()).toEqual(before);
    expect(types()).toHaveLength(4);
  });

  it('fails a shipped card the provider declines before activating it, then takes the corrected card', async () => {
    provider.balance.mockRejectedValueOnce(new ProviderDeclinedError('CARD_NOT_FOUND', 'no such card 6006490000000002'));
    await expect(service.fulfill(physical(), 'oms', 'K-1')).rejects.toMatchObject({ status: 422, code: 'FULFILLMENT_DECLINED', details: { step: 'ACTIVATE' } });

    const failed = only();
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'CARD_NOT_FOUND', activatedAt: null });
    // The provider's text is stored masked: no card number at rest in clear.
    expect(failed.failureMessage).not.toContain(SHIPPED_CARD);
    expect(provider.activate).not.toHaveBeenCalled();
    expect(repository.callsOf(failed.id)).toEqual([]);

    const corrected = '6006490000000099';
    const { fulfillment } = await service.fulfill(physical({ cardNumber: corrected }), 'oms', 'K-2');
    expect(fulfillment.id).toBe(failed.id);
    const completed = only();
    expect(completed).toMatchObject({ status: 'COMPLETED', cardHash: vault.hash(corrected), cardLast4: '0099', failureReason: null });
    expect(types()).toEqual(['FULFILLMENT_CREATED', 'FULFILLMENT_FAILED', 'FULFILLMENT_RETRIED', 'FULFILLMENT_ACTIVATED', 'FULFILLMENT_ISSUED']);
  });

  it('keeps the card of a completed allocation when the activation answer is lost, and continues from there', async () => {
    provider.activate.mockRejectedValueOnce(new ProviderOutcomeUnknownError('timeout'));
    await expect(service.fulfill(electronic(), 'oms', 'K-1')).rejects.toMatchObject({ status: 503, code: 'PROVIDER_OUTCOME_UNKNOWN' });
    const pending = only();
    expect(pending).toMatchObject({ status: 'PENDING', activatedAt: null, issuedAt: null, cardLast4: '0001' });
    expect(pending.allocatedAt).not.toBeNull();

    await service.resume(pending.id, 'recovery-sweep');
    expect(provider.allocate).toHaveBeenCalledTimes(1);
    expect(provider.activate).toHaveBeenCalledTimes(2);
    expect(only().status).toBe('COMPLETED');
    // The repeat settled the lost activation as the same one: nothing left for the sweep to look up.
    expect(repository.callsOf(pending.id).filter((c) => c.operation === 'ACTIVATE').map((c) => c.outcome)).toEqual(['APPLIED', 'SUCCEEDED']);
  });

  it('announces a given-up earlier attempt resolved when the repeat of its step succeeds', async () => {
    await service.fulfill(electronic(), 'oms', 'K-1');
    const id = only().id;
    // An earlier activation the sweep gave up on (stored as it would have been before this one succeeded).
    const lost = calls.record({ operation: 'ACTIVATE', fulfillmentId: id, outcome: 'UNKNOWN', givenUpAt: new Date(now) });
    repository.put(Object.assign(only(), { status: 'PENDING', activatedAt: null, issuedAt: null }));

    await service.resume(id, 'recovery-sweep');
    expect(calls.announced).toEqual([{ callId: lost.id, from: 'UNKNOWN', outcome: 'APPLIED' }]);
    expect(repository.callsOf(id).find((c) => c.id === lost.id)).toMatchObject({ outcome: 'APPLIED', resolutionNote: 'settled by a later repeat of the activation' });
  });

  it('never issues twice: a lost issue is looked up, never sent again', async () => {
    provider.issue.mockRejectedValueOnce(new ProviderOutcomeUnknownError('connection reset'));
    await expect(service.fulfill(electronic(), 'oms', 'K-1')).rejects.toMatchObject({ code: 'PROVIDER_OUTCOME_UNKNOWN' });
    const id = only().id;
    expect(only()).toMatchObject({ status: 'PENDING', issuedAt: null });
    expect(calls.resolved).toHaveLength(1);

    // The sweep's look-up still cannot tell: the retry waits instead of issuing again.
    await expect(service.fulfill(electronic(), 'oms', 'K-1')).rejects.toMatchObject({ status: 503, code: 'PROVIDER_OUTCOME_UNKNOWN' });
    expect(provider.issue).toHaveBeenCalledTimes(1);

    // The look-up finds it on the card: the line completes with that transaction, still one issue.
    calls.resolution = { applied: true, transaction: { transactionId: 'TX-FOUND', amount: { minor: 2500n, currency: 'USD' } } };
    const { revealed } = await service.fulfill(electronic(), 'oms', 'K-1');
    expect(provider.issue).toHaveBeenCalledTimes(1);
    expect(only()).toMatchObject({ status: 'COMPLETED', issueReference: 'TX-FOUND' });
    expect(revealed.cardNumber).toBe(ELECTRONIC_CARD);
    expect(repository.callsOf(id).filter((c) => c.operation === 'ISSUE')).toHaveLength(1);
  });

  it('lists for the sweep only pending fulfillments idle long enough and not leased', async () => {
    const row = (id: string, changes: Partial<GiftCardFulfillment>) =>
      repository.put(Object.assign(new GiftCardFulfillment(), { id, orderId: 'ORD', lineId: id, status: 'PENDING', lockUntil: null, updatedAt: new Date(now - 60000), ...changes }));
    row('idle-older', { updatedAt: new Date(now - 120000) });
    row('idle', {});
    row('recent', { updatedAt: new Date(now - 1000) });
    row('done', { status: 'COMPLETED' });
    row('leased', { lockUntil: new Date(now + 10000) });
    row('lease-ran-out', { lockUntil: new Date(now - 1), updatedAt: new Date(now - 30000) });

    expect(await service.unfinished(10000)).toEqual(['idle-older', 'idle', 'lease-ran-out']);
    expect(await service.unfinished(10000, 1)).toEqual(['idle-older']);
  });

  it('answers 404 for a fulfillment that does not exist', async () => {
    await expect(service.get('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
