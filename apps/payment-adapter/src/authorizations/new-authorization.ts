import { randomUUID } from 'node:crypto';
import { Authorization } from './authorization.entity';

export interface NewAuthorization {
  orderId: string;
  card: { hash: string; encrypted: string; last4: string };
  currency: string;
  requestedMinor: bigint;
  allowPartial: boolean;
  idempotencyKey?: string | null;
  /** For an advanced hold: the authorization it replaces (the chain's root comes from it). */
  previous?: Pick<Authorization, 'id' | 'rootId'>;
}

/** A PENDING authorization, before its hold is placed: a first hold (its own root) or an advanced hold. */
export function newAuthorization(fields: NewAuthorization): Authorization {
  const id = randomUUID();
  const now = new Date();
  return Object.assign(new Authorization(), {
    id,
    orderId: fields.orderId,
    rootId: fields.previous?.rootId ?? id,
    previousId: fields.previous?.id ?? null,
    nextId: null,
    idempotencyKey: fields.idempotencyKey ?? null,
    cardHash: fields.card.hash,
    cardEncrypted: fields.card.encrypted,
    cardLast4: fields.card.last4,
    currency: fields.currency,
    requestedMinor: fields.requestedMinor,
    approvedMinor: 0n,
    heldMinor: 0n,
    settledMinor: 0n,
    allowPartial: fields.allowPartial,
    state: 'PENDING',
    decision: null,
    declineReason: null,
    closedReason: null,
    providerHoldId: null,
    expiresAt: null,
    lockOwner: null,
    lockUntil: null,
    createdAt: now,
    updatedAt: now,
  } satisfies Authorization);
}

/**
 * The next link of a chain, PENDING, holding `requestedMinor` again on the same card (what the card still has:
 * partial approval): the advanced hold after a partial settlement, and the new hold of a re-authorization.
 */
export function nextLinkOf(link: Authorization, requestedMinor: bigint): Authorization {
  return newAuthorization({
    orderId: link.orderId,
    card: { hash: link.cardHash, encrypted: link.cardEncrypted, last4: link.cardLast4 },
    currency: link.currency,
    requestedMinor,
    allowPartial: true,
    previous: link,
  });
}
