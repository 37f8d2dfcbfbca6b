import { formatAmount } from '@gcpa/money';
import { maskLast4 } from '../card-data/card-vault';
import { Settlement } from '../settlements/settlement.entity';
import { Authorization } from './authorization.entity';

const amount = (minor: bigint, currency: string) => formatAmount({ minor, currency });

/** The authorization as the OMS sees it. `status` is the hold decision; `state` is OPEN/CLOSED. */
export function authorizationView(a: Authorization) {
  return {
    authorizationId: a.id,
    orderId: a.orderId,
    status: a.decision ?? (a.state === 'FAILED' ? 'NOT_PROCESSED' : 'PENDING'),
    state: a.state,
    closedReason: a.closedReason,
    declineReason: a.declineReason,
    currency: a.currency,
    requestedAmount: amount(a.requestedMinor, a.currency),
    approvedAmount: amount(a.approvedMinor, a.currency),
    remainingAmount: amount(a.requestedMinor - a.approvedMinor, a.currency),
    heldAmount: amount(a.heldMinor, a.currency),
    settledAmount: amount(a.settledMinor, a.currency),
    cardLast4: a.cardLast4,
    maskedCardNumber: maskLast4(a.cardLast4),
    providerReference: a.providerHoldId,
    expiresAt: a.expiresAt,
    previousAuthorizationId: a.previousId,
    nextAuthorizationId: a.nextId,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

export function settlementView(s: Settlement) {
  return {
    settlementId: s.id,
    orderId: s.orderId,
    authorizationId: s.authorizationId,
    servedAuthorizationId: s.servedAuthorizationId,
    advancedAuthorizationId: s.advancedAuthorizationId,
    invoiceId: s.invoiceId,
    currency: s.currency,
    amount: amount(s.amountMinor, s.currency),
    settledAmount: amount(s.settledMinor, s.currency),
    final: s.final,
    mode: s.mode,
    status: s.status,
    failureReason: s.failureReason,
    attempts: s.attempts,
    nextAttemptAt: s.status === 'OPEN' ? s.nextAttemptAt : null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}
