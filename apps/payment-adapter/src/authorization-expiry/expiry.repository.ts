import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { ExpiryLink } from './expiry-rules';

/**
 * The expiry job's statements. Its queue is `authorization_hold` itself: a claim marks due authorizations
 * (`expiry_claim_until`) under `FOR UPDATE SKIP LOCKED`, so instances split the work; the chain's own lease
 * (ChainLock) is then taken for the work on each. Writes inside a caller's transaction take its manager (`tx`)
 * first. The abstract class is the Nest token; `PgExpiryRepository` is the PostgreSQL one, and
 * `InMemoryExpiryRepository` the fake of the unit tests.
 */
export abstract class ExpiryRepository {
  /**
   * Chains with something to do: an open link expiring within `beforeMs` (or past its expiry) that still holds
   * value and whose re-hold was not declined already, or the unplaced new link of a re-authorization. Chains
   * leased right now (a settlement, a reversal, the sweep) are left for the next run, and so are those this run
   * already worked on (`done`). Marks them claimed for `claimSeconds` and answers their roots.
   */
  abstract claim(limit: number, beforeMs: number, claimSeconds: number, done: string[]): Promise<string[]>;

  /** The chain was worked on: clears its claims, so whatever is still due on it is for the next run, by any instance. */
  abstract unclaim(rootId: string): Promise<void>;

  /** Reads the chain's links, oldest first, each with whether any provider call was ever recorded for it. */
  abstract linksOf(rootId: string): Promise<Array<Authorization & ExpiryLink>>;

  /** Reads the link `id`; throws (EntityNotFoundError) when there is none. */
  abstract link(id: string): Promise<Authorization>;

  /** Inserts a new link (PENDING) on its own, outside any transaction. */
  abstract insertLink(link: Authorization): Promise<void>;

  /** Inserts a new link (PENDING) in `tx`. */
  abstract insertLinkIn(tx: EntityManager, link: Authorization): Promise<void>;

  /** Runs `work` in a plain transaction of its own (not fenced: the chain's lease is held, and no fence SELECT is wanted). */
  abstract transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T>;
}

/** The expiry job's statements in PostgreSQL (tables `authorization_hold`, `provider_call`). */
@Injectable()
export class PgExpiryRepository extends ExpiryRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async claim(limit: number, beforeMs: number, claimSeconds: number, done: string[]): Promise<string[]> {
    const rows = returnedRows<{ root_id: string }>(await this.dataSource.query(
      // Two index-backed candidate lists (open links by expiry, unplaced links: few), then the claim over them.
      `WITH candidates AS (
         SELECT a.id FROM authorization_hold a
          WHERE a.state = 'OPEN' AND a.expires_at <= now() + make_interval(secs => $2::double precision / 1000)
         UNION ALL
         SELECT a.id FROM authorization_hold a JOIN authorization_hold p ON p.id = a.previous_id
          WHERE a.state IN ('FAILED', 'PENDING') AND p.closed_reason = 'REAUTHORIZED'),
       due AS (
         SELECT a.id FROM authorization_hold a
          WHERE a.id IN (SELECT id FROM candidates)
            AND (a.expiry_claim_until IS NULL OR a.expiry_claim_until < now())
            AND a.root_id <> ALL ($4::uuid[])
            AND NOT EXISTS (SELECT 1 FROM authorization_hold r WHERE r.id = a.root_id AND r.lock_until >= now())
            -- an open link not yet expired: only while it holds value and its re-hold was not declined already
            AND (a.state <> 'OPEN' OR a.expires_at <= now()
              OR (a.held_minor > 0 AND NOT EXISTS (SELECT 1 FROM authorization_hold s WHERE s.previous_id = a.id AND s.state = 'CLOSED')))
          ORDER BY a.expires_at NULLS FIRST
          LIMIT $1
          FOR UPDATE OF a SKIP LOCKED)
       UPDATE authorization_hold t SET expiry_claim_until = now() + make_interval(secs => $3)
         FROM due WHERE t.id = due.id
       RETURNING t.root_id`,
      [limit, beforeMs, claimSeconds, done],
    ));
    return [...new Set(rows.map((r) => r.root_id))];
  }

  async unclaim(rootId: string): Promise<void> {
    await this.dataSource.query(`UPDATE authorization_hold SET expiry_claim_until = NULL WHERE root_id = $1 AND expiry_claim_until IS NOT NULL`, [rootId]);
  }

  async linksOf(rootId: string): Promise<Array<Authorization & ExpiryLink>> {
    const links = await this.dataSource.getRepository(Authorization).find({ where: { rootId }, order: { createdAt: 'ASC' } });
    const called: Array<{ authorization_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT authorization_id FROM provider_call WHERE authorization_id = ANY($1)`,
      [links.map((l) => l.id)],
    );
    const withCalls = new Set(called.map((c) => c.authorization_id));
    return links.map((l) => Object.assign(l, { hasCalls: withCalls.has(l.id) }));
  }

  link(id: string): Promise<Authorization> {
    return this.dataSource.getRepository(Authorization).findOneByOrFail({ id });
  }

  async insertLink(link: Authorization): Promise<void> {
    await this.dataSource.getRepository(Authorization).insert(link);
  }

  async insertLinkIn(tx: EntityManager, link: Authorization): Promise<void> {
    await tx.getRepository(Authorization).insert(link);
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
