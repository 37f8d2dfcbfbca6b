import { returnedRows } from '@gcpa/database';
import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain-errors';

const LEASE_SECONDS = 60;

/**
 * One worker at a time per refund (a client retry, a takeover, the recovery sweep): a lease on the refund row
 * taken with a conditional UPDATE, like ChainLock. It expires if its holder crashes.
 */
@Injectable()
export class RefundLock {
  constructor(private readonly dataSource: DataSource) {}

  /** Waits up to `waitMs` for the lease; 0 tries once. Undefined when someone else kept it. */
  async tryRun<T>(refundId: string, waitMs: number, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    const owner = randomUUID();
    const deadline = Date.now() + waitMs;
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      const taken = returnedRows(await this.dataSource.query(
        `UPDATE refund SET lock_owner = $2, lock_until = now() + make_interval(secs => $3)
          WHERE id = $1 AND (lock_until IS NULL OR lock_until < now()) RETURNING id`,
        [refundId, owner, LEASE_SECONDS],
      ));
      if (taken.length > 0) break;
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
    }
    try {
      return { value: await work() };
    } finally {
      await this.dataSource.query(`UPDATE refund SET lock_owner = NULL, lock_until = NULL WHERE id = $1 AND lock_owner = $2`, [refundId, owner]);
    }
  }

  async run<T>(refundId: string, work: () => Promise<T>): Promise<T> {
    const done = await this.tryRun(refundId, 30000, work);
    if (!done) throw new DomainError(HttpStatus.CONFLICT, 'REFUND_BUSY', 'This refund is being processed by another request; retry later');
    return done.value;
  }
}
