import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CallRefs, eventRefsOf } from '../history/call-refs';
import { HistoryService } from '../history/history.service';
import { holdNotGoneSql } from '../provider-calls/hold-gone';
import { backoffCeilingMs } from '../settlement-job/backoff';

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

interface GivenUpCall extends CallRefs {
  id: string;
  operation: string;
  amount_minor: string | null;
  currency: string | null;
  provider_message: string | null;
}

/** How long a sweep holds the calls it claimed (pushed-out `next_check_at`); a crashed sweep's come back after it. */
const CLAIM_SECONDS = 60;
/** Backoff between checks of one call: 5 s, doubled per attempt, at most 5 min (as ProviderCallsService.resolve). */
export const CHECK_BACKOFF = { baseMs: 5000, maxMs: 300_000 };

/**
 * The sweep's queue is `provider_call` itself: calls still PENDING or UNKNOWN whose `next_check_at` has
 * passed (a PENDING one that old was interrupted: a crash between the call and its commit). A claim pushes
 * `next_check_at` out, under `FOR UPDATE SKIP LOCKED`, so concurrent sweeps split the work.
 */
@Injectable()
export class RecoveryClaims {
  constructor(
    private readonly dataSource: DataSource,
    private readonly history: HistoryService,
  ) {}

  async claim(limit: number): Promise<DueCall[]> {
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
        [limit, CLAIM_SECONDS],
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

  async current(ids: string[]): Promise<Map<string, { outcome: string; checkAttempts: number }>> {
    const rows = await this.dataSource.query(`SELECT id, outcome, check_attempts FROM provider_call WHERE id = ANY($1)`, [ids]);
    return new Map(rows.map((r: { id: string; outcome: string; check_attempts: number }) => [r.id, { outcome: r.outcome, checkAttempts: Number(r.check_attempts) }]));
  }

  /** Checked again later: `attempts` counted so far, the next check after the backoff. */
  async checkLater(id: string, attempts: number, delayMs = backoffCeilingMs(attempts, CHECK_BACKOFF)): Promise<void> {
    await this.dataSource.query(
      `UPDATE provider_call SET check_attempts = $2, next_check_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1 AND outcome IN ('PENDING', 'UNKNOWN')`,
      [id, attempts, delayMs],
    );
  }

  /**
   * Given up: UNKNOWN, listed for an operator, and still checked every `recheckMs` (a provider that answers
   * again days later still gets its calls resolved without anyone asking). Recorded in the order's history
   * (TRANSACTION_GIVEN_UP, which tells the OMS: `transaction.unknown`) in the same commit.
   */
  async giveUp(id: string, attempts: number, recheckMs: number, actor: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [call] = returnedRows<GivenUpCall>(
        await manager.query(
          `UPDATE provider_call SET outcome = 'UNKNOWN', check_attempts = $2::int, given_up_at = now(),
                  next_check_at = now() + make_interval(secs => $3::double precision / 1000),
                  provider_message = coalesce(provider_message || '; ', '') || 'unresolved after ' || $2::int::text || ' checks'
            WHERE id = $1 AND outcome IN ('PENDING', 'UNKNOWN')
            RETURNING id, operation, order_id AS "orderId", authorization_id AS "authorizationId", settlement_id AS "settlementId",
                      refund_id AS "refundId", fulfillment_id AS "fulfillmentId", amount_minor, currency, provider_message`,
          [id, attempts, recheckMs],
        ),
      );
      if (!call) return;
      await this.history.append(manager, {
        ...eventRefsOf(call),
        type: 'TRANSACTION_GIVEN_UP',
        fromState: 'UNKNOWN',
        toState: 'UNKNOWN',
        amountMinor: call.amount_minor === null ? null : BigInt(call.amount_minor),
        currency: call.currency,
        actor,
        providerCallId: call.id,
        providerMessage: call.provider_message,
        detail: { operation: call.operation, checks: attempts },
      });
    });
  }

  /** An operator's request to check a given-up call again from scratch, now. False when it is not given up. */
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

  /**
   * Sync settlements a process left PROCESSING when it died between claiming them and recording the intent of
   * their redeem: no call of theirs is unresolved or answered (so no look-up will ever find them), their chain is
   * not leased by anyone (a live request holds it from the claim to the end), and they have not changed for
   * `quietMs`. A batch settlement in that state goes back to the job when its lease runs out; a sync one had no one.
   */
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

  /**
   * Chains with a link the expiry job closed (re-authorized, expired) whose hold no release or redeem has ended:
   * the close commits with the new hold's approval (or the decision to expire), and the release follows as its
   * own call, so a crash in between leaves a hold nobody owns and no call in the sweep's queue. Only links closed
   * that way in the last 30 days (a partial index), and not in the last `settledSeconds` (a job still working).
   */
  async chainsWithUnreleasedClosedHolds(limit: number, settledSeconds = 60): Promise<string[]> {
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
}
