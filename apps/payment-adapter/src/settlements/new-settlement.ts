import { randomUUID } from 'node:crypto';
import { Authorization } from '../authorizations/authorization.entity';
import { Settlement } from './settlement.entity';

export interface NewSettlement {
  invoiceId: string;
  amountMinor: bigint;
  final: boolean;
  mode: Settlement['mode'];
  idempotencyKey?: string | null;
}

/** An OPEN settlement of `link` (the authorization the OMS named), due at once, before anything is redeemed. */
export function newSettlement(link: Pick<Authorization, 'id' | 'orderId' | 'rootId' | 'currency'>, fields: NewSettlement): Settlement {
  const now = new Date();
  return Object.assign(new Settlement(), {
    id: randomUUID(),
    orderId: link.orderId,
    authorizationId: link.id,
    rootAuthorizationId: link.rootId,
    servedAuthorizationId: null,
    advancedAuthorizationId: null,
    idempotencyKey: fields.idempotencyKey ?? null,
    invoiceId: fields.invoiceId,
    currency: link.currency,
    amountMinor: fields.amountMinor,
    settledMinor: 0n,
    final: fields.final,
    mode: fields.mode,
    status: 'OPEN',
    failureReason: null,
    attempts: 0,
    nextAttemptAt: now,
    leaseOwner: null,
    leaseUntil: null,
    createdAt: now,
    updatedAt: now,
  } satisfies Partial<Settlement>);
}
