import { maskSensitiveText } from '@gcpa/gift-card-provider';
import { formatAmount } from '@gcpa/money';
import { Injectable } from '@nestjs/common';
import { authorizationView, settlementView } from '../authorizations/authorization.view';
import { notFound } from '../common/domain-errors';
import { fulfillmentView } from '../fulfillments/fulfillment.view';
import { refundView } from '../refunds/refund.view';
import { OrderViewRepository } from './order-view.repository';
import { orderTotals, OrderTotalsMinor } from './order-totals';

const amountOrNull = (minor: bigint | null, currency: string | null) => (minor === null || !currency ? null : formatAmount({ minor, currency }));

const totalsView = (t: OrderTotalsMinor, currency: string) => ({
  authorized: formatAmount({ minor: t.authorized, currency }),
  settled: formatAmount({ minor: t.settled, currency }),
  refunded: formatAmount({ minor: t.refunded, currency }),
  held: formatAmount({ minor: t.held, currency }),
});

/** Everything that happened to the payments of one order, read in one repeatable-read snapshot. */
@Injectable()
export class OrdersService {
  constructor(private readonly orders: OrderViewRepository) {}

  async payments(orderId: string) {
    const { authorizations, settlements, refunds, fulfillments, events } = await this.orders.rowsOf(orderId);
    if (authorizations.length + settlements.length + refunds.length + fulfillments.length + events.length === 0) throw notFound('order', orderId);

    const totals = orderTotals({ authorizations, settlements, refunds });
    const [currency, primary] = [...totals.entries()][0] ?? [events.find((e) => e.currency)?.currency ?? null, null];
    const otherCurrencies = [...totals.entries()].slice(1).map(([c, t]) => ({ currency: c, totals: totalsView(t, c) }));

    const roots = authorizations.filter((a) => a.id === a.rootId);
    return {
      orderId,
      currency,
      totals: primary && currency ? totalsView(primary, currency) : null,
      ...(otherCurrencies.length > 0 ? { otherCurrencies } : {}),
      authorizations: roots.map((root) => {
        const chain = authorizations.filter((a) => a.rootId === root.id);
        const current = chain.find((a) => a.state === 'OPEN') ?? chain[chain.length - 1];
        return {
          ...authorizationView(root),
          currentAuthorizationId: current.id,
          chain: chain.map(authorizationView),
          settlements: settlements.filter((s) => s.rootAuthorizationId === root.id).map(settlementView),
        };
      }),
      refunds: refunds.map(refundView),
      /** Gift cards sold on the order: masked (the number and PIN show only in the first fulfillment answer). */
      fulfillments: fulfillments.map((f) => fulfillmentView(f)),
      history: events.map((e) => ({
        type: e.type,
        fromState: e.fromState,
        toState: e.toState,
        amount: amountOrNull(e.amountMinor, e.currency),
        currency: e.currency,
        actor: e.actor,
        authorizationId: e.authorizationId,
        settlementId: e.settlementId,
        refundId: e.refundId,
        providerTransactionId: e.providerTransactionId,
        providerMessage: e.providerMessage === null ? null : maskSensitiveText(e.providerMessage),
        createdAt: e.createdAt,
      })),
    };
  }
}
