import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';

/** Tables whose rows carry `lock_owner` / `lock_until` lease columns. */
export type LeasedTable = 'authorization_hold' | 'refund' | 'gift_card_fulfillment';

export interface HeldLease {
  table: LeasedTable;
  id: string;
  owner: string;
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

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await this.check(manager);
      return work(manager);
    });
  }

  /** Inside a transaction someone else opened (and fenced, when it runs under a lease): checks again, cheaply. */
  async check(manager: EntityManager): Promise<void> {
    const lease = held.getStore();
    if (!lease) return;
    const rows: unknown[] = await manager.query(`SELECT 1 FROM ${lease.table} WHERE id = $1 AND lock_owner = $2 FOR SHARE`, [lease.id, lease.owner]);
    if (rows.length === 0) throw new LeaseLostError(lease);
  }
}
