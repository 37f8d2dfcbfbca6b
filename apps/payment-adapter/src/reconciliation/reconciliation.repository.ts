import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { Difference, RecordedOnCard, UnresolvedCall } from './reconciliation-rules';

export type RunStatus = 'RUNNING' | 'COMPLETED' | 'FAILED';
/**
 * RELEASED / RELEASE_FAILED: an orphan hold; VOIDED / VOID_FAILED: a late-landing duplicate movement;
 * LISTED: for an operator; SKIPPED: the card could not be checked.
 */
export type DifferenceAction = 'RELEASED' | 'RELEASE_FAILED' | 'VOIDED' | 'VOID_FAILED' | 'LISTED' | 'SKIPPED';

export interface CardToCheck {
  cardHash: string;
  cardEncrypted: string;
  currency: string;
  /** Our first call on the card in the window. */
  firstCallAt: Date;
}

export interface RunRow {
  id: string;
  status: RunStatus;
  trigger: string;
  windowStart: Date;
  windowEnd: Date;
  cardsChecked: number;
  cardsSkipped: number;
  holdsReleased: number;
  differences: number;
  failure: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface DifferenceRow extends Difference {
  id: string;
  action: DifferenceAction;
  cardLast4: string;
  currency: string;
  releaseCallId: string | null;
  createdAt: Date;
}

export interface RunCounts {
  cardsChecked: number;
  cardsSkipped: number;
  holdsReleased: number;
  differences: number;
}

/** The reconciliation job's own releases of orphan holds: RELEASE_HOLD calls of no authorization, refund or fulfillment. */
const OWN_RELEASE = `operation = 'RELEASE_HOLD' AND authorization_id IS NULL AND refund_id IS NULL AND fulfillment_id IS NULL`;
/** Its voids of late-landing movements: VOID calls of no authorization, refund or fulfillment. */
const OWN_VOID = `operation = 'VOID' AND authorization_id IS NULL AND refund_id IS NULL AND fulfillment_id IS NULL`;

/** Every statement of the reconciliation job: its runs, their differences, and what it reads of our records. */
@Injectable()
export class ReconciliationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** When the last completed run started; null before the first. */
  async lastRunStart(): Promise<Date | null> {
    const [row] = await this.dataSource.query(`SELECT max(started_at) AS at FROM reconciliation_run WHERE status = 'COMPLETED'`);
    return row?.at ? new Date(row.at) : null;
  }

  async startRun(id: string, trigger: string, windowStart: Date, windowEnd: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO reconciliation_run (id, status, trigger, window_start, window_end, started_at) VALUES ($1, 'RUNNING', $2, $3, $4, $4)`,
      [id, trigger, windowStart, windowEnd],
    );
  }

  async finishRun(id: string, status: RunStatus, counts: RunCounts, failure: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE reconciliation_run SET status = $2, cards_checked = $3, cards_skipped = $4, holds_released = $5, differences = $6,
              failure = $7, finished_at = now() WHERE id = $1`,
      [id, status, counts.cardsChecked, counts.cardsSkipped, counts.holdsReleased, counts.differences, failure],
    );
  }

  /** Cards with a provider call of ours since `from`, one row per card and currency. */
  async cardsWithCallsSince(from: Date): Promise<CardToCheck[]> {
    const rows: Array<{ card_hash: string; card_encrypted: string; currency: string; first_call_at: Date }> = await this.dataSource.query(
      `SELECT card_hash, (array_agg(card_encrypted ORDER BY created_at DESC))[1] AS card_encrypted, currency, min(created_at) AS first_call_at
         FROM provider_call
        WHERE created_at >= $1 AND card_hash IS NOT NULL AND card_encrypted IS NOT NULL AND currency IS NOT NULL
        GROUP BY card_hash, currency
        ORDER BY min(created_at)`,
      [from],
    );
    return rows.map((r) => ({ cardHash: r.card_hash, cardEncrypted: r.card_encrypted, currency: r.currency.trim(), firstCallAt: new Date(r.first_call_at) }));
  }

  /** Calls on the card whose outcome is still open: the recovery sweep (or a retry) owns the card's differences until they resolve. */
  async unresolvedCallsOn(cardHash: string): Promise<UnresolvedCall[]> {
    const rows: Array<{ operation: string; amount_minor: string | null }> = await this.dataSource.query(
      `SELECT operation, amount_minor FROM provider_call
        WHERE card_hash = $1 AND outcome IN ('PENDING', 'UNKNOWN') AND NOT (${OWN_RELEASE}) AND NOT (${OWN_VOID})`,
      [cardHash],
    );
    return rows.map((r) => ({ operation: r.operation, amountMinor: BigInt(r.amount_minor ?? 0) }));
  }

  /**
   * After orphan holds were released on a card with unresolved calls: those calls' look-ups may have waited on
   * exactly these holds, so the recovery sweep checks them again now instead of after their backoff (up to 5 min).
   */
  async checkUnresolvedNow(cardHash: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE provider_call SET next_check_at = now()
        WHERE card_hash = $1 AND outcome IN ('PENDING', 'UNKNOWN') AND given_up_at IS NULL AND NOT (${OWN_RELEASE}) AND NOT (${OWN_VOID})`,
      [cardHash],
    );
  }

  /** Releases of ours on the card whose answer was lost (no sweep owns them: they belong to no authorization). */
  async lostReleasesOn(cardHash: string): Promise<ProviderCall[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM provider_call WHERE card_hash = $1 AND outcome IN ('PENDING', 'UNKNOWN') AND ${OWN_RELEASE}`,
      [cardHash],
    );
    return rows.length === 0 ? [] : this.dataSource.getRepository(ProviderCall).findBy({ id: In(rows.map((r) => r.id)) });
  }

  /**
   * What our records say of the card: the holds and transactions they explain (provider calls and
   * authorizations, as `knownOnCard` of the provider calls), the calls concluded NOT_APPLIED since `from`,
   * and the authorizations naming a hold.
   */
  async recordedOn(cardHash: string, from: Date): Promise<RecordedOnCard> {
    const known: Array<{ id: string; hold: boolean }> = await this.dataSource.query(
      // A release of ours that may not have happened explains nothing: the orphan it was for is compared again.
      `SELECT provider_transaction_id AS id, operation = 'HOLD' AS hold FROM provider_call
        WHERE card_hash = $1 AND provider_transaction_id IS NOT NULL
       UNION SELECT provider_hold_id, true FROM provider_call WHERE card_hash = $1 AND provider_hold_id IS NOT NULL AND NOT (${OWN_RELEASE})
       UNION SELECT provider_hold_id, true FROM authorization_hold WHERE card_hash = $1 AND provider_hold_id IS NOT NULL
       -- A movement one of our runs voided is explained (its void, a VOID call, explains the void's own entry).
       UNION SELECT provider_reference, false FROM reconciliation_difference WHERE card_hash = $1 AND action = 'VOIDED'`,
      [cardHash],
    );
    const notApplied: Array<Record<string, string | Date | string[] | null>> = await this.dataSource.query(
      `SELECT c.id, c.operation, c.amount_minor, c.created_at, c.order_id, c.authorization_id, c.refund_id,
              -- What the provider did for these calls it did before this one could land (one call at a time per card).
              ARRAY(SELECT p.provider_transaction_id FROM provider_call p
                     WHERE p.card_hash = c.card_hash AND p.provider_transaction_id IS NOT NULL
                       AND p.completed_at >= $2 AND p.completed_at < c.created_at) AS answered_before
         FROM provider_call c
        WHERE c.card_hash = $1 AND c.outcome = 'NOT_APPLIED' AND c.created_at >= $2 AND c.amount_minor > 0
          AND c.operation IN ('HOLD', 'ISSUE', 'REDEEM', 'REDEEM_FROM_HOLD')
        ORDER BY c.created_at`,
      [cardHash, from],
    );
    const holds: Array<Record<string, string | null>> = await this.dataSource.query(
      `SELECT id, order_id, provider_hold_id, held_minor, state FROM authorization_hold WHERE card_hash = $1 AND provider_hold_id IS NOT NULL`,
      [cardHash],
    );
    const knownHoldIds = new Set<string>();
    const knownTransactionIds = new Set<string>();
    for (const row of known) (row.hold ? knownHoldIds : knownTransactionIds).add(row.id);
    return {
      knownHoldIds,
      knownTransactionIds,
      notApplied: notApplied.map((r) => ({
        callId: r.id as string,
        operation: r.operation as string,
        amountMinor: BigInt(r.amount_minor as string),
        startedAt: new Date(r.created_at as Date),
        orderId: r.order_id as string | null,
        authorizationId: r.authorization_id as string | null,
        refundId: r.refund_id as string | null,
        answeredBefore: r.answered_before as string[],
      })),
      holds: holds.map((r) => ({
        authorizationId: r.id!,
        orderId: r.order_id!,
        holdId: r.provider_hold_id!,
        heldMinor: BigInt(r.held_minor!),
        open: r.state === 'OPEN',
      })),
    };
  }

  async addDifference(
    runId: string,
    card: { cardHash: string; cardLast4: string; currency: string },
    difference: Difference,
    action: DifferenceAction,
    releaseCallId: string | null = null,
    manager: Pick<DataSource, 'query'> = this.dataSource,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO reconciliation_difference (id, run_id, kind, action, card_hash, card_last4, currency, amount_minor, provider_reference,
              provider_at, provider_call_id, release_call_id, authorization_id, refund_id, order_id, note)
       VALUES ($16, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        runId,
        difference.kind,
        action,
        card.cardHash,
        card.cardLast4,
        card.currency,
        difference.amountMinor.toString(),
        difference.providerReference,
        difference.providerAt,
        difference.providerCallId,
        releaseCallId,
        difference.authorizationId,
        difference.refundId,
        difference.orderId,
        difference.note,
        randomUUID(),
      ],
    );
  }

  async findRun(id: string): Promise<RunRow | null> {
    const [r] = returnedRows<Record<string, unknown>>(await this.dataSource.query(`SELECT * FROM reconciliation_run WHERE id = $1`, [id]));
    if (!r) return null;
    return {
      id: r.id as string,
      status: r.status as RunStatus,
      trigger: r.trigger as string,
      windowStart: new Date(r.window_start as string),
      windowEnd: new Date(r.window_end as string),
      cardsChecked: Number(r.cards_checked),
      cardsSkipped: Number(r.cards_skipped),
      holdsReleased: Number(r.holds_released),
      differences: Number(r.differences),
      failure: (r.failure as string | null) ?? null,
      startedAt: new Date(r.started_at as string),
      finishedAt: r.finished_at ? new Date(r.finished_at as string) : null,
    };
  }

  async differencesOf(runId: string): Promise<DifferenceRow[]> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.dataSource.query(`SELECT * FROM reconciliation_difference WHERE run_id = $1 ORDER BY created_at, id`, [runId]),
    );
    return rows.map((r) => ({
      id: r.id as string,
      kind: r.kind as Difference['kind'],
      action: r.action as DifferenceAction,
      cardLast4: r.card_last4 as string,
      currency: (r.currency as string).trim(),
      amountMinor: BigInt(r.amount_minor as string),
      providerReference: (r.provider_reference as string | null) ?? null,
      providerAt: r.provider_at ? new Date(r.provider_at as string) : null,
      providerCallId: (r.provider_call_id as string | null) ?? null,
      releaseCallId: (r.release_call_id as string | null) ?? null,
      authorizationId: (r.authorization_id as string | null) ?? null,
      refundId: (r.refund_id as string | null) ?? null,
      orderId: (r.order_id as string | null) ?? null,
      note: r.note as string,
      createdAt: new Date(r.created_at as string),
    }));
  }
}
