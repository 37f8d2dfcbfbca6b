import { formatAmount } from '@gcpa/money';
import { maskLast4 } from '../card-data/card-vault';
import { Refund, RefundAllocation } from './refund.entity';
import type { Revealed } from '../fulfillments/fulfillments.service';
import type { RefundAnswer } from './refunds.service';

/**
 * The refund as the OMS sees it: never the card number, only its last four digits. A refund to a new card adds
 * `newCard`: its number and PIN in full only when `newCard` carries them (the first answer that shows the loaded card).
 */
export function refundView(r: Refund) {
  return refundShowing(r, {});
}

/** The refund, with a new card's number and PIN in full when `newCard` carries them. */
export function refundShowing(r: Refund, newCard: Revealed) {
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
    ...(r.allocationId ? { partOf: r.allocationId, partIndex: r.partIndex } : {}),
    ...(r.toNewCard
      ? { newCard: { cardNumber: newCard.cardNumber ?? (r.cardLast4 ? maskLast4(r.cardLast4) : null), pin: newCard.pin ?? null, cardLast4: r.cardLast4 } }
      : {}),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Of the parts, the status of the whole: SUCCEEDED when every part did, FAILED when one was declined, else PENDING. */
function allocationStatus(parts: Refund[]) {
  if (parts.length > 0 && parts.every((p) => p.status === 'SUCCEEDED')) return 'SUCCEEDED';
  return parts.some((p) => p.status === 'FAILED') ? 'FAILED' : 'PENDING';
}

/**
 * A refund that named only its order: the fields of a refund (no settlement, no one card: those are per part) and
 * its `parts`, one refund per card in the order they were issued.
 */
export function allocationView(a: RefundAllocation, parts: Refund[]) {
  const amount = (minor: bigint) => formatAmount({ minor, currency: a.currency });
  const refunded = parts.filter((p) => p.status === 'SUCCEEDED').reduce((sum, p) => sum + p.amountMinor, 0n);
  const updatedAt = parts.reduce((latest, p) => (p.updatedAt > latest ? p.updatedAt : latest), a.createdAt);
  return {
    refundId: a.id,
    orderId: a.orderId,
    settlementId: null,
    kind: 'REFUND',
    status: allocationStatus(parts),
    currency: a.currency,
    amount: amount(a.amountMinor),
    refundedAmount: amount(refunded),
    failureReason: null,
    cardLast4: null,
    maskedCardNumber: null,
    providerReference: null,
    parts: parts.map(refundView),
    createdAt: a.createdAt,
    updatedAt,
  };
}

/** The answer to a refund request or read, whichever form it took. */
export const refundAnswerView = (answer: RefundAnswer, revealed = true) =>
  'refund' in answer ? refundShowing(answer.refund, (revealed && answer.newCard) || {}) : allocationView(answer.allocation, answer.parts);
