import { formatAmount } from '@gcpa/money';

/** The notification types of the OMS contract (lifecycle.md, "Notifications"). */
export const WEBHOOK_TYPES = [
  'settlement.settled',
  'settlement.failed',
  'authorization.expiring',
  'authorization.expired',
  'authorization.reauthorized',
  'transaction.unknown',
  'transaction.resolved',
  'refund.succeeded',
  'fulfillment.completed',
  'fulfillment.failed',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** What of a payment_event the mapping reads (the history row as it is appended). */
export interface HistoryFacts {
  orderId: string;
  type: string;
  fromState?: string | null;
  toState?: string | null;
  authorizationId?: string | null;
  settlementId?: string | null;
  refundId?: string | null;
  fulfillmentId?: string | null;
  providerCallId?: string | null;
  providerTransactionId?: string | null;
  providerMessage?: string | null;
  amountMinor?: bigint | null;
  currency?: string | null;
  detail?: Record<string, unknown> | null;
}

/**
 * Which notification a history event is, or null when the OMS is not told (it learns it from its own answer,
 * or it is internal). One table, so that a new history type is a one-line decision. The AUTHORIZATION_EXPIRING /
 * _REAUTHORIZED events come from the hold-expiry job; AUTHORIZATION_EXPIRED is also the state machine's EXPIRED.
 */
export function webhookTypeOf(event: Pick<HistoryFacts, 'type' | 'fromState' | 'toState'>): WebhookType | null {
  switch (event.type) {
    case 'SETTLEMENT_REDEEMED':
      return 'settlement.settled';
    case 'SETTLEMENT_FAILED':
      return 'settlement.failed';
    case 'REFUND_ISSUED':
      return 'refund.succeeded';
    case 'FULFILLMENT_FAILED':
      return 'fulfillment.failed';
    case 'TRANSACTION_GIVEN_UP':
      return 'transaction.unknown';
    case 'TRANSACTION_RESOLVED':
    case 'TRANSACTION_RESOLVED_BY_OPERATOR':
      return 'transaction.resolved';
    case 'AUTHORIZATION_EXPIRING':
      return 'authorization.expiring';
    case 'AUTHORIZATION_EXPIRED':
      return 'authorization.expired';
    case 'AUTHORIZATION_REAUTHORIZED':
      return 'authorization.reauthorized';
  }
  // A fulfillment completes with its last step (ISSUED today); whichever event lands it in COMPLETED says so.
  if (event.type.startsWith('FULFILLMENT_') && event.toState === 'COMPLETED' && event.fromState !== 'COMPLETED') return 'fulfillment.completed';
  return null;
}

/** Detail keys never copied into a notification: anything that could be card data. */
const UNSAFE_DETAIL_KEY = /card(?!Last4)|pin|pan|secret/i;

/**
 * The `data` of a notification: ids, the amount as a decimal string, the card's last four digits, the state
 * reached. Never a card number or PIN: the history row has none, and detail keys that could hold one are dropped.
 */
export function webhookData(event: HistoryFacts, cardLast4: string | null): Record<string, unknown> {
  const amount = event.amountMinor !== null && event.amountMinor !== undefined && event.currency
    ? formatAmount({ minor: event.amountMinor, currency: event.currency })
    : null;
  const data: Record<string, unknown> = {
    orderId: event.orderId,
    authorizationId: event.authorizationId ?? null,
    settlementId: event.settlementId ?? null,
    refundId: event.refundId ?? null,
    fulfillmentId: event.fulfillmentId ?? null,
    amount,
    currency: event.currency ?? null,
    cardLast4,
    status: event.toState ?? null,
  };
  const type = webhookTypeOf(event);
  if (type?.startsWith('transaction.')) {
    data.transactionId = event.providerCallId ?? null;
    data.providerTransactionId = event.providerTransactionId ?? null;
  }
  if (type === 'settlement.failed' || type === 'fulfillment.failed' || type?.startsWith('transaction.')) data.reason = event.providerMessage ?? null;
  for (const [key, value] of Object.entries(event.detail ?? {})) {
    if (key in data || UNSAFE_DETAIL_KEY.test(key)) continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) data[key] = value;
  }
  return data;
}
