import { EntityManager, QueryFailedError } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { Settlement } from './settlement.entity';
import { SettlementFilter, SettlementsRepository } from './settlements.repository';
import { FAKE_TX } from '../testing/doubles';

const copyOfSettlement = (settlement: Settlement): Settlement => Object.assign(new Settlement(), settlement);
const copyOfLink = (link: Authorization): Authorization => Object.assign(new Authorization(), link);

/** What `pg` reports for a duplicate key, as TypeORM wraps it (see `isUniqueViolation`). */
function uniqueViolation(constraint: string): QueryFailedError {
  return new QueryFailedError('INSERT INTO settlement', [], Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}"`), { code: '23505', constraint }));
}

/**
 * `SettlementsRepository` in Maps, for unit tests. Rows are stored and answered as copies, so that what a
 * service changes on its own objects counts only once it was written. `tx` is ignored; `transaction(work)`
 * runs `work` with a stand-in manager (nothing is rolled back). The unique indexes on the invoice per chain
 * and on the idempotency key are enforced as PostgreSQL does, with the same error.
 */
export class InMemorySettlementsRepository extends SettlementsRepository {
  /** The stored settlements by id. */
  readonly settlements = new Map<string, Settlement>();
  /** The stored authorization links by id. */
  readonly links = new Map<string, Authorization>();

  /** Stores (or replaces) a link as a test sets the chain up. */
  putLink(link: Authorization): void {
    this.links.set(link.id, copyOfLink(link));
  }

  /** Stores (or replaces) a settlement as a test sets it up. */
  putSettlement(settlement: Settlement): void {
    this.settlements.set(settlement.id, copyOfSettlement(settlement));
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    // A stand-in, not undefined: callers tell "in a caller's transaction" from "open one" by its presence.
    return work(FAKE_TX);
  }

  async settlement(id: string): Promise<Settlement | null> {
    const found = this.settlements.get(id);
    return found ? copyOfSettlement(found) : null;
  }

  async byIdempotencyKey(idempotencyKey: string): Promise<Settlement | null> {
    return this.firstSettlement((s) => s.idempotencyKey === idempotencyKey);
  }

  async byInvoice(rootId: string, invoiceId: string): Promise<Settlement | null> {
    return this.firstSettlement((s) => s.rootAuthorizationId === rootId && s.invoiceId === invoiceId);
  }

  async openOf(rootId: string): Promise<Settlement[]> {
    return [...this.settlements.values()].filter((s) => s.rootAuthorizationId === rootId && s.status === 'OPEN').map(copyOfSettlement);
  }

  async page(filter: SettlementFilter, take: number): Promise<Settlement[]> {
    const inOrder = [...this.settlements.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    let from = 0;
    if (filter.cursor) {
      // An unknown cursor compares with NULL in PostgreSQL: no row is after it.
      const at = inOrder.findIndex((s) => s.id === filter.cursor);
      from = at < 0 ? inOrder.length : at + 1;
    }
    return inOrder
      .slice(from)
      .filter((s) => (!filter.status || s.status === filter.status) && (!filter.mode || s.mode === filter.mode) && (!filter.orderId || s.orderId === filter.orderId))
      .slice(0, take)
      .map(copyOfSettlement);
  }

  async insert(_tx: EntityManager, settlement: Settlement): Promise<void> {
    if (this.settlements.has(settlement.id)) throw uniqueViolation('settlement_pkey');
    if (await this.byInvoice(settlement.rootAuthorizationId, settlement.invoiceId)) throw uniqueViolation('settlement_invoice_once');
    if (settlement.idempotencyKey !== null && (await this.byIdempotencyKey(settlement.idempotencyKey))) throw uniqueViolation('settlement_idempotency_key_key');
    // Columns left out take their defaults, as the INSERT does.
    const stored = copyOfSettlement(settlement);
    stored.leaseOwner ??= null;
    stored.leaseUntil ??= null;
    this.settlements.set(settlement.id, stored);
  }

  async update(_tx: EntityManager, id: string, columns: Partial<Settlement>): Promise<void> {
    const stored = this.settlements.get(id);
    if (stored) Object.assign(stored, columns);
  }

  async authorization(id: string): Promise<Authorization | null> {
    const found = this.links.get(id);
    return found ? copyOfLink(found) : null;
  }

  async authorizations(ids: string[]): Promise<Authorization[]> {
    return ids.flatMap((id) => {
      const found = this.links.get(id);
      return found ? [copyOfLink(found)] : [];
    });
  }

  async openLinkOf(rootId: string): Promise<Authorization | null> {
    const open = [...this.links.values()].find((l) => l.rootId === rootId && l.state === 'OPEN');
    return open ? copyOfLink(open) : null;
  }

  async insertAdvancedLink(_tx: EntityManager, link: Authorization): Promise<void> {
    if (this.links.has(link.id)) throw uniqueViolation('authorization_hold_pkey');
    this.links.set(link.id, copyOfLink(link));
  }

  private firstSettlement(matches: (s: Settlement) => boolean): Settlement | null {
    const found = [...this.settlements.values()].find(matches);
    return found ? copyOfSettlement(found) : null;
  }
}
