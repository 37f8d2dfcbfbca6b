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
}
