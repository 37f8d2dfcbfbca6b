import { isUniqueViolation } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { ProtectedCard } from '../card-data/card-vault';
import { GiftCardFulfillment } from '../fulfillments/gift-card-fulfillment.entity';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { Settlement } from '../settlements/settlement.entity';
import { newCardLine, Refund, RefundAllocation } from './refund.entity';

/** What the order settled on gift cards in a currency, and what of it is refunded or being refunded. */
export interface OrderRefundable {
  settledMinor: bigint;
  refundedMinor: bigint;
}

/** A card SETTLED settlements of an order redeemed from, with what it settled and what was refunded to it. */
export interface OrderCard extends ProtectedCard {
  settledMinor: bigint;
  refundedMinor: bigint;
  lastSettledAt: Date;
}

/** The fields of a refund row that `updateRefund` writes. */
export type RefundChanges = Partial<Pick<Refund, 'status' | 'failureReason' | 'providerTransactionId' | 'cardHash' | 'cardEncrypted' | 'cardLast4' | 'updatedAt'>>;

/**
 * Every statement of the refunds: the `refund` and `refund_allocation` rows, and what a refund reads of the
 * order's settlements, the settled cards, its provider calls and the fulfillment of its new card. Writes take the
 * caller's transaction (`tx`): the one `transaction` opens for an acceptance, or a fenced one of `LeaseFence`.
 * The abstract class is the Nest token; `PgRefundsRepository` holds the SQL, `InMemoryRefundsRepository` the fake.
 */
export abstract class RefundsRepository {
  /** Runs `work` in one plain transaction (an acceptance: the order's lock, its counts and the new rows). */
  abstract transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T>;

  /** Takes the order's refund lock until `tx` ends: concurrent acceptances of one order count one after another. */
  abstract lockOrder(tx: EntityManager, orderId: string): Promise<void>;

  /** Whether `error` is the unique constraint on an idempotency key (another worker stored it first). */
  abstract isDuplicateKey(error: unknown): boolean;

  /** Reads what the order settled in `currency` and what of it is PENDING or SUCCEEDED in refunds. */
  abstract orderRefundable(tx: EntityManager, orderId: string, currency: string): Promise<OrderRefundable>;

  /** Reads the settlement, locked for update until `tx` ends; null when there is none. */
  abstract lockSettlement(tx: EntityManager, settlementId: string): Promise<Settlement | null>;

  /** Reads what is PENDING or SUCCEEDED in refunds against the settlement. */
  abstract refundedOfSettlement(tx: EntityManager, settlementId: string): Promise<bigint>;

  /** Reads the card of an authorization (it must exist). */
  abstract cardOfAuthorization(tx: EntityManager, authorizationId: string): Promise<ProtectedCard>;

  /** Reads whether a SETTLED settlement of the order redeemed from the card with this hash. */
  abstract orderSettledOnCard(tx: EntityManager, orderId: string, cardHash: string): Promise<boolean>;

  /** Reads the cards the order's SETTLED settlements in `currency` redeemed from, with their sums. One statement. */
  abstract settledCards(tx: EntityManager, orderId: string, currency: string): Promise<OrderCard[]>;

  /** Inserts a refund row. */
  abstract insertRefund(tx: EntityManager, refund: Refund): Promise<void>;

  /** Inserts a refund allocation row. */
  abstract insertAllocation(tx: EntityManager, allocation: RefundAllocation): Promise<void>;

  /** Updates the refund's status, outcome fields and (when given) card. */
  abstract updateRefund(tx: EntityManager, id: string, changes: RefundChanges): Promise<void>;

  /** Reads a refund by id; null when there is none. */
  abstract findById(id: string): Promise<Refund | null>;

  /** Reads a refund by id again (it must exist). */
  abstract reload(id: string): Promise<Refund>;

  /** Reads the refund stored with this idempotency key; null when there is none. */
  abstract byKey(idempotencyKey: string): Promise<Refund | null>;

  /** Reads the order's refunds, oldest first. */
  abstract forOrder(orderId: string): Promise<Refund[]>;

  /** Reads an allocation by id; null when there is none. */
  abstract allocationById(id: string): Promise<RefundAllocation | null>;

  /** Reads the allocation stored with this idempotency key; null when there is none. */
  abstract allocationByKey(idempotencyKey: string): Promise<RefundAllocation | null>;

  /** Reads the parts of an allocation, in their order. */
  abstract partsOf(allocationId: string): Promise<Refund[]>;

  /** Reads the refund's ISSUE calls, oldest first. */
  abstract issueCallsOf(refundId: string): Promise<ProviderCall[]>;

  /** Reads the ids of refunds to a new card still PENDING, quiet for `quietMs`, whose card's fulfillment COMPLETED; oldest first. */
  abstract loadedNewCards(limit: number, quietMs: number): Promise<string[]>;

  /** Reads the fulfillment that makes the refund's new card (order line `refund:<id>`); null before it starts. */
  abstract newCardFulfillmentOf(refund: Refund): Promise<GiftCardFulfillment | null>;
}

/** The refunds in PostgreSQL (tables `refund`, `refund_allocation`; reads of `settlement`, `authorization_hold`, `provider_call`, `gift_card_fulfillment`). */
@Injectable()
export class PgRefundsRepository extends RefundsRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * A transaction-scoped advisory lock: it works alike on PostgreSQL and on the embedded database, and needs no
   * row of the order to exist.
   */
  async lockOrder(tx: EntityManager, orderId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('refund-order:' || $1::text))`, [orderId]);
  }

  isDuplicateKey(error: unknown): boolean {
    return isUniqueViolation(error);
  }

  async orderRefundable(tx: EntityManager, orderId: string, currency: string): Promise<OrderRefundable> {
    const [row] = await tx.query(
      `SELECT (SELECT COALESCE(SUM(settled_minor), 0) FROM settlement WHERE order_id = $1 AND currency = $2 AND status = 'SETTLED')::text AS settled,
              (SELECT COALESCE(SUM(amount_minor), 0) FROM refund WHERE order_id = $1 AND currency = $2 AND status IN ('PENDING', 'SUCCEEDED'))::text AS refunded`,
      [orderId, currency],
    );
    return { settledMinor: BigInt(row.settled), refundedMinor: BigInt(row.refunded) };
  }

  lockSettlement(tx: EntityManager, settlementId: string): Promise<Settlement | null> {
    return tx.getRepository(Settlement).findOne({ where: { id: settlementId }, lock: { mode: 'pessimistic_write' } });
  }

  async refundedOfSettlement(tx: EntityManager, settlementId: string): Promise<bigint> {
    const [{ total }] = await tx.query(
      `SELECT COALESCE(SUM(amount_minor), 0)::text AS total FROM refund WHERE settlement_id = $1 AND status IN ('PENDING', 'SUCCEEDED')`,
      [settlementId],
    );
    return BigInt(total);
  }

  async cardOfAuthorization(tx: EntityManager, authorizationId: string): Promise<ProtectedCard> {
    const authorization = await tx.getRepository(Authorization).findOneByOrFail({ id: authorizationId });
    return { hash: authorization.cardHash, encrypted: authorization.cardEncrypted, last4: authorization.cardLast4 };
  }

  async orderSettledOnCard(tx: EntityManager, orderId: string, cardHash: string): Promise<boolean> {
    const [{ settled }] = await tx.query(
      `SELECT EXISTS (
         SELECT 1 FROM settlement s JOIN authorization_hold a ON a.id = COALESCE(s.served_authorization_id, s.authorization_id)
          WHERE s.order_id = $1 AND s.status = 'SETTLED' AND a.card_hash = $2) AS settled`,
      [orderId, cardHash],
    );
    return settled === true;
  }

  async settledCards(tx: EntityManager, orderId: string, currency: string): Promise<OrderCard[]> {
    const rows: Array<{ card_hash: string; card_encrypted: string; card_last4: string; settled: string; refunded: string; last_settled_at: Date }> = await tx.query(
      `SELECT a.card_hash,
              (array_agg(a.card_encrypted ORDER BY s.created_at DESC))[1] AS card_encrypted,
              (array_agg(a.card_last4 ORDER BY s.created_at DESC))[1] AS card_last4,
              SUM(s.settled_minor)::text AS settled,
              max(s.created_at) AS last_settled_at,
              (SELECT COALESCE(SUM(r.amount_minor), 0) FROM refund r
                WHERE r.order_id = $1 AND r.currency = $2 AND r.card_hash = a.card_hash AND r.status IN ('PENDING', 'SUCCEEDED'))::text AS refunded
         FROM settlement s JOIN authorization_hold a ON a.id = COALESCE(s.served_authorization_id, s.authorization_id)
        WHERE s.order_id = $1 AND s.currency = $2 AND s.status = 'SETTLED'
        GROUP BY a.card_hash`,
      [orderId, currency],
    );
    return rows.map((r) => ({
      hash: r.card_hash,
      encrypted: r.card_encrypted,
      last4: r.card_last4,
      settledMinor: BigInt(r.settled),
      refundedMinor: BigInt(r.refunded),
      lastSettledAt: new Date(r.last_settled_at),
    }));
  }

  async insertRefund(tx: EntityManager, refund: Refund): Promise<void> {
    await tx.getRepository(Refund).insert(refund);
  }

  async insertAllocation(tx: EntityManager, allocation: RefundAllocation): Promise<void> {
    await tx.getRepository(RefundAllocation).insert(allocation);
  }

  async updateRefund(tx: EntityManager, id: string, changes: RefundChanges): Promise<void> {
    await tx.getRepository(Refund).update(id, changes);
  }

  findById(id: string): Promise<Refund | null> {
    return this.dataSource.getRepository(Refund).findOneBy({ id });
  }

  reload(id: string): Promise<Refund> {
    return this.dataSource.getRepository(Refund).findOneByOrFail({ id });
  }

  byKey(idempotencyKey: string): Promise<Refund | null> {
    return this.dataSource.getRepository(Refund).findOneBy({ idempotencyKey });
  }

  forOrder(orderId: string): Promise<Refund[]> {
    return this.dataSource.getRepository(Refund).find({ where: { orderId }, order: { createdAt: 'ASC' } });
  }

  allocationById(id: string): Promise<RefundAllocation | null> {
    return this.dataSource.getRepository(RefundAllocation).findOneBy({ id });
  }

  allocationByKey(idempotencyKey: string): Promise<RefundAllocation | null> {
    return this.dataSource.getRepository(RefundAllocation).findOneBy({ idempotencyKey });
  }

  partsOf(allocationId: string): Promise<Refund[]> {
    return this.dataSource.getRepository(Refund).find({ where: { allocationId }, order: { partIndex: 'ASC' } });
  }

  issueCallsOf(refundId: string): Promise<ProviderCall[]> {
    return this.dataSource.getRepository(ProviderCall).find({
      where: { refundId, operation: 'ISSUE' },
      order: { createdAt: 'ASC' },
    });
  }

  async loadedNewCards(limit: number, quietMs: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT r.id FROM refund r
        WHERE r.status = 'PENDING' AND r.to_new_card AND r.updated_at < now() - make_interval(secs => $2::double precision / 1000)
          AND EXISTS (SELECT 1 FROM gift_card_fulfillment f WHERE f.order_id = r.order_id AND f.line_id = 'refund:' || r.id::text AND f.status = 'COMPLETED')
        ORDER BY r.updated_at LIMIT $1`,
      [limit, quietMs],
    );
    return rows.map((r) => r.id);
  }

  newCardFulfillmentOf(refund: Refund): Promise<GiftCardFulfillment | null> {
    return this.dataSource.getRepository(GiftCardFulfillment).findOneBy({ orderId: refund.orderId, lineId: newCardLine(refund.id) });
  }
}
