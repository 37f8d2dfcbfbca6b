import { Injectable } from '@nestjs/common';
import { RowLease } from '../common/row-lease';

/** One worker at a time per refund (a client retry, a takeover, the recovery sweep): a lease on its row. */
@Injectable()
export class RefundLock {
  constructor(private readonly lease: RowLease) {}

  /** Waits up to `waitMs` for the lease; 0 tries once. Undefined when someone else kept it. */
  tryRun<T>(refundId: string, waitMs: number, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    return this.lease.tryRun('refund', refundId, waitMs, work);
  }

  run<T>(refundId: string, work: () => Promise<T>): Promise<T> {
    return this.lease.run('refund', refundId, 'REFUND_BUSY', work);
  }
}
