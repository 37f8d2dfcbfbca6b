import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Settlement } from '../settlements/settlement.entity';

/** A due batch settlement this instance claimed, and the chain it settles from. */
export interface ClaimedSettlement {
  id: string;
  rootAuthorizationId: string;
}

/**
 * The job's queue is the settlement table itself. A claim is a lease (`lease_owner`, `lease_until`) taken
 * on due batch settlements with `FOR UPDATE SKIP LOCKED`, so instances never claim the same row at once and
 * a crashed instance's claims return to the pool when their lease expires.
 *
 * Order within a chain: a settlement is only claimable when no older batch settlement of the same
 * authorization chain is still OPEN or PROCESSING. A claim therefore holds at most the head of each chain,
 * the next one becomes claimable once the head is done, and a head waiting for its retry holds the rest back.
 * A chain locked right now (a sync settlement, a reversal, the sweep, or a crashed process until its
 * ChainLock lease runs out) is left for a later run rather than waited for.
 *
 * Every write is fenced by `lease_owner = $owner`: an instance whose lease ran out changes nothing. None takes a
 * caller's manager: the job runs each settlement as a unit of work, which carries the statements itself.
 * The abstract class is the Nest token; `PgSettlementClaims` is the PostgreSQL one, `InMemorySettlementClaims`
 * the fake of the unit tests.
 */
export abstract class SettlementClaims {
  /** Leases at most `limit` due heads of chains to `owner` for `leaseSeconds`; answers them. */
  abstract claim(owner: string, limit: number, leaseSeconds: number): Promise<ClaimedSettlement[]>;

  /**
   * Extends our lease right before working on an item. False when the item is no longer ours (the lease ran
   * out while it waited in our queue and another instance took it) or no longer needs work.
   */
  abstract renew(id: string, owner: string, leaseSeconds: number): Promise<boolean>;

  /** Gives an item back for a later try, at `delayMs` from now (database time), if it is still ours. */
  abstract releaseUntil(id: string, owner: string, delayMs: number): Promise<void>;

  /** Reads how many attempts the settlement has made; null when there is no such settlement. */
  abstract attemptsOf(id: string): Promise<number | null>;

  /** Counts the batch settlements not finished yet: OPEN (due or waiting for a retry) or PROCESSING. */
  abstract backlog(): Promise<number>;
}

/** The claims in PostgreSQL (table `settlement`; `authorization_hold` for the chain's lock). */
@Injectable()
export class PgSettlementClaims extends SettlementClaims {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async claim(owner: string, limit: number, leaseSeconds: number): Promise<ClaimedSettlement[]> {
    const rows = returnedRows<{ id: string; root_authorization_id: string }>(
      await this.dataSource.query(
        `WITH due AS (
           SELECT s.id FROM settlement s
            WHERE s.mode = 'batch' AND s.status IN ('OPEN', 'PROCESSING')
              AND s.next_attempt_at <= now()
              AND (s.lease_until IS NULL OR s.lease_until < now())
              AND NOT EXISTS (
                SELECT 1 FROM settlement older
                 WHERE older.root_authorization_id = s.root_authorization_id
                   AND older.mode = 'batch' AND older.status IN ('OPEN', 'PROCESSING')
                   AND (older.created_at, older.id) < (s.created_at, s.id))
              AND NOT EXISTS (
                SELECT 1 FROM authorization_hold chain
                 WHERE chain.id = s.root_authorization_id AND chain.lock_until >= now())
            ORDER BY s.next_attempt_at, s.created_at
            LIMIT $2
            FOR UPDATE OF s SKIP LOCKED)
         UPDATE settlement t SET lease_owner = $1, lease_until = now() + make_interval(secs => $3)
           FROM due WHERE t.id = due.id
         RETURNING t.id, t.root_authorization_id`,
        [owner, limit, leaseSeconds],
      ),
    );
    return rows.map((r) => ({ id: r.id, rootAuthorizationId: r.root_authorization_id }));
  }

  async renew(id: string, owner: string, leaseSeconds: number): Promise<boolean> {
    const rows = returnedRows(
      await this.dataSource.query(
        `UPDATE settlement SET lease_until = now() + make_interval(secs => $3)
          WHERE id = $1 AND lease_owner = $2 AND status IN ('OPEN', 'PROCESSING') RETURNING id`,
        [id, owner, leaseSeconds],
      ),
    );
    return rows.length > 0;
  }

  async releaseUntil(id: string, owner: string, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE settlement SET lease_owner = NULL, lease_until = NULL,
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1 AND lease_owner = $2 AND status IN ('OPEN', 'PROCESSING')`,
      [id, owner, delayMs],
    );
  }

  async attemptsOf(id: string): Promise<number | null> {
    const settlement = await this.dataSource.getRepository(Settlement).findOneBy({ id });
    return settlement?.attempts ?? null;
  }

  async backlog(): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM settlement WHERE mode = 'batch' AND status IN ('OPEN', 'PROCESSING')`,
    );
    return Number(row.n);
  }
}
