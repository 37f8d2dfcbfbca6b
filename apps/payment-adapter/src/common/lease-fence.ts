import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';

/** Tables whose rows carry `lock_owner` / `lock_until` lease columns. */
export type LeasedTable = 'authorization_hold' | 'refund' | 'gift_card_fulfillment';

export interface HeldLease {
  table: LeasedTable;
  id: string;
  owner: string;
  /** Released by the work's last transaction (`LeaseFence.releaseWith`), once that committed: nothing more is written under it. */
  released?: boolean;
  /** A release made in the transaction now open, which becomes `released` when it commits. */
  releasing?: boolean;
}

/**
 * The worker no longer holds the lease its writes depend on (it outlived it, and another worker took the row
 * over): nothing more is written, and what is left is for the new holder or the recovery sweep.
 */
export class LeaseLostError extends Error {
  constructor(readonly lease: HeldLease) {
    super(`the lease on ${lease.table} ${lease.id} was taken over by another worker; this worker stopped`);
    this.name = 'LeaseLostError';
  }
}

const held = new AsyncLocalStorage<HeldLease>();

/** Runs `work` as the holder of `lease`: every fenced transaction inside it checks that the lease is still its own. */
export function runAsHolder<T>(lease: HeldLease, work: () => Promise<T>): Promise<T> {
  return held.run(lease, work);
}

/**
 * The fence of every write made under a row lease (a chain, a refund, a fulfillment): each transaction first
 * reads the leased row `FOR SHARE` where `lock_owner` is this worker. A worker whose lease was taken over writes
 * nothing; and while the transaction is open, nobody can take the lease from it (a takeover's UPDATE of the row
 * waits for its commit), so what it commits was written while it held the lease. Outside any lease (a new
 * authorization, a balance read), it is a plain transaction.
 */
@Injectable()
export class LeaseFence {
  constructor(private readonly dataSource: DataSource) {}

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const lease = held.getStore();
    try {
      const result = await this.dataSource.transaction(async (manager) => {
        await this.check(manager);
        return work(manager);
      });
      if (lease?.releasing) lease.released = true;
      return result;
    } finally {
      if (lease) lease.releasing = false;
    }
  }

  /**
   * Releases this worker's lease in `manager`'s fenced transaction, for the last write of its work (a hold's
   * approval): the release commits with it instead of after it. RowLease does not release it again once that
   * transaction has committed, and any later fenced write of the work is refused (LeaseLostError).
   */
  async releaseWith(manager: EntityManager): Promise<void> {
    const lease = held.getStore();
    if (!lease) return;
    await manager.query(`UPDATE ${lease.table} SET lock_owner = NULL, lock_until = NULL WHERE id = $1 AND lock_owner = $2`, [lease.id, lease.owner]);
    lease.releasing = true;
  }

  /** Inside a transaction someone else opened (and fenced, when it runs under a lease): checks again, cheaply. */
  async check(manager: EntityManager): Promise<void> {
    const lease = held.getStore();
    if (!lease) return;
    if (lease.released) throw new LeaseLostError(lease);
    const rows: unknown[] = await manager.query(`SELECT 1 FROM ${lease.table} WHERE id = $1 AND lock_owner = $2 FOR SHARE`, [lease.id, lease.owner]);
    if (rows.length === 0) throw new LeaseLostError(lease);
  }
}
