import { EntityManager, EntityNotFoundError } from 'typeorm';
import { Settlement } from '../settlements/settlement.entity';
import { Authorization } from './authorization.entity';
import { AuthorizationsRepository, InsertedLease } from './authorizations.repository';
import { FAKE_TX } from '../testing/doubles';

/** What PostgreSQL says of a second row under a unique key; the services let it through as the database's. */
export class UniqueViolation extends Error {
  readonly code = '23505';
}

const copyOf = (a: Authorization): Authorization => Object.assign(new Authorization(), a);

/**
 * `AuthorizationsRepository` in Maps, for unit tests. `tx` is ignored and `transaction` just runs its work
 * (with `FAKE_TX`): a test sees every write at once. Reads return copies, as rows read again would be: a
 * service changing its copy changes nothing stored until it writes.
 */
export class InMemoryAuthorizationsRepository extends AuthorizationsRepository {
  private readonly rows = new Map<string, Authorization>();
  private readonly settlements: Settlement[] = [];
  /** How many transactions were opened through `transaction`. */
  transactions = 0;

  /** Stores authorizations as they are (a test's starting rows). */
  add(...authorizations: Authorization[]): this {
    for (const a of authorizations) this.rows.set(a.id, copyOf(a));
    return this;
  }

  /** Stores a settlement of a chain, for `settlementsOf`. */
  addSettlement(settlement: Settlement): this {
    this.settlements.push(settlement);
    return this;
  }

  /** The stored authorization `id` as it is now (a copy). */
  stored(id: string): Authorization | undefined {
    const row = this.rows.get(id);
    return row && copyOf(row);
  }

  /** Every stored authorization, in insertion order (copies). */
  all(): Authorization[] {
    return [...this.rows.values()].map(copyOf);
  }

  async transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    this.transactions++;
    return work(FAKE_TX);
  }

  async findById(id: string): Promise<Authorization | null> {
    return this.stored(id) ?? null;
  }

  async getById(id: string): Promise<Authorization> {
    const row = this.stored(id);
    if (!row) throw new EntityNotFoundError(Authorization, { id });
    return row;
  }

  findByIdIn(_tx: EntityManager, id: string): Promise<Authorization | null> {
    return this.findById(id);
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<Authorization | null> {
    const row = [...this.rows.values()].find((a) => a.idempotencyKey === idempotencyKey);
    return row ? copyOf(row) : null;
  }

  /** The lease's end is SQL on the database's clock: the fake keeps only its owner. */
  async insertLocked(authorization: Authorization, lease: InsertedLease): Promise<void> {
    if (this.rows.has(authorization.id)) throw new UniqueViolation('duplicate key value violates unique constraint "authorization_hold_pkey"');
    const key = authorization.idempotencyKey;
    if (key !== null && [...this.rows.values()].some((a) => a.idempotencyKey === key)) {
      throw new UniqueViolation('duplicate key value violates unique constraint on idempotency_key');
    }
    this.rows.set(authorization.id, Object.assign(copyOf(authorization), { lockOwner: lease.lockOwner, lockUntil: null }));
  }

  async update(_tx: EntityManager, id: string, columns: Partial<Authorization>): Promise<void> {
    const row = this.rows.get(id);
    if (row) Object.assign(row, columns);
  }

  async chainOf(rootId: string): Promise<Authorization[]> {
    return this.all()
      .filter((a) => a.rootId === rootId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async settlementsOf(rootId: string): Promise<Settlement[]> {
    return this.settlements
      .filter((s) => s.rootAuthorizationId === rootId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }
}
