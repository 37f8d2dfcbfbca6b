import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { Settlement } from './settlement.entity';

/** What the operator's list filters settlements by; the cursor is the last settlement id of the previous page. */
export interface SettlementFilter {
  status?: Settlement['status'];
  mode?: Settlement['mode'];
  orderId?: string;
  cursor?: string;
}

/**
 * Every statement the settlement flow issues on its tables: its settlements, and what it reads (and, for an
 * advanced hold, inserts) of the authorization chain it redeems from. Writes made in a caller's transaction take
 * its `EntityManager` (`tx`) first; reads outside one go through the implementation's own connection.
 * The abstract class is the Nest token; `PgSettlementsRepository` is the PostgreSQL one, and
 * `InMemorySettlementsRepository` the fake of the unit tests.
 */
export abstract class SettlementsRepository {
  /** Runs `work` in a plain transaction of its own (no lease fence: none is held where it is used). */
  abstract transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T>;

  /** Reads one settlement by id; null when there is none. */
  abstract settlement(id: string): Promise<Settlement | null>;

  /** Reads the settlement stored under this idempotency key; null when there is none. */
  abstract byIdempotencyKey(idempotencyKey: string): Promise<Settlement | null>;

  /** Reads the settlement of this invoice on the chain (an invoice settles once per chain); null when there is none. */
  abstract byInvoice(rootId: string, invoiceId: string): Promise<Settlement | null>;

  /** Reads the chain's settlements still OPEN (waiting for the batch job). */
  abstract openOf(rootId: string): Promise<Settlement[]>;

  /** Reads one page of settlements in creation order, `take` rows at most, after the cursor's settlement. */
  abstract page(filter: SettlementFilter, take: number): Promise<Settlement[]>;

  /** Inserts a new settlement in `tx`; a unique violation when its invoice (or key) is already stored. */
  abstract insert(tx: EntityManager, settlement: Settlement): Promise<void>;

  /** Writes these columns of the settlement in `tx`. */
  abstract update(tx: EntityManager, id: string, columns: Partial<Settlement>): Promise<void>;

  /** Reads the authorization the OMS named by id (any link of a chain); null when there is none. */
  abstract authorization(id: string): Promise<Authorization | null>;

  /** Reads these authorizations (the links a settlement was served from and advanced to), in no particular order. */
  abstract authorizations(ids: string[]): Promise<Authorization[]>;

  /** Reads the chain's OPEN link, the one a settlement redeems from; null when the chain holds nothing. */
  abstract openLinkOf(rootId: string): Promise<Authorization | null>;

  /** Inserts the advanced hold's new link (PENDING) of a partial shipment in `tx`. */
  abstract insertAdvancedLink(tx: EntityManager, link: Authorization): Promise<void>;
}

/** The settlement flow's statements in PostgreSQL (tables `settlement`, `authorization_hold`). */
@Injectable()
export class PgSettlementsRepository extends SettlementsRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  settlement(id: string): Promise<Settlement | null> {
    return this.dataSource.getRepository(Settlement).findOneBy({ id });
  }

  byIdempotencyKey(idempotencyKey: string): Promise<Settlement | null> {
    return this.dataSource.getRepository(Settlement).findOneBy({ idempotencyKey });
  }

  byInvoice(rootId: string, invoiceId: string): Promise<Settlement | null> {
    return this.dataSource.getRepository(Settlement).findOneBy({ rootAuthorizationId: rootId, invoiceId });
  }

  openOf(rootId: string): Promise<Settlement[]> {
    return this.dataSource.getRepository(Settlement).findBy({ rootAuthorizationId: rootId, status: 'OPEN' });
  }

  page(filter: SettlementFilter, take: number): Promise<Settlement[]> {
    const builder = this.dataSource.getRepository(Settlement).createQueryBuilder('s').orderBy('s.created_at', 'ASC').addOrderBy('s.id', 'ASC').limit(take);
    if (filter.status) builder.andWhere('s.status = :status', { status: filter.status });
    if (filter.mode) builder.andWhere('s.mode = :mode', { mode: filter.mode });
    if (filter.orderId) builder.andWhere('s.order_id = :orderId', { orderId: filter.orderId });
    if (filter.cursor) {
      builder.andWhere('(s.created_at, s.id) > (SELECT c.created_at, c.id FROM settlement c WHERE c.id = :cursor)', { cursor: filter.cursor });
    }
    return builder.getMany();
  }

  async insert(tx: EntityManager, settlement: Settlement): Promise<void> {
    await tx.getRepository(Settlement).insert(settlement);
  }

  async update(tx: EntityManager, id: string, columns: Partial<Settlement>): Promise<void> {
    await tx.getRepository(Settlement).update(id, columns);
  }

  authorization(id: string): Promise<Authorization | null> {
    return this.dataSource.getRepository(Authorization).findOneBy({ id });
  }

  authorizations(ids: string[]): Promise<Authorization[]> {
    return this.dataSource.getRepository(Authorization).findBy(ids.map((id) => ({ id })));
  }

  openLinkOf(rootId: string): Promise<Authorization | null> {
    return this.dataSource.getRepository(Authorization).findOneBy({ rootId, state: 'OPEN' });
  }

  async insertAdvancedLink(tx: EntityManager, link: Authorization): Promise<void> {
    await tx.getRepository(Authorization).insert(link);
  }
}
