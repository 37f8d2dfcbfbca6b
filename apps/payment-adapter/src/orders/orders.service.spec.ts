import { Authorization } from '../authorizations/authorization.entity';
import { newAuthorization, nextLinkOf } from '../authorizations/new-authorization';
import { PaymentEvent } from '../history/payment-event.entity';
import { Refund } from '../refunds/refund.entity';
import { Settlement } from '../settlements/settlement.entity';
import { InMemoryOrderViewRepository } from './order-view.repository.fake';
import { OrdersService } from './orders.service';

const card = { hash: 'hash-1', encrypted: 'encrypted-1', last4: '7890' };
let clock = Date.parse('2025-01-01T00:00:00Z');
/** Each row a second after the one before: "oldest first" has a meaning. */
const at = () => new Date((clock += 1000));

function link(orderId: string, changes: Partial<Authorization>, previous?: Authorization): Authorization {
  const base = previous ? nextLinkOf(previous, changes.requestedMinor ?? previous.heldMinor) : newAuthorization({ orderId, card, currency: 'USD', requestedMinor: 6000n, allowPartial: false });
  return Object.assign(base, { createdAt: at() }, changes);
}

function settlement(root: Authorization, changes: Partial<Settlement>): Settlement {
  return Object.assign(new Settlement(), {
    id: `settlement-${clock}`, orderId: root.orderId, authorizationId: root.id, rootAuthorizationId: root.id, servedAuthorizationId: root.id,
    advancedAuthorizationId: null, idempotencyKey: null, invoiceId: 'INV-1', currency: root.currency, amountMinor: 0n, settledMinor: 0n,
    final: false, mode: 'sync', status: 'SETTLED', failureReason: null, attempts: 1, nextAttemptAt: at(), leaseOwner: null, leaseUntil: null,
    createdAt: at(), updatedAt: at(),
  } satisfies Settlement, changes);
}

function refund(orderId: string, changes: Partial<Refund>): Refund {
  return Object.assign(new Refund(), { id: `refund-${clock}`, orderId, settlementId: null, currency: 'USD', amountMinor: 0n, status: 'SUCCEEDED', kind: 'REFUND', cardLast4: '7890', createdAt: at(), updatedAt: at() }, changes) as Refund;
}

let eventId = 0;
function event(orderId: string, changes: Partial<PaymentEvent>): PaymentEvent {
  return Object.assign(new PaymentEvent(), {
    id: String(++eventId), orderId, authorizationId: null, settlementId: null, refundId: null, fulfillmentId: null, type: 'AUTHORIZATION_HOLD_APPROVED',
    fromState: null, toState: null, amountMinor: null, currency: null, actor: 'oms', providerCallId: null, providerTransactionId: null,
    providerMessage: null, detail: null, createdAt: at(),
  } satisfies PaymentEvent, changes);
}

describe('OrdersService', () => {
  let views: InMemoryOrderViewRepository;
  let orders: OrdersService;

  beforeEach(() => {
    views = new InMemoryOrderViewRepository();
    orders = new OrdersService(views);
  });

  it('answers 404 for an order nothing was written for, even when other orders have rows', async () => {
    views.add({ authorizations: [link('ORD-OTHER', {})] });

    await expect(orders.payments('ORD-1')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(views.reads).toBe(1);
  });

  it('shows a chain under its root, with the open link as the current one and the root\'s settlements', async () => {
    const root = link('ORD-1', { state: 'CLOSED', closedReason: 'SUPERSEDED', decision: 'APPROVED', approvedMinor: 6000n, heldMinor: 0n, settledMinor: 2500n });
    const advanced = link('ORD-1', { state: 'OPEN', decision: 'APPROVED', requestedMinor: 3500n, approvedMinor: 3500n, heldMinor: 3500n }, root);
    views.add({ authorizations: [root, advanced], settlements: [settlement(root, { amountMinor: 2500n, settledMinor: 2500n, advancedAuthorizationId: advanced.id })] });

    const view = await orders.payments('ORD-1');

    expect(view.authorizations).toHaveLength(1);
    expect(view.authorizations[0]).toMatchObject({ authorizationId: root.id, currentAuthorizationId: advanced.id });
    expect(view.authorizations[0].chain.map((a) => a.authorizationId)).toEqual([root.id, advanced.id]);
    expect(view.authorizations[0].settlements).toEqual([expect.objectContaining({ settledAmount: '25.00', advancedAuthorizationId: advanced.id })]);
    // Only the root counts as authorized: the advanced hold re-holds money already counted.
    expect(view.totals).toEqual({ authorized: '60.00', settled: '25.00', refunded: '0.00', held: '35.00' });
  });

  it('names the newest link current when none is open (a reversed chain)', async () => {
    const root = link('ORD-1', { state: 'CLOSED', closedReason: 'SUPERSEDED' });
    const last = link('ORD-1', { state: 'CLOSED', closedReason: 'REVERSED' }, root);

    views.add({ authorizations: [root, last] });

    const view = await orders.payments('ORD-1');

    expect(view.authorizations[0].currentAuthorizationId).toBe(last.id);
  });

  it('puts the totals of a second currency beside the first, and counts only succeeded refunds', async () => {
    const usd = link('ORD-1', { state: 'OPEN', approvedMinor: 6000n, heldMinor: 6000n });
    const cad = Object.assign(link('ORD-1', { state: 'OPEN', approvedMinor: 1000n, heldMinor: 1000n }), { currency: 'CAD' });
    views.add({ authorizations: [usd, cad], refunds: [refund('ORD-1', { amountMinor: 500n }), refund('ORD-1', { amountMinor: 700n, status: 'FAILED' })] });

    const view = await orders.payments('ORD-1');

    expect(view.currency).toBe('USD');
    expect(view.totals).toMatchObject({ authorized: '60.00', refunded: '5.00' });
    expect(view.otherCurrencies).toEqual([{ currency: 'CAD', totals: { authorized: '10.00', settled: '0.00', refunded: '0.00', held: '10.00' } }]);
    expect(view.refunds.map((r) => r.status)).toEqual(['SUCCEEDED', 'FAILED']);
  });

  it('shows an order known only from its history (nothing held), without totals, and masks card data in provider messages', async () => {
    views.add({
      events: [event('ORD-1', { type: 'AUTHORIZATION_HOLD_DECLINED', currency: 'USD', amountMinor: 1500n, providerMessage: 'card 6006491234567890 pin: 1234 is not valid' })],
    });

    const view = await orders.payments('ORD-1');

    expect(view).toMatchObject({ currency: 'USD', totals: null, authorizations: [] });
    expect(view).not.toHaveProperty('otherCurrencies');
    expect(view.history).toEqual([expect.objectContaining({ type: 'AUTHORIZATION_HOLD_DECLINED', amount: '15.00' })]);
    expect(view.history[0].providerMessage).not.toMatch(/6006491234567890|1234/);
  });
});
