import { EntityManager } from 'typeorm';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { FulfillmentChanges, FulfillmentsRepository, NewFulfillment, SettledCall } from './fulfillments.repository';
import { GiftCardFulfillment } from './gift-card-fulfillment.entity';
import { FAKE_TX } from '../testing/doubles';

/**
 * `FulfillmentsRepository` in Maps, for unit tests: the fulfillments by id, and the provider calls of their
 * steps (a test, or a fake of ProviderCallsService, puts them in). Rows go in and come out as copies, as from
 * the table: what the service changes on its object is stored only through the repository. `tx` is ignored,
 * and so are the table's CHECK constraints. `test/fulfillments/fulfillments-repository.contract.e2e-spec.ts`
 * holds it and PgFulfillmentsRepository to the same cases.
 */
export class InMemoryFulfillmentsRepository extends FulfillmentsRepository {
  private readonly fulfillments = new Map<string, GiftCardFulfillment>();
  private readonly calls = new Map<string, ProviderCall>();

  /** Milliseconds since the epoch; a test moves it on instead of sleeping past an idle time. */
  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  /** The stored fulfillments, oldest first (copies). */
  all(): GiftCardFulfillment[] {
    return [...this.fulfillments.values()].map(copy);
  }

  /** The stored row as it is now (a copy); undefined when there is none. */
  stored(id: string): GiftCardFulfillment | undefined {
    const row = this.fulfillments.get(id);
    return row && copy(row);
  }

  /** Stores a fulfillment as a test needs it (e.g. one left half done, or leased by another worker). */
  put(row: GiftCardFulfillment): void {
    this.fulfillments.set(row.id, copy(row));
  }

  /** Stores a provider call, as ProviderCallsService would record one. */
  putCall(call: ProviderCall): void {
    this.calls.set(call.id, { ...call });
  }

  /** The stored provider calls of a fulfillment, in the order they were recorded (copies). */
  callsOf(fulfillmentId: string): ProviderCall[] {
    return [...this.calls.values()].filter((c) => c.fulfillmentId === fulfillmentId).map((c) => ({ ...c }));
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return work(FAKE_TX);
  }

  async insertIfAbsent(_tx: EntityManager, row: NewFulfillment): Promise<void> {
    const taken = [...this.fulfillments.values()].some((f) => f.id === row.id || (f.orderId === row.orderId && f.lineId === row.lineId));
    if (taken) return;
    this.fulfillments.set(row.id, copy({
      ...row,
      failureReason: null,
      failureMessage: null,
      allocatedAt: null,
      activatedAt: null,
      issuedAt: null,
      allocateReference: null,
      activateReference: null,
      issueReference: null,
      pinEncrypted: null,
      revealedAt: null,
      lockOwner: null,
      lockUntil: null,
    }));
  }

  async findByLineOrFail(_tx: EntityManager, orderId: string, lineId: string): Promise<GiftCardFulfillment> {
    const row = [...this.fulfillments.values()].find((f) => f.orderId === orderId && f.lineId === lineId);
    if (!row) throw new Error(`no fulfillment for order ${orderId} line ${lineId}`);
    return copy(row);
  }

  async findById(id: string): Promise<GiftCardFulfillment | null> {
    return this.stored(id) ?? null;
  }

  async unfinished(idleMs: number, limit: number): Promise<string[]> {
    const now = this.now();
    return [...this.fulfillments.values()]
      .filter((f) => f.status === 'PENDING' && f.updatedAt.getTime() < now - idleMs && (f.lockUntil === null || f.lockUntil.getTime() < now))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit)
      .map((f) => f.id);
  }

  async update(_tx: EntityManager, id: string, changes: FulfillmentChanges): Promise<void> {
    const row = this.fulfillments.get(id);
    if (row) Object.assign(row, changes);
  }

  async markRevealed(id: string): Promise<{ pinEncrypted: string | null } | undefined> {
    const row = this.fulfillments.get(id);
    if (!row || row.revealedAt !== null) return undefined;
    const pinEncrypted = row.pinEncrypted;
    Object.assign(row, { revealedAt: new Date(this.now()), pinEncrypted: null });
    return { pinEncrypted };
  }

  async issueCallsOf(fulfillmentId: string): Promise<ProviderCall[]> {
    return this.callsOf(fulfillmentId)
      .filter((c) => c.operation === 'ISSUE')
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async settleUnansweredCalls(
    _tx: EntityManager,
    fulfillmentId: string,
    operation: 'ALLOCATE' | 'ACTIVATE',
    outcome: 'APPLIED' | 'NOT_APPLIED',
    note: string,
  ): Promise<SettledCall[]> {
    const settled: SettledCall[] = [];
    for (const call of this.calls.values()) {
      if (call.fulfillmentId !== fulfillmentId || call.operation !== operation || (call.outcome !== 'PENDING' && call.outcome !== 'UNKNOWN')) continue;
      settled.push({ id: call.id, givenUp: call.givenUpAt !== null, was: call.outcome });
      Object.assign(call, { outcome, completedAt: new Date(this.now()), nextCheckAt: null, resolutionNote: note });
    }
    return settled;
  }

  async providerCallOrFail(_tx: EntityManager, id: string): Promise<ProviderCall> {
    const call = this.calls.get(id);
    if (!call) throw new Error(`no provider call ${id}`);
    return { ...call };
  }
}

function copy(row: GiftCardFulfillment): GiftCardFulfillment {
  return Object.assign(new GiftCardFulfillment(), row);
}
