import { formatAmount } from '@gcpa/money';
import { maskLast4 } from '../card-data/card-vault';
import { Refund } from './refund.entity';

/** The refund as the OMS sees it: never the card number, only its last four digits. */
export function refundView(r: Refund) {
  return {
    refundId: r.id,
    orderId: r.orderId,
    settlementId: r.settlementId,
    kind: r.kind,
    status: r.status,
    currency: r.currency,
    amount: formatAmount({ minor: r.amountMinor, currency: r.currency }),
    refundedAmount: formatAmount({ minor: r.status === 'SUCCEEDED' ? r.amountMinor : 0n, currency: r.currency }),
    failureReason: r.failureReason,
    cardLast4: r.cardLast4,
    maskedCardNumber: maskLast4(r.cardLast4),
    providerReference: r.providerTransactionId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
