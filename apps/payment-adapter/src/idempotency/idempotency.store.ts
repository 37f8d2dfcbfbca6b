import { returnedRows } from '@gcpa/database';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, idempotencyConflict } from '../common/domain-errors';

export type Begin = { kind: 'execute' } | { kind: 'replay'; status: number; body: unknown };

const LEASE_SECONDS = 60;
const WAIT_FOR_DUPLICATE_MS = 30000;

/**
 * Stored idempotency keys. The first request with a key inserts it (a unique constraint decides the winner
 * among concurrent duplicates), runs, and stores its answer; duplicates wait for that answer and replay it.
 * A key whose owner crashed is taken over when its lease runs out; the operations themselves are resumable.
 */
@Injectable()
export class IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  async begin(key: string, fingerprint: string): Promise<Begin> {
    const deadline = Date.now() + WAIT_FOR_DUPLICATE_MS;
    for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
      const inserted = await this.dataSource.query(
        `INSERT INTO idempotency_key (key, fingerprint, status, locked_until)
         VALUES ($1, $2, 'IN_PROGRESS', now() + make_interval(secs => $3))
         ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, fingerprint, LEASE_SECONDS],
      );
      if (inserted.length > 0) return { kind: 'execute' };

      const [row] = await this.dataSource.query(
        `SELECT fingerprint, status, response_status, response_body, locked_until < now() AS expired
           FROM idempotency_key WHERE key = $1`,
        [key],
      );
      if (row) {
        if (row.fingerprint !== fingerprint) {
          throw idempotencyConflict('This Idempotency-Key was already used with a different request');
        }
        if (row.status === 'COMPLETED') return { kind: 'replay', status: row.response_status, body: row.response_body };
        if (row.expired) {
          const taken = returnedRows(await this.dataSource.query(
            `UPDATE idempotency_key SET locked_until = now() + make_interval(secs => $2)
              WHERE key = $1 AND status = 'IN_PROGRESS' AND locked_until < now() RETURNING key`,
            [key, LEASE_SECONDS],
          ));
          if (taken.length > 0) return { kind: 'execute' };
        }
      }
      if (Date.now() > deadline) {
        throw new DomainError(HttpStatus.CONFLICT, 'REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry later');
      }
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
    }
  }

  async complete(key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_key SET status = 'COMPLETED', response_status = $2, response_body = $3, completed_at = now(), locked_until = NULL
        WHERE key = $1`,
      [key, status, JSON.stringify(body)],
    );
  }

  /** Forgets a key whose request did not finish with a final answer, so a retry runs again. */
  async abandon(key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_key WHERE key = $1 AND status = 'IN_PROGRESS'`, [key]);
  }
}
