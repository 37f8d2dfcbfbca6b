import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CallRefs } from '../history/call-refs';
import { holdNotGoneSql } from '../provider-calls/hold-gone';
import { OperatorDecision, ProviderCall } from '../provider-calls/provider-call.entity';

/** A call the sweep claimed: what it needs to route the call and pace its checks. */
export interface DueCall {
  id: string;
  authorizationId: string | null;
  refundId: string | null;
  fulfillmentId: string | null;
  rootAuthorizationId: string | null;
  checkAttempts: number;
  createdAt: Date;
  givenUp: boolean;
}

/** A call as it stands after a claim's work: its outcome and the checks counted so far. */
export interface CallState {
  outcome: string;
  checkAttempts: number;
}

/** A call just given up, with what its history event names. */
export interface GivenUpCall extends CallRefs {
  id: string;
  operation: string;
  amountMinor: bigint | null;
  currency: string | null;
  providerMessage: string | null;
}

/** Which unresolved calls a page lists: given up (for an operator) or still checked; `limit` rows after `cursor`. */
export interface UnresolvedPage {
  givenUp: boolean;
  limit: number;
  cursor?: string;
}

/**
 * Every statement of the recovery sweep's queue and of the operator's decisions: the `provider_call` rows still
 * PENDING or UNKNOWN (claimed, backed off, given up, re-armed, decided on), and what the sweep reads of the
 * chains and settlements a dead process left behind. Writes in a transaction take it (`tx`): the one
 * `transaction` opens. The abstract class is the Nest token; `PgRecoveryRepository` holds the SQL,
 * `InMemoryRecoveryRepository` the fake.
 */
export abstract class RecoveryRepository {
  /** Runs `work` in one plain transaction (a give-up or a decision, with its history event). */
  abstract transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T>;

  /** Claims up to `limit` due calls (not on a leased chain) for `claimSeconds`, skipping those another sweep locked. */
  abstract claimDue(limit: number, claimSeconds: number): Promise<DueCall[]>;

  /** Reads the outcome and check count of these calls now. */
  abstract currentStates(ids: string[]): Promise<Map<string, CallState>>;

  /** Writes the check count of a still unresolved call and its next check `delayMs` from now. */
  abstract checkLater(id: string, attempts: number, delayMs: number): Promise<void>;

  /** Marks a still unresolved call UNKNOWN and given up, next checked in `recheckMs`; undefined when it was resolved. */
  abstract giveUp(tx: EntityManager, id: string, attempts: number, recheckMs: number): Promise<GivenUpCall | undefined>;

  /** Resets a given-up call's checks and makes it due now; false when it is not given up (or resolved). */
  abstract rearm(id: string): Promise<boolean>;

  /** Counts the given-up calls still unresolved. */
  abstract unresolvedCount(): Promise<number>;

  /** Reads the ids of sync settlements left PROCESSING with no call of theirs to find, quiet for `quietMs`. */
  abstract abandonedSyncSettlements(limit: number, quietMs: number): Promise<string[]>;

  /** Reads the roots of chains with a link the expiry job closed whose hold nothing ended, closed `settledSeconds` ago at least. */
  abstract chainsWithUnreleasedClosedHolds(limit: number, settledSeconds: number): Promise<string[]>;

  /** Reads a page of unresolved calls, oldest first (`limit` is the number of rows read). */
  abstract unresolvedPage(page: UnresolvedPage): Promise<ProviderCall[]>;

  /** Reads a provider call; null when there is none. */
  abstract findCall(id: string): Promise<ProviderCall | null>;

  /** Reads a provider call that must exist (it throws otherwise). */
  abstract getCall(id: string): Promise<ProviderCall>;

  /** Keeps an operator's decision on a call still unresolved and undecided, due now; false when it was not. */
  abstract recordDecision(tx: EntityManager, id: string, decision: OperatorDecision): Promise<boolean>;

  /** Reads the root of an authorization's chain; null when there is no such authorization. */
  abstract rootOf(authorizationId: string): Promise<string | null>;
}

/** The sweep's queue in PostgreSQL (table `provider_call`; reads of `authorization_hold` and `settlement`). */
@Injectable()
export class PgRecoveryRepository extends RecoveryRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async claimDue(limit: number, claimSeconds: number): Promise<DueCall[]> {
    const rows = returnedRows<{
      id: string;
      authorization_id: string | null;
      refund_id: string | null;
      fulfillment_id: string | null;
      root_id: string | null;
      check_attempts: number;
      created_at: string | Date;
      given_up_at: string | Date | null;
    }>(
      await this.dataSource.query(
        `WITH due AS (
           SELECT pc.id FROM provider_call pc
            WHERE pc.outcome IN ('PENDING', 'UNKNOWN') AND pc.next_check_at <= now()
              AND (pc.authorization_id IS NOT NULL OR pc.refund_id IS NOT NULL OR pc.fulfillment_id IS NOT NULL)
              AND NOT EXISTS (
                SELECT 1 FROM authorization_hold a JOIN authorization_hold r ON r.id = a.root_id
                 WHERE a.id = pc.authorization_id AND r.lock_until >= now())
            ORDER BY pc.next_check_at
            LIMIT $1
            FOR UPDATE OF pc SKIP LOCKED)
         UPDATE provider_call p SET next_check_at = now() + make_interval(secs => $2)
           FROM due WHERE p.id = due.id
         RETURNING p.id, p.authorization_id, p.refund_id, p.fulfillment_id, p.check_attempts, p.created_at, p.given_up_at,
                   (SELECT a.root_id FROM authorization_hold a WHERE a.id = p.authorization_id) AS root_id`,
        [limit, claimSeconds],
      ),
    );
    return rows.map((r) => ({
      id: r.id,
      authorizationId: r.authorization_id,
      refundId: r.refund_id,
      fulfillmentId: r.fulfillment_id,
      rootAuthorizationId: r.root_id,
      checkAttempts: Number(r.check_attempts),
      createdAt: new Date(r.created_at),
      givenUp: r.given_up_at !== null,
    }));
  }

  async currentStates(ids: string[]): Promise<Map<string, CallState>> {
    const rows: Array<{ id: string; outcome: string; check_attempts: number }> = await this.dataSource.query(
      `SELECT id, outcome, check_attempts FROM provider_call WHERE id = ANY($1)`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { outcome: r.outcome, checkAttempts: Number(r.check_attempts) }]));
  }

  async checkLater(id: string, attempts: number, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE provider_call SET check_attempts = $2, next_check_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1 AND outcome IN ('PENDING', 'UNKNOWN')`,
      [id, attempts, delayMs],
    );
  }

  async giveUp(tx: EntityManager, id: string, attempts: number, recheckMs: number): Promise<GivenUpCall | undefined> {
    const [call] = returnedRows<CallRefs & { id: string; operation: string; amount_minor: string | null; currency: string | null; provider_message: string | null }>(
      await tx.query(
        `UPDATE provider_call SET outcome = 'UNKNOWN', check_attempts = $2::int, given_up_at = now(),
                next_check_at = now() + make_interval(secs => $3::double precision / 1000),
                provider_message = coalesce(provider_message || '; ', '') || 'unresolved after ' || $2::int::text || ' checks'
          WHERE id = $1 AND outcome IN ('PENDING', 'UNKNOWN')
          RETURNING id, operation, order_id AS "orderId", authorization_id AS "authorizationId", settlement_id AS "settlementId",
                    refund_id AS "refundId", fulfillment_id AS "fulfillmentId", amount_minor, currency, provider_message`,
        [id, attempts, recheckMs],
      ),
    );
    if (!call) return undefined;
    return {
      id: call.id,
      operation: call.operation,
      orderId: call.orderId,
      authorizationId: call.authorizationId,
      settlementId: call.settlementId,
      refundId: call.refundId,
      fulfillmentId: call.fulfillmentId,
      amountMinor: call.amount_minor === null ? null : BigInt(call.amount_minor),
      currency: call.currency,
      providerMessage: call.provider_message,
    };
  }

  async rearm(id: string): Promise<boolean> {
    const rows = returnedRows(
      await this.dataSource.query(
        `UPDATE provider_call SET check_attempts = 0, next_check_at = now(), given_up_at = NULL
          WHERE id = $1 AND outcome IN ('PENDING', 'UNKNOWN') AND given_up_at IS NOT NULL RETURNING id`,
        [id],
      ),
    );
    return rows.length > 0;
  }

  async unresolvedCount(): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM provider_call WHERE outcome IN ('PENDING', 'UNKNOWN') AND given_up_at IS NOT NULL`,
    );
    return Number(row.n);
  }

  async abandonedSyncSettlements(limit: number, quietMs: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT s.id FROM settlement s
        WHERE s.mode = 'sync' AND s.status = 'PROCESSING'
          AND s.updated_at < now() - make_interval(secs => $2::double precision / 1000)
          -- A redeem's call names the link it served (indexed by authorization): no scan of every call.
          AND NOT EXISTS (SELECT 1 FROM provider_call pc WHERE pc.authorization_id = s.served_authorization_id
                           AND pc.settlement_id = s.id AND pc.outcome IN ('PENDING', 'UNKNOWN', 'SUCCEEDED', 'APPLIED'))
          AND NOT EXISTS (SELECT 1 FROM authorization_hold r WHERE r.id = s.root_authorization_id AND r.lock_until >= now())
        ORDER BY s.updated_at
        LIMIT $1`,
      [limit, quietMs],
    );
    return rows.map((row) => row.id);
  }

  async chainsWithUnreleasedClosedHolds(limit: number, settledSeconds: number): Promise<string[]> {
    const rows: Array<{ root_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT a.root_id FROM authorization_hold a
        WHERE a.closed_reason IN ('REAUTHORIZED', 'EXPIRED') AND a.provider_hold_id IS NOT NULL
          AND a.updated_at > now() - interval '30 days' AND a.updated_at < now() - make_interval(secs => $2)
          AND ${holdNotGoneSql('a.provider_hold_id')}
        LIMIT $1`,
      [limit, settledSeconds],
    );
    return rows.map((row) => row.root_id);
  }

  unresolvedPage(page: UnresolvedPage): Promise<ProviderCall[]> {
    const builder = this.dataSource
      .getRepository(ProviderCall)
      .createQueryBuilder('c')
      .where("c.outcome IN ('PENDING', 'UNKNOWN')")
      .andWhere(page.givenUp ? 'c.given_up_at IS NOT NULL' : 'c.given_up_at IS NULL')
      .orderBy('c.created_at', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .limit(page.limit);
    if (page.cursor) {
      builder.andWhere('(c.created_at, c.id) > (SELECT p.created_at, p.id FROM provider_call p WHERE p.id = :cursor)', { cursor: page.cursor });
    }
    return builder.getMany();
  }

  findCall(id: string): Promise<ProviderCall | null> {
    return this.dataSource.getRepository(ProviderCall).findOneBy({ id });
  }

  getCall(id: string): Promise<ProviderCall> {
    return this.dataSource.getRepository(ProviderCall).findOneByOrFail({ id });
  }

  async recordDecision(tx: EntityManager, id: string, decision: OperatorDecision): Promise<boolean> {
    const updated = returnedRows(
      await tx.query(
        `UPDATE provider_call SET operator_decision = $2::jsonb, next_check_at = now(), given_up_at = NULL
          WHERE id = $1 AND outcome IN ('PENDING', 'UNKNOWN') AND operator_decision IS NULL RETURNING id`,
        [id, JSON.stringify(decision)],
      ),
    );
    return updated.length > 0;
  }

  async rootOf(authorizationId: string): Promise<string | null> {
    const [row] = await this.dataSource.query(`SELECT root_id FROM authorization_hold WHERE id = $1`, [authorizationId]);
    return row ? row.root_id : null;
  }
}
