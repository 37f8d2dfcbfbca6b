import { returnedRows } from '@gcpa/database';
import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError, idempotencyConflict } from '../common/domain-errors';
import { pollUntil } from '../common/poll';
import { AdapterConfig } from '../config/adapter.config';

/** `owner` is this request's lease on the key: only its holder may complete or abandon it. */
export type Begin = { kind: 'execute'; owner: string } | { kind: 'replay'; status: number; body: unknown };

const WAIT_FOR_DUPLICATE_MS = 30000;

/**
 * Stored idempotency keys, one namespace per API key (`scope`: the key's name). The first request with a key
 * inserts it (a unique constraint decides the winner among concurrent duplicates), runs, and stores its
 * answer; duplicates wait for that answer and replay it. A key keeps the fingerprint of its first request for
 * its whole life: a request that did not end with a final answer releases its lease but not the fingerprint,
 * so a retry runs again only with the same body (another body is 409, even after a 503). A key whose owner
 * crashed is taken over when its lease runs out; the operations themselves are resumable. Every write after
 * `begin` is fenced by the lease owner, so a request whose key was taken over cannot overwrite its successor.
 */
@Injectable()
export class IdempotencyStore {
  /** How long a request holds its key without renewing it (the interceptor renews it while the request runs). */
  readonly leaseSeconds: number;

  constructor(
    private readonly dataSource: DataSource,
    config: AdapterConfig,
  ) {
    this.leaseSeconds = config.IDEMPOTENCY_LEASE_SECONDS;
  }

  async begin(scope: string, key: string, fingerprint: string): Promise<Begin> {
    const owner = randomUUID();
    const attempt = async (): Promise<Begin | undefined> => {
      const inserted = await this.dataSource.query(
        `INSERT INTO idempotency_key (scope, key, fingerprint, status, locked_until, lease_owner)
         VALUES ($1, $2, $3, 'IN_PROGRESS', now() + make_interval(secs => $4), $5)
         ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
        [scope, key, fingerprint, this.leaseSeconds, owner],
      );
      if (inserted.length > 0) return { kind: 'execute', owner };

      const [row] = await this.dataSource.query(
        `SELECT fingerprint, status, response_status, response_body, coalesce(locked_until < now(), true) AS expired
           FROM idempotency_key WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      if (!row) return undefined;
      if (row.fingerprint !== fingerprint) {
        throw idempotencyConflict('This Idempotency-Key was already used with a different request');
      }
      if (row.status === 'COMPLETED') return { kind: 'replay', status: row.response_status, body: row.response_body };
      if (!row.expired) return undefined;
      const taken = returnedRows(await this.dataSource.query(
        `UPDATE idempotency_key SET locked_until = now() + make_interval(secs => $4), lease_owner = $5
          WHERE scope = $1 AND key = $2 AND fingerprint = $3 AND status = 'IN_PROGRESS'
            AND (locked_until IS NULL OR locked_until < now()) RETURNING key`,
        [scope, key, fingerprint, this.leaseSeconds, owner],
      ));
      return taken.length > 0 ? { kind: 'execute', owner } : undefined;
    };
    const begun = await pollUntil(attempt, WAIT_FOR_DUPLICATE_MS, 10, 200);
    if (!begun) {
      throw new DomainError(HttpStatus.CONFLICT, 'REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry later');
    }
    return begun;
  }

  /** Extends the lease of a request still at work; false when it was lost to another request. */
  async renew(scope: string, key: string, owner: string): Promise<boolean> {
    const rows = returnedRows(await this.dataSource.query(
      `UPDATE idempotency_key SET locked_until = now() + make_interval(secs => $4)
        WHERE scope = $1 AND key = $2 AND lease_owner = $3 AND status = 'IN_PROGRESS' RETURNING key`,
      [scope, key, owner, this.leaseSeconds],
    ));
    return rows.length > 0;
  }

  /** Stores the final answer; false when the lease was lost to another request (nothing is written then). */
  async complete(scope: string, key: string, owner: string, status: number, body: unknown): Promise<boolean> {
    const rows = returnedRows(await this.dataSource.query(
      `UPDATE idempotency_key SET status = 'COMPLETED', response_status = $4, response_body = $5, completed_at = now(),
              locked_until = NULL, lease_owner = NULL
        WHERE scope = $1 AND key = $2 AND lease_owner = $3 AND status = 'IN_PROGRESS' RETURNING key`,
      [scope, key, owner, status, JSON.stringify(body)],
    ));
    return rows.length > 0;
  }

  /**
   * Releases the lease of a request that did not finish with a final answer, so a retry with the same body
   * runs again at once. The fingerprint stays: the key still belongs to its first request.
   */
  async abandon(scope: string, key: string, owner: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_key SET locked_until = NULL, lease_owner = NULL
        WHERE scope = $1 AND key = $2 AND lease_owner = $3 AND status = 'IN_PROGRESS'`,
      [scope, key, owner],
    );
  }

  /** Deletes keys older than the retention, at most `limit` at a time; returns how many went. */
  async purgeOlderThan(retentionSeconds: number, limit: number): Promise<number> {
    const rows = returnedRows(await this.dataSource.query(
      `DELETE FROM idempotency_key WHERE ctid IN (
         SELECT ctid FROM idempotency_key WHERE created_at < now() - make_interval(secs => $1) LIMIT $2
       ) RETURNING key`,
      [retentionSeconds, limit],
    ));
    return rows.length;
  }
}
