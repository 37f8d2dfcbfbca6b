import { HttpStatus } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError, idempotencyConflict } from '../common/domain-errors';
import { pollUntil } from '../common/poll';

/** `owner` is this request's lease on the key: only its holder may complete or abandon it. */
export type Begin = { kind: 'execute'; owner: string } | { kind: 'replay'; status: number; body: unknown };

/** A key as `begin` needs to see it when another request inserted it first. */
export interface StoredKey {
  fingerprint: string;
  status: 'IN_PROGRESS' | 'COMPLETED';
  responseStatus: number | null;
  responseBody: unknown;
  /** Its lease ran out (or was released): a request with the same fingerprint may take it over. */
  expired: boolean;
}

/** How long a duplicate waits for the request holding its key before it is told to retry later. */
export const WAIT_FOR_DUPLICATE_MS = 30000;

/**
 * Stored idempotency keys, one namespace per API key (`scope`: the key's name). The first request with a key
 * inserts it (a unique constraint decides the winner among concurrent duplicates), runs, and stores its
 * answer; duplicates wait for that answer and replay it. A key keeps the fingerprint of its first request for
 * its whole life: a request that did not end with a final answer releases its lease but not the fingerprint,
 * so a retry runs again only with the same body (another body is 409, even after a 503). A key whose owner
 * crashed is taken over when its lease runs out; the operations themselves are resumable. Every write after
 * `begin` is fenced by the lease owner, so a request whose key was taken over cannot overwrite its successor.
 *
 * The abstract class is the Nest token. `begin`'s decision (execute, replay, conflict, wait) is written once
 * here; an implementation (PostgreSQL: `PgIdempotencyKeys`; in memory for unit tests: `InMemoryIdempotencyKeys`)
 * gives it three primitives, and the fenced writes. `test/idempotency/idempotency-keys.contract.e2e-spec.ts`
 * runs the same cases against both.
 */
export abstract class IdempotencyKeys {
  /** How long a request holds its key without renewing it (the interceptor renews it while the request runs). */
  abstract readonly leaseSeconds: number;

  constructor(private readonly waitForDuplicateMs = WAIT_FOR_DUPLICATE_MS) {}

  /** Inserts the key leased to `owner`; false when it already exists (this request is a duplicate). */
  protected abstract insertIfAbsent(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean>;

  /** The key as stored; undefined when it went in the meantime (purged). */
  protected abstract read(scope: string, key: string): Promise<StoredKey | undefined>;

  /** Leases the key to `owner` if it is still in progress with this fingerprint and its lease ran out; false otherwise. */
  protected abstract takeOverIfExpired(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean>;

  /** Extends the lease of a request still at work; false when it was lost to another request. */
  abstract renew(scope: string, key: string, owner: string): Promise<boolean>;

  /** Stores the final answer; false when the lease was lost to another request (nothing is written then). */
  abstract complete(scope: string, key: string, owner: string, status: number, body: unknown): Promise<boolean>;

  /**
   * Releases the lease of a request that did not finish with a final answer, so a retry with the same body
   * runs again at once. The fingerprint stays: the key still belongs to its first request.
   */
  abstract abandon(scope: string, key: string, owner: string): Promise<void>;

  /** Deletes keys older than the retention, at most `limit` at a time; returns how many went. */
  abstract purgeOlderThan(retentionSeconds: number, limit: number): Promise<number>;

  async begin(scope: string, key: string, fingerprint: string): Promise<Begin> {
    const owner = randomUUID();
    const attempt = async (): Promise<Begin | undefined> => {
      if (await this.insertIfAbsent(scope, key, fingerprint, owner)) return { kind: 'execute', owner };
      const stored = await this.read(scope, key);
      if (!stored) return undefined;
      if (stored.fingerprint !== fingerprint) {
        throw idempotencyConflict('This Idempotency-Key was already used with a different request');
      }
      if (stored.status === 'COMPLETED') return { kind: 'replay', status: stored.responseStatus as number, body: stored.responseBody };
      if (!stored.expired) return undefined;
      return (await this.takeOverIfExpired(scope, key, fingerprint, owner)) ? { kind: 'execute', owner } : undefined;
    };
    const begun = await pollUntil(attempt, this.waitForDuplicateMs, 10, 200);
    if (!begun) {
      throw new DomainError(HttpStatus.CONFLICT, 'REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry later');
    }
    return begun;
  }
}
