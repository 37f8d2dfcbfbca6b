import { formatAmount } from '@gcpa/money';
import { DifferenceRow, RunRow } from './reconciliation.repository';

const masked = (last4: string) => `****${last4}`;

/** A run as operators read it: cards masked, amounts as strings; released holds, differences and skipped cards apart. */
export function reconciliationRunView(run: RunRow, rows: DifferenceRow[]) {
  const amount = (r: DifferenceRow) => formatAmount({ minor: r.amountMinor, currency: r.currency });
  return {
    runId: run.id,
    status: run.status,
    trigger: run.trigger,
    window: { start: run.windowStart.toISOString(), end: run.windowEnd.toISOString() },
    cardsChecked: run.cardsChecked,
    cardsSkipped: run.cardsSkipped,
    holdsReleased: run.holdsReleased,
    releasedHolds: rows
      .filter((r) => r.action === 'RELEASED')
      .map((r) => ({
        card: masked(r.cardLast4),
        holdId: r.providerReference,
        amount: amount(r),
        currency: r.currency,
        providerCallId: r.providerCallId,
        releaseCallId: r.releaseCallId,
        orderId: r.orderId,
        authorizationId: r.authorizationId,
        note: r.note,
      })),
    voidedEntries: rows
      .filter((r) => r.action === 'VOIDED')
      .map((r) => ({
        kind: r.kind,
        card: masked(r.cardLast4),
        transactionId: r.providerReference,
        amount: amount(r),
        currency: r.currency,
        providerAt: r.providerAt?.toISOString() ?? null,
        providerCallId: r.providerCallId,
        voidCallId: r.releaseCallId,
        orderId: r.orderId,
        authorizationId: r.authorizationId,
        refundId: r.refundId,
        note: r.note,
      })),
    differences: rows
      .filter((r) => r.action === 'LISTED' || r.action === 'RELEASE_FAILED' || r.action === 'VOID_FAILED')
      .map((r) => ({
        kind: r.kind,
        action: r.action,
        card: masked(r.cardLast4),
        amount: amount(r),
        currency: r.currency,
        providerReference: r.providerReference,
        providerAt: r.providerAt?.toISOString() ?? null,
        providerCallId: r.providerCallId,
        orderId: r.orderId,
        authorizationId: r.authorizationId,
        refundId: r.refundId,
        note: r.note,
      })),
    skippedCards: rows.filter((r) => r.action === 'SKIPPED').map((r) => ({ card: masked(r.cardLast4), note: r.note })),
    failure: run.failure,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}
