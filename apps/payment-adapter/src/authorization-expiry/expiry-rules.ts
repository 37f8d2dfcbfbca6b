import { AuthorizationState, ClosedReason } from '../authorizations/authorization-state';

/** What the expiry job needs to know of one link of a chain. */
export interface ExpiryLink {
  id: string;
  previousId: string | null;
  state: AuthorizationState;
  closedReason: ClosedReason | null;
  heldMinor: bigint;
  expiresAt: Date | null;
  /** Whether any provider call was ever recorded for the link (a PENDING link without one never asked). */
  hasCalls: boolean;
}

export type ExpiryStep =
  | { kind: 'NONE' }
  /** The open link is past its expiry: release it at the provider and close it EXPIRED. */
  | { kind: 'EXPIRE'; linkId: string }
  /** The open link expires within REAUTHORIZE_BEFORE_HOURS and still holds value: hold it again as a new link. */
  | { kind: 'REAUTHORIZE'; linkId: string }
  /** A new link of a re-authorization that was not placed (not processed, or a crash before its hold): place it. */
  | { kind: 'PLACE_SUCCESSOR'; linkId: string };

const unplaced = (l: ExpiryLink) => l.state === 'FAILED' || (l.state === 'PENDING' && !l.hasCalls);

/**
 * The one thing the expiry job does next on a chain. Links declined at re-authorization are not tried again
 * (the OMS was told the shortfall); the old link then waits for its expiry. A new link whose hold is in flight or
 * unresolved is left to the chain's resolution (ChainRepair.resolveChain), which runs first.
 */
export function nextExpiryStep(chain: ExpiryLink[], now: Date, reauthorizeBeforeMs: number): ExpiryStep {
  const open = chain.find((l) => l.state === 'OPEN');
  if (open) {
    if (!open.expiresAt) return { kind: 'NONE' };
    if (open.expiresAt.getTime() <= now.getTime()) return { kind: 'EXPIRE', linkId: open.id };
    if (open.heldMinor <= 0n || open.expiresAt.getTime() - now.getTime() > reauthorizeBeforeMs) return { kind: 'NONE' };
    const successor = chain.find((l) => l.previousId === open.id);
    if (!successor) return { kind: 'REAUTHORIZE', linkId: open.id };
    return unplaced(successor) ? { kind: 'PLACE_SUCCESSOR', linkId: successor.id } : { kind: 'NONE' };
  }
  // Released first (the card could not carry both holds): the old link is closed, the new one still to place.
  const successor = chain.find((l) => unplaced(l) && chain.some((p) => p.id === l.previousId && p.closedReason === 'REAUTHORIZED'));
  return successor ? { kind: 'PLACE_SUCCESSOR', linkId: successor.id } : { kind: 'NONE' };
}

/**
 * A new hold first, then the old one released, so the value is reserved throughout. But the old hold's own
 * reservation is not available to the new one: when the card cannot carry both (a card held in full, the common
 * case of a gift card), the new hold would come back short for no reason, so the old one is released first and the
 * new one placed right after (only another channel spending the card in between makes it short).
 */
export function reauthorizationOrder(heldMinor: bigint, availableMinor: bigint): 'HOLD_FIRST' | 'RELEASE_FIRST' {
  return availableMinor >= heldMinor ? 'HOLD_FIRST' : 'RELEASE_FIRST';
}

/** What a re-hold did not get back: the OMS asks another tender for it. */
export function shortfallOf(requestedMinor: bigint, heldMinor: bigint): bigint {
  return heldMinor >= requestedMinor ? 0n : requestedMinor - heldMinor;
}
