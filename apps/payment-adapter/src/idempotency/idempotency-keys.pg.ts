import { returnedRows } from '@gcpa/database';
import { FactoryProvider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdapterConfig } from '../config/adapter.config';
import { IdempotencyKeys, StoredKey } from './idempotency-keys';

export interface IdempotencyKeySettings {
  leaseSeconds: number;
  /** Tests shorten it; the adapter keeps the default. */
  waitForDuplicateMs?: number;
}

/** The idempotency keys in PostgreSQL (table `idempotency_key`); `begin`'s rules are `IdempotencyKeys`'. */
export class PgIdempotencyKeys extends IdempotencyKeys {
  readonly leaseSeconds: number;

  constructor(
    private readonly dataSource: DataSource,
    settings: IdempotencyKeySettings,
  ) {
    super(settings.waitForDuplicateMs);
    this.leaseSeconds = settings.leaseSeconds;
  }

  protected async insertIfAbsent(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean> {
    const inserted = await this.dataSource.query(
      `INSERT INTO idempotency_key (scope, key, fingerprint, status, locked_until, lease_owner)
       VALUES ($1, $2, $3, 'IN_PROGRESS', now() + make_interval(secs => $4), $5)
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [scope, key, fingerprint, this.leaseSeconds, owner],
    );
    return inserted.length > 0;
  }

  protected async read(scope: string, key: string): Promise<StoredKey | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT fingerprint, status, response_status, response_body, coalesce(locked_until < now(), true) AS expired
         FROM idempotency_key WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    if (!row) return undefined;
    return { fingerprint: row.fingerprint, status: row.status, responseStatus: row.response_status, responseBody: row.response_body, expired: row.expired };
  }

  protected async takeOverIfExpired(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean> {
    const taken = returnedRows(await this.dataSource.query(
      `UPDATE idempotency_key SET locked_until = now() + make_interval(secs => $4), lease_owner = $5
        WHERE scope = $1 AND key = $2 AND fingerprint = $3 AND status = 'IN_PROGRESS'
          AND (locked_until IS NULL OR locked_until < now()) RETURNING key`,
      [scope, key, fingerprint, this.leaseSeconds, owner],
    ));
    return taken.length > 0;
  }

  async renew(scope: string, key: string, owner: string): Promise<boolean> {
    const rows = returnedRows(await this.dataSource.query(
      `UPDATE idempotency_key SET locked_until = now() + make_interval(secs => $4)
        WHERE scope = $1 AND key = $2 AND lease_owner = $3 AND status = 'IN_PROGRESS' RETURNING key`,
      [scope, key, owner, this.leaseSeconds],
    ));
    return rows.length > 0;
  }

  async complete(scope: string, key: string, owner: string, status: number, body: unknown): Promise<boolean> {
    const rows = returnedRows(await this.dataSource.query(
      `UPDATE idempotency_key SET status = 'COMPLETED', response_status = $4, response_body = $5, completed_at = now(),
              locked_until = NULL, lease_owner = NULL
        WHERE scope = $1 AND key = $2 AND lease_owner = $3 AND status = 'IN_PROGRESS' RETURNING key`,
      [scope, key, owner, status, JSON.stringify(body)],
    ));
    return rows.length > 0;
  }

  async abandon(scope: string, key: string, owner: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_key SET locked_until = NULL, lease_owner = NULL
        WHERE scope = $1 AND key = $2 AND lease_owner = $3 AND status = 'IN_PROGRESS'`,
      [scope, key, owner],
    );
  }

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

/** `IdempotencyKeys` for the adapter's modules: the PostgreSQL implementation with the configured lease. */
export const idempotencyKeysProvider: FactoryProvider<IdempotencyKeys> = {
  provide: IdempotencyKeys,
  inject: [DataSource, AdapterConfig],
  useFactory: (dataSource: DataSource, config: AdapterConfig) => new PgIdempotencyKeys(dataSource, { leaseSeconds: config.IDEMPOTENCY_LEASE_SECONDS }),
};
