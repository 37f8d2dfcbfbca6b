import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ProviderCall, ProviderCallOutcome } from '../provider-calls/provider-call.entity';
import { GiftCardFulfillment } from './gift-card-fulfillment.entity';

/** The columns a line's first request writes; the others start empty (not allocated, not shown, not leased). */
export type NewFulfillment = Pick<
  GiftCardFulfillment,
  | 'id'
  | 'orderId'
  | 'lineId'
  | 'idempotencyKey'
  | 'kind'
  | 'cardSetId'
  | 'cardHash'
  | 'cardEncrypted'
  | 'cardLast4'
  | 'currency'
  | 'amountMinor'
  | 'returnRelated'
  | 'status'
  | 'createdAt'
  | 'updatedAt'
>;

/** The fields of a fulfillment a step or a failure changes; never its identity nor its lease. */
export type FulfillmentChanges = Partial<Omit<GiftCardFulfillment, 'id' | 'orderId' | 'lineId' | 'lockOwner' | 'lockUntil'>>;

/** An earlier unanswered call of a step, now settled by the step's success. */
export interface SettledCall {
  id: string;
  /** The sweep had given up on it (the OMS was told `transaction.unknown`). */
  givenUp: boolean;
  /** Its outcome before: PENDING or UNKNOWN. */
  was: string;
}

/**
 * Every statement of a gift card fulfillment: its row in `gift_card_fulfillment`, and the reads and writes of
 * its own steps' rows in `provider_call`. Writes inside a caller's transaction take its `EntityManager` (`tx`),
 * fenced by the caller (LeaseFence); the rules of what to write stay in FulfillmentsService.
 */
export abstract class FulfillmentsRepository {
  /** Runs `work` in a plain transaction (no lease fence: the line's first request holds no lease of its own). */
  abstract transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T>;

  /** Inserts the line's fulfillment unless the line already has one (the unique (order_id, line_id) decides). */
  abstract insertIfAbsent(tx: EntityManager, row: NewFulfillment): Promise<void>;

  /** Reads the line's fulfillment in `tx`; throws when there is none. */
  abstract findByLineOrFail(tx: EntityManager, orderId: string, lineId: string): Promise<GiftCardFulfillment>;

  /** Reads one fulfillment by id; null when there is none. */
  abstract findById(id: string): Promise<GiftCardFulfillment | null>;

  /** Ids of PENDING fulfillments not updated for `idleMs` and not leased, oldest update first, at most `limit`. */
  abstract unfinished(idleMs: number, limit: number): Promise<string[]>;

  /** Writes `changes` to the fulfillment's row in `tx`. */
  abstract update(tx: EntityManager, id: string, changes: FulfillmentChanges): Promise<void>;

  /**
   * Marks the card shown and erases its PIN, in one statement so that concurrent requests never both get them:
   * the PIN as it was (encrypted, null when there was none), or undefined when it was shown already.
   */
  abstract markRevealed(id: string): Promise<{ pinEncrypted: string | null } | undefined>;

  /** Reads the fulfillment's ISSUE calls, oldest first. */
  abstract issueCallsOf(fulfillmentId: string): Promise<ProviderCall[]>;

  /** Sets the fulfillment's PENDING or UNKNOWN calls of `operation` to `outcome` with `note`, in `tx`; the calls it changed. */
  abstract settleUnansweredCalls(
    tx: EntityManager,
    fulfillmentId: string,
    operation: 'ALLOCATE' | 'ACTIVATE',
    outcome: Extract<ProviderCallOutcome, 'APPLIED' | 'NOT_APPLIED'>,
    note: string,
  ): Promise<SettledCall[]>;

  /** Reads one provider call in `tx`; throws when there is none. */
  abstract providerCallOrFail(tx: EntityManager, id: string): Promise<ProviderCall>;
}

/** The fulfillments in PostgreSQL. */
@Injectable()
export class PgFulfillmentsRepository extends FulfillmentsRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insertIfAbsent(tx: EntityManager, row: NewFulfillment): Promise<void> {
    await tx.createQueryBuilder().insert().into(GiftCardFulfillment).values(row).orIgnore().execute();
  }

  findByLineOrFail(tx: EntityManager, orderId: string, lineId: string): Promise<GiftCardFulfillment> {
    return tx.getRepository(GiftCardFulfillment).findOneByOrFail({ orderId, lineId });
  }

  findById(id: string): Promise<GiftCardFulfillment | null> {
    return this.dataSource.getRepository(GiftCardFulfillment).findOneBy({ id });
  }

  async unfinished(idleMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM gift_card_fulfillment
        WHERE status = 'PENDING' AND updated_at < now() - make_interval(secs => $1)
          AND (lock_until IS NULL OR lock_until < now())
        ORDER BY updated_at LIMIT $2`,
      [idleMs / 1000, limit],
    );
    return rows.map((row) => row.id);
  }

  async update(tx: EntityManager, id: string, changes: FulfillmentChanges): Promise<void> {
    await tx.getRepository(GiftCardFulfillment).update(id, changes);
  }

  async markRevealed(id: string): Promise<{ pinEncrypted: string | null } | undefined> {
    const [row] = returnedRows<{ pin_encrypted: string | null }>(
      await this.dataSource.query(
        `WITH shown AS (SELECT id, pin_encrypted FROM gift_card_fulfillment WHERE id = $1 AND revealed_at IS NULL FOR UPDATE)
         UPDATE gift_card_fulfillment f SET revealed_at = now(), pin_encrypted = NULL FROM shown WHERE f.id = shown.id
         RETURNING shown.pin_encrypted`,
        [id],
      ),
    );
    return row ? { pinEncrypted: row.pin_encrypted } : undefined;
  }

  issueCallsOf(fulfillmentId: string): Promise<ProviderCall[]> {
    return this.dataSource.getRepository(ProviderCall).find({ where: { fulfillmentId, operation: 'ISSUE' }, order: { createdAt: 'ASC' } });
  }

  async settleUnansweredCalls(
    tx: EntityManager,
    fulfillmentId: string,
    operation: 'ALLOCATE' | 'ACTIVATE',
    outcome: 'APPLIED' | 'NOT_APPLIED',
    note: string,
  ): Promise<SettledCall[]> {
    const rows = returnedRows<{ id: string; given_up: boolean; was: string }>(
      await tx.query(
        // The self-join gives RETURNING the outcome as it was before the SET.
        `UPDATE provider_call c SET outcome = $3, completed_at = now(), next_check_at = NULL, resolution_note = $4
           FROM provider_call prev
          WHERE c.id = prev.id AND c.fulfillment_id = $1 AND c.operation = $2 AND c.outcome IN ('PENDING', 'UNKNOWN')
          RETURNING c.id, c.given_up_at IS NOT NULL AS given_up, prev.outcome AS was`,
        [fulfillmentId, operation, outcome, note],
      ),
    );
    return rows.map((row) => ({ id: row.id, givenUp: row.given_up, was: row.was }));
  }

  providerCallOrFail(tx: EntityManager, id: string): Promise<ProviderCall> {
    return tx.getRepository(ProviderCall).findOneByOrFail({ id });
  }
}
