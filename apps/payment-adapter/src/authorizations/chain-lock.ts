import { returnedRows } from '@gcpa/database';
import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain-errors';

const LEASE_SECONDS = 60;
const WAIT_MS = 30000;

/**
 * Serializes everything that touches one authorization chain (settlements, reversals, recovery): a lease
 * on the root authorization's row, taken with a conditional UPDATE. Unlike `SELECT ... FOR UPDATE` held
 * across the provider calls, it lets each step commit its intent first, and it expires if the holder crashes.
 */
@Injectable()
export class ChainLock {
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(rootId: string, work: () => Promise<T>): Promise<T> {
    const owner = randomUUID();
    const deadline = Date.now() + WAIT_MS;
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      const taken = returnedRows(await this.dataSource.query(
        `UPDATE authorization_hold SET lock_owner = $2, lock_until = now() + make_interval(secs => $3)
          WHERE id = $1 AND (lock_until IS NULL OR lock_until < now()) RETURNING id`,
        [rootId, owner, LEASE_SECONDS],
      ));
      if (taken.length > 0) break;
      if (Date.now() > deadline) {
        throw new DomainError(HttpStatus.CONFLICT, 'AUTHORIZATION_BUSY', 'Another operation on this authorization is still running; retry later');
      }
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
    }
    try {
      return await work();
    } finally {
      await this.dataSource.query(
        `UPDATE authorization_hold SET lock_owner = NULL, lock_until = NULL WHERE id = $1 AND lock_owner = $2`,
        [rootId, owner],
      );
    }
  }
}
