/** A card the order settled on, as a refund naming only the order sees it (all counted under the order's lock). */
export interface SettledCard {
  cardHash: string;
  /** What the order's SETTLED settlements redeemed from this card. */
  settledMinor: bigint;
  /** The order's refunds to this card that are PENDING or SUCCEEDED. */
  refundedMinor: bigint;
  /** When the most recent of those settlements was made. */
  lastSettledAt: Date;
}

export type RefundAllocationDecision =
  | { accepted: true; parts: Array<{ cardHash: string; amountMinor: bigint }> }
  | { accepted: false; code: 'REFUND_EXCEEDS_SETTLED'; refundableMinor: bigint };

const atLeastZero = (minor: bigint) => (minor > 0n ? minor : 0n);

/**
 * A refund naming only its order is split across the cards the order settled on: the card of the most recent
 * settlement first (ties: the card hash, so that the order is stable), each card given at most what it settled
 * minus what is already refunded to it, until the amount is covered; cards with nothing left get no part. The
 * whole is also capped by the order's ceiling (what it settled minus what it refunded, credits included); beyond
 * either it is refused, with nothing allocated.
 */
export function allocateRefund(amountMinor: bigint, cards: SettledCard[], orderRefundableMinor: bigint): RefundAllocationDecision {
  const ordered = [...cards].sort((a, b) => b.lastSettledAt.getTime() - a.lastSettledAt.getTime() || (a.cardHash < b.cardHash ? -1 : a.cardHash > b.cardHash ? 1 : 0));
  const ofCards = ordered.reduce((sum, card) => sum + atLeastZero(card.settledMinor - card.refundedMinor), 0n);
  const refundableMinor = ofCards < atLeastZero(orderRefundableMinor) ? ofCards : atLeastZero(orderRefundableMinor);
  if (amountMinor > refundableMinor) return { accepted: false, code: 'REFUND_EXCEEDS_SETTLED', refundableMinor };
  const parts: Array<{ cardHash: string; amountMinor: bigint }> = [];
  let needed = amountMinor;
  for (const card of ordered) {
    if (needed === 0n) break;
    const left = atLeastZero(card.settledMinor - card.refundedMinor);
    const part = left < needed ? left : needed;
    if (part === 0n) continue;
    parts.push({ cardHash: card.cardHash, amountMinor: part });
    needed -= part;
  }
  return { accepted: true, parts };
}
