import {
  GiftCardProvider,
  ProviderDeclinedError,
  ProviderError,
  ProviderInvalidRequestError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
  RedeemFromHoldInput,
  RedeemResult,
} from '@gcpa/gift-card-provider';
import { EntityManager } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { AuthorizationEvent, nextAuthorizationState } from '../authorizations/authorization-state';
import { HoldsService } from '../authorizations/holds.service';
import { newAuthorization } from '../authorizations/new-authorization';
import { CardVault } from '../card-data/card-vault';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { DomainError } from '../common/domain-errors';
import { Metrics } from '../observability/metrics';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { CallIntent, CallResult, ProviderCallsService, Resolution, ResolveOptions } from '../provider-calls/provider-calls.service';
import { SettlementRecorder } from './settlement-recorder';
import { InMemorySettlementsRepository } from './settlements.repository.fake';
import { SettleRequest, SettlementsService } from './settlements.service';
import { FAKE_TX, FreeChainLock, PassThroughFence, RecordedHistory } from '../testing/doubles';

const ACTOR = 'oms';

/**
 * The holds of the chain, written into the fake repository's links (what HoldsService writes to the same table).
 * `place` only records which advanced holds were asked for.
 */
function holdsOn(repository: InMemorySettlementsRepository) {
  const placed: Array<{ link: Authorization; lastWrite: boolean }> = [];
  const holds = {
    placed,
    intentFor: (a: Authorization, operation: CallIntent['operation']) => ({ operation, orderId: a.orderId, authorizationId: a.id, currency: a.currency, amountMinor: a.requestedMinor }),
    async transition(a: Authorization, event: AuthorizationEvent, changes: Partial<Authorization>) {
      const { state, closedReason } = nextAuthorizationState(a.state, event);
      Object.assign(a, changes, { state, ...(closedReason ? { closedReason } : {}) });
      repository.putLink(a);
    },
    async place(link: Authorization, _pin: unknown, _actor: string, _adopt: boolean, onApproved?: unknown) {
      placed.push({ link, lastWrite: onApproved !== undefined });
      return 'APPROVED';
    },
  };
  return holds;
}

type Answer = RedeemResult | ProviderError;

/** Provider calls as ProviderCallsService makes them, without a table; a lost answer's look-up finds `resolution`. */
function callsResolving(resolution: Resolution) {
  const intents: CallIntent[] = [];
  let n = 0;
  const calls = {
    intents,
    async run<T>(
      intent: CallIntent,
      call: (requestId: string) => Promise<T>,
      _describe: unknown,
      applySuccess?: (m: EntityManager, value: T, record: ProviderCall) => Promise<void>,
    ): Promise<CallResult<T>> {
      intents.push(intent);
      const record: ProviderCall = Object.assign(new ProviderCall(), { id: `call-${++n}`, operation: intent.operation, providerTransactionId: null });
      try {
        const value = await call(record.id);
        record.providerTransactionId = (value as RedeemResult).transactionId;
        await applySuccess?.(FAKE_TX, value, record);
        return { ok: true, value, call: record };
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        return { ok: false, error, call: record };
      }
    },
    async resolve(_call: ProviderCall, options: ResolveOptions = {}): Promise<Resolution> {
      if (resolution.applied === true) await options.onApplied?.(FAKE_TX, resolution.transaction);
      return resolution;
    },
  };
  return calls;
}

interface WorldOptions {
  answer?: Answer;
  resolution?: Resolution;
  chainResolved?: boolean;
}

function world(options: WorldOptions = {}) {
  const repository = new InMemorySettlementsRepository();
  const history = new RecordedHistory();
  const events = history.events;
  const fence = new PassThroughFence();
  const lock = new FreeChainLock();
  const holds = holdsOn(repository);
  const redeems: RedeemFromHoldInput[] = [];
  const provider = {
    async redeemFromHold(input: RedeemFromHoldInput): Promise<RedeemResult> {
      redeems.push(input);
      const answer = options.answer ?? { transactionId: 'tx-1', redeemedAmount: input.amount };
      if (answer instanceof ProviderError) throw answer;
      return answer;
    },
  } as unknown as GiftCardProvider;
  const calls = callsResolving(options.resolution ?? { applied: 'unknown' });
  const vault = { decrypt: () => '6006490000000000001' } as unknown as CardVault;
  const repair = {
    resolveChain: async () => options.chainResolved ?? true,
    placeUnplacedAdvancedHold: async () => 'NONE' as const,
  } as unknown as ChainRepair;
  const recorder = new SettlementRecorder(holds as unknown as HoldsService, history, new Metrics(), fence, repository);
  const service = new SettlementsService(
    repository,
    lock,
    holds as unknown as HoldsService,
    calls as unknown as ProviderCallsService,
    vault,
    history,
    provider,
    fence,
    repair,
    recorder,
  );

  /** An open hold of `held` cents on a chain of its own, stored. */
  function openHold(held: bigint): Authorization {
    const link = Object.assign(
      newAuthorization({ orderId: 'ORD-1', card: { hash: 'h', encrypted: 'e', last4: '0001' }, currency: 'USD', requestedMinor: held, allowPartial: false }),
      { state: 'OPEN', decision: 'APPROVED', approvedMinor: held, heldMinor: held, providerHoldId: 'hold-1' } satisfies Partial<Authorization>,
    );
    repository.putLink(link);
    return link;
  }

  const request = (link: Authorization, fields: Partial<SettleRequest> = {}): SettleRequest => ({
    authorizationId: link.id,
    amount: '20.00',
    invoiceId: 'INV-1',
    final: false,
    mode: 'sync',
    ...fields,
  });

  return { repository, events, fence, lock, holds, calls, redeems, service, openHold, request };
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('SettlementsService.create', () => {
  it('stores the settlement OPEN on the named link’s chain, with its request in the history', async () => {
    const w = world();
    const link = w.openHold(5000n);

    const created = await w.service.create(w.request(link, { mode: 'batch' }), ACTOR, 'oms:K-1');

    expect([...w.repository.settlements.values()]).toEqual([
      expect.objectContaining({
        id: created.id,
        rootAuthorizationId: link.id,
        authorizationId: link.id,
        orderId: 'ORD-1',
        invoiceId: 'INV-1',
        idempotencyKey: 'oms:K-1',
        amountMinor: 2000n,
        settledMinor: 0n,
        currency: 'USD',
        mode: 'batch',
        status: 'OPEN',
        attempts: 0,
        servedAuthorizationId: null,
      }),
    ]);
    expect(w.events).toEqual([expect.objectContaining({ type: 'SETTLEMENT_REQUESTED', settlementId: created.id, toState: 'OPEN', amountMinor: 2000n })]);
  });

  it('refuses more than the chain holds, and writes nothing', async () => {
    const w = world();
    const link = w.openHold(1500n);

    const error = await rejection(w.service.create(w.request(link, { amount: '20.00' }), ACTOR, 'oms:K-1'));

    expect(error.code).toBe('AMOUNT_EXCEEDS_HELD');
    expect(error.details).toEqual({ heldAmount: '15.00' });
    expect(w.repository.settlements.size).toBe(0);
    expect(w.events).toEqual([]);
  });

  it('refuses a chain with no open hold left, and an unknown authorization, writing nothing', async () => {
    const w = world();
    const link = w.openHold(5000n);
    w.repository.putLink(Object.assign(link, { state: 'CLOSED', heldMinor: 0n }));

    expect((await rejection(w.service.create(w.request(link), ACTOR))).code).toBe('AUTHORIZATION_CLOSED');
    expect((await rejection(w.service.create(w.request(link, { authorizationId: '00000000-0000-4000-8000-000000000000' }), ACTOR))).code).toBe('NOT_FOUND');
    expect(w.repository.settlements.size).toBe(0);
  });

  it('answers a replay of its Idempotency-Key with the stored settlement, whatever the body says now', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const first = await w.service.create(w.request(link), ACTOR, 'oms:K-1');

    const again = await w.service.create(w.request(link, { amount: '30.00', invoiceId: 'INV-2' }), ACTOR, 'oms:K-1');

    expect(again.id).toBe(first.id);
    expect(again.amountMinor).toBe(2000n);
    expect(w.repository.settlements.size).toBe(1);
  });

  it('settles an invoice once per chain: the same amount under another key is the same settlement, another amount a conflict', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const first = await w.service.create(w.request(link), ACTOR, 'oms:K-1');

    expect((await w.service.create(w.request(link), ACTOR, 'oms:K-2')).id).toBe(first.id);
    const conflict = await rejection(w.service.create(w.request(link, { amount: '25.00' }), ACTOR, 'oms:K-3'));

    expect(conflict.code).toBe('INVOICE_ALREADY_SETTLED');
    expect(conflict.details).toMatchObject({ settlementId: first.id, amount: '20.00' });
    expect(w.repository.settlements.size).toBe(1);
  });

  it('answers with the winner when a racing request stored the same invoice between the check and the insert', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const winner = await w.service.create(w.request(link), ACTOR, 'oms:K-1');
    // The loser's first look found nothing: the winner had not committed yet.
    const byInvoice = w.repository.byInvoice.bind(w.repository);
    jest.spyOn(w.repository, 'byInvoice').mockImplementationOnce(async () => null).mockImplementation(byInvoice);

    const loser = await w.service.create(w.request(link), ACTOR, 'oms:K-2');

    expect(loser.id).toBe(winner.id);
    expect(w.repository.settlements.size).toBe(1);
    expect(w.events.filter((e) => e.type === 'SETTLEMENT_REQUESTED')).toHaveLength(1);
  });
});

describe('SettlementsService.process', () => {
  async function stored(w: ReturnType<typeof world>, link: Authorization, fields: Partial<SettleRequest> = {}) {
    return w.service.create(w.request(link, fields), ACTOR, 'oms:K-1');
  }

  it('redeems a partial shipment from the open hold and leaves the rest to an advanced hold, the new link of the chain', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const settlement = await stored(w, link);

    const outcome = await w.service.process(settlement.id, ACTOR);

    expect(outcome.kind).toBe('SETTLED');
    expect(w.lock.ran).toEqual([link.id]);
    expect(w.redeems).toEqual([expect.objectContaining({ holdId: 'hold-1', amount: { minor: 2000n, currency: 'USD' } })]);
    const advanced = [...w.repository.links.values()].find((l) => l.previousId === link.id)!;
    expect(advanced).toMatchObject({ rootId: link.id, state: 'PENDING', requestedMinor: 3000n, allowPartial: true });
    expect(w.repository.links.get(link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'SUPERSEDED', heldMinor: 0n, settledMinor: 2000n, nextId: advanced.id });
    expect(w.repository.settlements.get(settlement.id)).toMatchObject({
      status: 'SETTLED',
      settledMinor: 2000n,
      servedAuthorizationId: link.id,
      advancedAuthorizationId: advanced.id,
      attempts: 1,
      leaseOwner: null,
    });
    // The advanced hold's approval is the request's last write: the chain's lock goes with it, not with the redeem.
    expect(w.holds.placed).toEqual([{ link: expect.objectContaining({ id: advanced.id }), lastWrite: true }]);
    expect(w.fence.releases).toBe(0);
  });

  it('settles a final shipment without an advanced hold, releasing the chain in the redeem’s commit', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const settlement = await stored(w, link, { final: true });

    expect((await w.service.process(settlement.id, ACTOR)).kind).toBe('SETTLED');

    expect(w.repository.links.size).toBe(1);
    expect(w.repository.links.get(link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'SETTLED', settledMinor: 2000n, nextId: null });
    expect(w.repository.settlements.get(settlement.id)).toMatchObject({ status: 'SETTLED', advancedAuthorizationId: null });
    expect(w.holds.placed).toEqual([]);
    expect(w.fence.releases).toBe(1);
  });

  it('fails a settlement the hold no longer covers without calling the provider', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const settlement = await stored(w, link);
    w.repository.putLink(Object.assign(link, { heldMinor: 1000n }));

    const outcome = await w.service.process(settlement.id, ACTOR);

    expect(outcome.kind).toBe('FAILED');
    expect(w.calls.intents).toEqual([]);
    expect(w.repository.settlements.get(settlement.id)).toMatchObject({ status: 'FAILED', failureReason: 'AMOUNT_EXCEEDS_HELD', attempts: 0 });
  });

  it('answers a settlement already done as it is, without claiming it again', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const settlement = await stored(w, link, { final: true });
    await w.service.process(settlement.id, ACTOR);
    const eventsBefore = w.events.length;

    const again = await w.service.process(settlement.id, ACTOR);

    expect(again.kind).toBe('SETTLED');
    expect(w.redeems).toHaveLength(1);
    expect(w.events).toHaveLength(eventsBefore);
    expect(w.repository.settlements.get(settlement.id)).toMatchObject({ status: 'SETTLED', attempts: 1 });
  });

  it('waits while an earlier call on the chain is unresolved: nothing is claimed or sent', async () => {
    const w = world({ chainResolved: false });
    const link = w.openHold(5000n);
    const settlement = await stored(w, link);

    const outcome = await w.service.process(settlement.id, ACTOR);

    expect(outcome).toMatchObject({ kind: 'RETRY', unknown: true });
    expect(w.calls.intents).toEqual([]);
    expect(w.repository.settlements.get(settlement.id)).toMatchObject({ status: 'OPEN', attempts: 0, servedAuthorizationId: null });
  });

  it('fails on a decline; a hold the provider no longer has closes its link as expired', async () => {
    const w = world({ answer: new ProviderDeclinedError('HOLD_NOT_AVAILABLE', 'hold expired') });
    const link = w.openHold(5000n);
    const settlement = await stored(w, link);

    const outcome = await w.service.process(settlement.id, ACTOR);

    expect(outcome.kind).toBe('FAILED');
    expect(w.repository.settlements.get(settlement.id)).toMatchObject({ status: 'FAILED', failureReason: 'HOLD_NOT_AVAILABLE', settledMinor: 0n, advancedAuthorizationId: null });
    expect(w.repository.links.get(link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'EXPIRED', heldMinor: 0n });
    expect(w.repository.links.size).toBe(1);
  });

  it('puts the settlement back OPEN when the provider could not be asked, and fails it when the provider rejected the request', async () => {
    const unavailable = world({ answer: new ProviderUnavailableError('503', 'busy') });
    const link = unavailable.openHold(5000n);
    const settlement = await stored(unavailable, link);
    expect(await unavailable.service.process(settlement.id, ACTOR)).toMatchObject({ kind: 'RETRY', unknown: false, message: 'busy' });
    expect(unavailable.repository.settlements.get(settlement.id)).toMatchObject({ status: 'OPEN', attempts: 1 });
    expect(unavailable.repository.links.get(link.id)).toMatchObject({ state: 'OPEN', heldMinor: 5000n });

    const rejected = world({ answer: new ProviderInvalidRequestError('400') });
    const other = rejected.openHold(5000n);
    const refused = await stored(rejected, other);
    expect((await rejected.service.process(refused.id, ACTOR)).kind).toBe('FAILED');
    expect(rejected.repository.settlements.get(refused.id)).toMatchObject({ status: 'FAILED', failureReason: 'PROVIDER_REJECTED' });
  });

  it('records a redeem whose answer was lost once the look-up finds it applied, and places the advanced hold', async () => {
    const w = world({
      answer: new ProviderOutcomeUnknownError('timeout'),
      resolution: { applied: true, transaction: { transactionId: 'tx-found', amount: { minor: 2000n, currency: 'USD' } } },
    });
    const link = w.openHold(5000n);
    const settlement = await stored(w, link);

    expect((await w.service.process(settlement.id, ACTOR)).kind).toBe('SETTLED');

    const advanced = [...w.repository.links.values()].find((l) => l.previousId === link.id)!;
    expect(advanced.requestedMinor).toBe(3000n);
    expect(w.repository.settlements.get(settlement.id)).toMatchObject({ status: 'SETTLED', settledMinor: 2000n, advancedAuthorizationId: advanced.id });
    expect(w.holds.placed).toEqual([{ link: expect.objectContaining({ id: advanced.id }), lastWrite: false }]);
  });

  it('leaves a redeem whose answer was lost PROCESSING while the look-up cannot tell', async () => {
    const w = world({ answer: new ProviderOutcomeUnknownError('timeout'), resolution: { applied: 'unknown' } });
    const link = w.openHold(5000n);
    const settlement = await stored(w, link);

    expect(await w.service.process(settlement.id, ACTOR)).toMatchObject({ kind: 'RETRY', unknown: true });

    expect(w.repository.settlements.get(settlement.id)).toMatchObject({ status: 'PROCESSING', settledMinor: 0n, servedAuthorizationId: link.id });
    expect(w.repository.links.get(link.id)).toMatchObject({ state: 'OPEN', heldMinor: 5000n });
  });
});

describe('SettlementsService.settleNow and failOpen', () => {
  it('turns a decline into the contract’s 422 with its reason', async () => {
    const w = world({ answer: new ProviderDeclinedError('INSUFFICIENT_FUNDS') });
    const link = w.openHold(5000n);
    const settlement = await w.service.create(w.request(link), ACTOR, 'oms:K-1');

    const error = await rejection(w.service.settleNow(settlement, ACTOR));

    expect(error).toMatchObject({ status: 422, code: 'INSUFFICIENT_FUNDS', details: { settlementId: settlement.id } });
  });

  it('fails the chain’s OPEN settlements and leaves the others alone', async () => {
    const w = world();
    const link = w.openHold(5000n);
    const waiting = await w.service.create(w.request(link, { mode: 'batch', invoiceId: 'INV-1' }), ACTOR, 'oms:K-1');
    const done = await w.service.create(w.request(link, { mode: 'batch', invoiceId: 'INV-2', amount: '10.00' }), ACTOR, 'oms:K-2');
    await w.repository.update(FAKE_TX, done.id, { status: 'SETTLED' });

    await w.service.failOpen(link.id, 'AUTHORIZATION_CLOSED', ACTOR);

    expect(w.repository.settlements.get(waiting.id)).toMatchObject({ status: 'FAILED', failureReason: 'AUTHORIZATION_CLOSED' });
    expect(w.repository.settlements.get(done.id)).toMatchObject({ status: 'SETTLED', failureReason: null });
  });
});
