import { Injectable } from '@nestjs/common';
import { RowLease } from '../common/row-lease';

/**
 * Serializes everything that touches one authorization chain (settlements, reversals, recovery): a lease
 * on the root authorization's row.
 */
@Injectable()
export class ChainLock {
  constructor(private readonly lease: RowLease) {}

  run<T>(rootId: string, work: () => Promise<T>): Promise<T> {
    return this.lease.run('authorization_hold', rootId, 'AUTHORIZATION_BUSY', work);
  }

  /** The lease columns for a new chain's root, inserted already locked (see RowLease.newLease). */
  newLease() {
    return this.lease.newLease();
  }

  /** Runs `work` under the lock of a root inserted with `newLease()`'s columns. */
  runInserted<T>(rootId: string, owner: string, work: () => Promise<T>): Promise<T> {
    return this.lease.runTaken('authorization_hold', rootId, owner, work);
  }
}
