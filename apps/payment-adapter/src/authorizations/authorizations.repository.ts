import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Settlement } from '../settlements/settlement.entity';
import { Authorization } from './authorization.entity';

/** The lease columns of a root inserted already locked (`ChainLock.newLease()`): `lockUntil` is SQL, from the database's clock. */
export interface InsertedLease {
  lockOwner: string;
  lockUntil: () => string;
}

/**
 * The authorizations (table `authorization_hold`) and what a chain's reads need of its settlements. The abstract
 * class is the Nest token; `PgAuthorizationsRepository` is the PostgreSQL implementation, `InMemoryAuthorizationsRepository`
 * the fake of the unit tests. Writes inside a caller's transaction take its manager (`tx`) first.
 */
export abstract class AuthorizationsRepository {
  /** Runs `work` in a transaction of its own, not fenced (its writes are fenced by the caller, or need no lease). */
  abstract transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T>;

  /** Reads the authorization `id`; null when there is none. */
  abstract findById(id: string): Promise<Authorization | null>;

  /** Reads the authorization `id`; throws (EntityNotFoundError) when there is none. */
  abstract getById(id: string): Promise<Authorization>;

  /** Reads the authorization `id` in `tx`; null when there is none. */
  abstract findByIdIn(tx: EntityManager, id: string): Promise<Authorization | null>;

  /** Reads the authorization a request with this Idempotency-Key created; null when there is none. */
  abstract findByIdempotencyKey(idempotencyKey: string): Promise<Authorization | null>;

  /** Inserts a new authorization with its chain's lease taken, in one statement; nothing is read back. A duplicate key fails (23505). */
  abstract insertLocked(authorization: Authorization, lease: InsertedLease): Promise<void>;

  /** Writes only `columns` of the authorization `id`, in `tx`. */
  abstract update(tx: EntityManager, id: string, columns: Partial<Authorization>): Promise<void>;

  /** Reads the chain's links, oldest first. */
  abstract chainOf(rootId: string): Promise<Authorization[]>;

  /** Reads the chain's settlements, oldest first. */
  abstract settlementsOf(rootId: string): Promise<Settlement[]>;
}

@Injectable()
export class PgAuthorizationsRepository extends AuthorizationsRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  findById(id: string): Promise<Authorization | null> {
    return this.dataSource.getRepository(Authorization).findOneBy({ id });
  }

  getById(id: string): Promise<Authorization> {
    return this.dataSource.getRepository(Authorization).findOneByOrFail({ id });
  }

  findByIdIn(tx: EntityManager, id: string): Promise<Authorization | null> {
    return tx.getRepository(Authorization).findOneBy({ id });
  }

  findByIdempotencyKey(idempotencyKey: string): Promise<Authorization | null> {
    return this.dataSource.getRepository(Authorization).findOneBy({ idempotencyKey });
  }

  async insertLocked(authorization: Authorization, lease: InsertedLease): Promise<void> {
    await this.dataSource.createQueryBuilder().insert().into(Authorization).values({ ...authorization, ...lease }).updateEntity(false).execute();
  }

  async update(tx: EntityManager, id: string, columns: Partial<Authorization>): Promise<void> {
    await tx.getRepository(Authorization).update(id, columns);
  }

  chainOf(rootId: string): Promise<Authorization[]> {
    return this.dataSource.getRepository(Authorization).find({ where: { rootId }, order: { createdAt: 'ASC' } });
  }

  settlementsOf(rootId: string): Promise<Settlement[]> {
    return this.dataSource.getRepository(Settlement).find({ where: { rootAuthorizationId: rootId }, order: { createdAt: 'ASC' } });
  }
}
