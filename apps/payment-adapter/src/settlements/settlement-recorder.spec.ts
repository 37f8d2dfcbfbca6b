import { Authorization } from '../authorizations/authorization.entity';
import { AuthorizationEvent, IllegalTransitionError, nextAuthorizationState } from '../authorizations/authorization-state';
import { HoldsService } from '../authorizations/holds.service';
import { newAuthorization } from '../authorizations/new-authorization';
import { Metrics } from '../observability/metrics';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { Settlement } from './settlement.entity';
import { SettlementRecorder } from './settlement-recorder';
import { InMemorySettlementsRepository } from './settlements.repository.fake';
import { FAKE_TX, PassThroughFence, RecordedHistory } from '../testing/doubles';
import { newSettlement } from './new-settlement';

const ACTOR = 'settlement-job';

function world() {
  const repository = new InMemorySettlementsRepository();
  const history = new RecordedHistory();
  const events = history.events;
  const placed: Array<{ id: string; lastWrite: boolean }> = [];
  const holds = {
    async transition(a: Authorization, event: AuthorizationEvent, changes: Partial<Authorization>) {
      const { state, closedReason } = nextAuthorizationState(a.state, event);
      Object.assign(a, changes, { state, closedReason });
      repository.putLink(a);
    },
    async place(link: Authorization, _pin: unknown, _actor: string, _adopt: boolean, onApproved?: unknown) {
      placed.push({ id: link.id, lastWrite: onApproved !== undefined });
      return 'APPROVED';
    },
  } as unknown as HoldsService;
  const metrics = new Metrics();
  const fence = new PassThroughFence();
  const recorder = new SettlementRecorder(holds, history, metrics, fence, repository);

  const link = Object.assign(
    newAuthorization({ orderId: 'ORD-1', card: { hash: 'h', encrypted: 'e', last4: '0001' }, currency: 'USD', requestedMinor: 5000n, allowPartial: false }),
    { state: 'OPEN', heldMinor: 5000n, approvedMinor: 5000n, providerHoldId: 'hold-1' } satisfies Partial<Authorization>,
  );
  repository.putLink(link);

  function settlement(fields: Partial<Settlement> = {}): Settlement {
    const n = repository.settlements.size + 1;
    const s = Object.assign(newSettlement(link, { invoiceId: `INV-${n}`, amountMinor: 2000n, final: false, mode: 'batch' }), { id: `S-${n}` }, fields);
    repository.putSettlement(s);
    return s;
  }

  const call = Object.assign(new ProviderCall(), { id: 'call-1', operation: 'REDEEM_FROM_HOLD', providerTransactionId: 'tx-1' } satisfies Partial<ProviderCall>);
  const transitions = async (event: string) => (await metrics.settlementTransitions.get()).values.find((v) => v.labels.event === event)?.value ?? 0;

  return { repository, events, placed, fence, recorder, link, settlement, call, transitions };
}

describe('SettlementRecorder.move', () => {
  it('writes the event’s columns and status in a fenced transaction of its own, and its history event', async () => {
    const w = world();
    const s = w.settlement({ leaseOwner: '11111111-1111-4111-8111-111111111111', leaseUntil: new Date() });

    await w.recorder.move(s, 'CLAIMED', { servedAuthorizationId: w.link.id, attempts: 1 }, ACTOR);

    expect(w.fence.transactions).toBe(1);
    // The batch job's lease still covers a PROCESSING settlement.
    expect(w.repository.settlements.get(s.id)).toMatchObject({ status: 'PROCESSING', servedAuthorizationId: w.link.id, attempts: 1, leaseOwner: '11111111-1111-4111-8111-111111111111' });
    expect(w.events).toEqual([
      expect.objectContaining({ type: 'SETTLEMENT_CLAIMED', settlementId: s.id, authorizationId: w.link.id, fromState: 'OPEN', toState: 'PROCESSING', amountMinor: 2000n, actor: ACTOR }),
    ]);
    expect(await w.transitions('CLAIMED')).toBe(1);
  });

  it('clears the lease once the settlement is done, and writes in the caller’s transaction when given one', async () => {
    const w = world();
    const s = w.settlement({ status: 'PROCESSING', leaseOwner: '11111111-1111-4111-8111-111111111111', leaseUntil: new Date() });

    await w.recorder.move(s, 'FAILED', { failureReason: 'CARD_INACTIVE' }, ACTOR, { providerCallId: 'call-1' });
    await w.recorder.move(w.settlement(), 'FAILED', { failureReason: 'AUTHORIZATION_CLOSED' }, ACTOR, {}, FAKE_TX);

    expect(w.fence.transactions).toBe(1);
    expect(w.repository.settlements.get(s.id)).toMatchObject({ status: 'FAILED', failureReason: 'CARD_INACTIVE', leaseOwner: null, leaseUntil: null });
    expect(w.events[0]).toMatchObject({ type: 'SETTLEMENT_FAILED', providerCallId: 'call-1', providerMessage: 'CARD_INACTIVE' });
  });

  it('refuses a transition the lifecycle does not allow, and writes nothing', async () => {
    const w = world();
    const s = w.settlement({ status: 'SETTLED', settledMinor: 2000n });

    await expect(w.recorder.move(s, 'REOPENED', { attempts: 0 }, ACTOR)).rejects.toBeInstanceOf(IllegalTransitionError);

    expect(w.repository.settlements.get(s.id)).toMatchObject({ status: 'SETTLED' });
    expect(w.events).toEqual([]);
    expect(await w.transitions('REOPENED')).toBe(0);
  });
});

describe('SettlementRecorder.recordRedeem', () => {
  it('closes the link and, for a partial shipment, inserts the advanced hold’s link the chain now points at', async () => {
    const w = world();
    const s = w.settlement({ status: 'PROCESSING', servedAuthorizationId: w.link.id });

    const advanced = await w.recorder.recordRedeem(FAKE_TX, s, w.link, 2000n, ACTOR, w.call);

    expect(advanced).not.toBeNull();
    expect(w.repository.links.get(advanced!.id)).toMatchObject({ state: 'PENDING', rootId: w.link.id, previousId: w.link.id, requestedMinor: 3000n });
    expect(w.repository.links.get(w.link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'SUPERSEDED', heldMinor: 0n, settledMinor: 2000n, nextId: advanced!.id });
    expect(w.repository.settlements.get(s.id)).toMatchObject({ status: 'SETTLED', settledMinor: 2000n, advancedAuthorizationId: advanced!.id });
    expect(w.events).toEqual([expect.objectContaining({ type: 'SETTLEMENT_REDEEMED', providerTransactionId: 'tx-1', amountMinor: 2000n })]);
    expect(w.fence.transactions).toBe(0);
  });

  it('leaves no advanced hold after a final shipment, nor when the redeem took the whole hold', async () => {
    const final = world();
    const last = final.settlement({ status: 'PROCESSING', final: true });
    expect(await final.recorder.recordRedeem(FAKE_TX, last, final.link, 2000n, ACTOR, final.call)).toBeNull();
    expect(final.repository.links.size).toBe(1);
    expect(final.repository.links.get(final.link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'SETTLED', settledMinor: 2000n, nextId: null });

    const whole = world();
    const all = whole.settlement({ status: 'PROCESSING', amountMinor: 5000n });
    expect(await whole.recorder.recordRedeem(FAKE_TX, all, whole.link, 5000n, ACTOR, whole.call)).toBeNull();
    expect(whole.repository.links.size).toBe(1);
    expect(whole.repository.settlements.get(all.id)).toMatchObject({ status: 'SETTLED', settledMinor: 5000n, advancedAuthorizationId: null });
  });

  it('records a redeem found later in one fenced transaction, then places its advanced hold (not as the last write)', async () => {
    const w = world();
    const s = w.settlement({ status: 'PROCESSING', servedAuthorizationId: w.link.id });

    await w.recorder.afterRedeem(s, w.link, 1500n, ACTOR, w.call);

    expect(w.fence.transactions).toBe(1);
    const advanced = w.repository.settlements.get(s.id)!.advancedAuthorizationId!;
    expect(w.repository.links.get(advanced)).toMatchObject({ state: 'PENDING', requestedMinor: 3500n });
    expect(w.placed).toEqual([{ id: advanced, lastWrite: false }]);
  });
});
