import { Authorization } from '../authorizations/authorization.entity';
import { ProviderCall } from '../provider-calls/provider-call.entity';

type LinkFacts = Pick<Authorization, 'state' | 'closedReason' | 'providerHoldId'>;
type HoldCallFacts = Pick<ProviderCall, 'providerTransactionId' | 'resultMinor'>;

/** The expiry job closes a link (re-authorized, expired) before it releases the link's hold, as a call of its own. */
export function closedByExpiryJob(link: Pick<Authorization, 'closedReason'>): boolean {
  return link.closedReason === 'REAUTHORIZED' || link.closedReason === 'EXPIRED';
}

/**
 * What the repair does with a hold the provider placed (answered, or found by a look-up) for a link:
 * - NONE: no hold id, or it is the link's own hold, which is the link's business (unless the expiry job closed
 *   the link before releasing it);
 * - ADOPT: a PENDING link takes it on, as a found lost hold is adopted;
 * - RELEASE: nobody owns it; released unless a release (or redeem by the link) of it already ended.
 */
export function foundHoldStep(link: LinkFacts, call: HoldCallFacts): 'NONE' | 'ADOPT' | 'RELEASE' {
  const holdId = call.providerTransactionId;
  if (!holdId || (link.providerHoldId === holdId && !closedByExpiryJob(link))) return 'NONE';
  if (link.state === 'PENDING' && call.resultMinor !== null && call.resultMinor > 0n) return 'ADOPT';
  return 'RELEASE';
}
