import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ChainLock } from '../authorizations/chain-lock';
import { LeaseFence } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { NewPaymentEvent } from '../history/payment-event.entity';
import { ProviderCall } from '../provider-calls/provider-call.entity';

/**
 * Hand-written doubles of the collaborators every service's unit tests need besides its in-memory repository:
 * each does the least its caller relies on, and keeps what it was asked.
 */

/**
 * The manager the fakes hand to work "in a transaction". Not undefined: a service that opens its own transaction
 * when it is given none must see that it was given one, as with PostgreSQL.
 */
export const FAKE_TX = Object.freeze({ fake: 'transaction' }) as unknown as EntityManager;

/** A fence without a lease to check: `transaction` runs its work at once; it counts transactions and releases. */
export class PassThroughFence extends LeaseFence {
  transactions = 0;
  releases = 0;

  constructor() {
    super(undefined as never);
  }

  override async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    this.transactions++;
    return work(FAKE_TX);
  }

  override async releaseWith(): Promise<void> {
    this.releases++;
  }

  override async check(): Promise<void> {}
}

/** The history, kept in an array (no outbox). */
export class RecordedHistory extends HistoryService {
  readonly events: NewPaymentEvent[] = [];

  override async append(_manager: EntityManager, ...events: NewPaymentEvent[]): Promise<void> {
    this.events.push(...events);
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

/** The chain lock, taken by nobody else: the work runs at once; the lock taken with an insert is its lease's owner. */
export class FreeChainLock extends ChainLock {
  readonly ran: string[] = [];

  constructor() {
    super(undefined as never);
  }

  override run<T>(rootId: string, work: () => Promise<T>): Promise<T> {
    this.ran.push(rootId);
    return work();
  }

  override newLease() {
    return { owner: 'lease-owner-1', columns: { lockOwner: 'lease-owner-1', lockUntil: () => 'now()' } };
  }

  override runInserted<T>(_rootId: string, _owner: string, work: () => Promise<T>): Promise<T> {
    return work();
  }
}

/**
 * A `provider_call` row as the table holds one: every column, each nullable one null, a PENDING HOLD with no check
 * counted, created now; `fields` give what a case needs.
 */
export function providerCallRow(fields: Partial<ProviderCall> = {}): ProviderCall {
  return Object.assign(new ProviderCall(), {
    id: randomUUID(),
    operation: 'HOLD',
    orderId: null,
    authorizationId: null,
    settlementId: null,
    refundId: null,
    fulfillmentId: null,
    cardHash: null,
    cardEncrypted: null,
    currency: null,
    amountMinor: null,
    providerHoldId: null,
    outcome: 'PENDING',
    providerTransactionId: null,
    resultMinor: null,
    providerMessage: null,
    errorKind: null,
    candidates: null,
    resolutionNote: null,
    checkAttempts: 0,
    givenUpAt: null,
    operatorDecision: null,
    nextCheckAt: null,
    createdAt: new Date(),
    completedAt: null,
    ...fields,
  } satisfies ProviderCall);
}
