import { returnedRows, UnitsOfWork } from '@gcpa/database';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from './domain-errors';
import { HeldLease, LeasedTable, runAsHolder } from './lease-fence';
import { pollUntil } from './poll';

export type { LeasedTable } from './lease-fence';

/**
 * One worker at a time per row (a request, its retry, a takeover, the batch job, the recovery sweep): a
 * lease on the row taken with a conditional UPDATE, renewed while the work goes on (ROW_LEASE_SECONDS). Unlike `SELECT ... FOR UPDATE` held across provider
 * calls, it lets each step commit its intent first, works on the embedded database's single connection,
 * and expires if its holder crashes. The work runs as the lease's holder: its writes are fenced (LeaseFence),
 * so a worker that outlived its lease stops instead of writing over its successor.
 */
@Injectable()
export class RowLease {
  private readonly logger = new Logger('RowLease');

  constructor(
    private readonly dataSource: DataSource,
    @Inject('ROW_LEASE_SECONDS') private readonly leaseSeconds: number,
  ) {}

  /** Waits up to `waitMs` for the lease (0: one try). Undefined when someone else kept it. */
  async tryRun<T>(table: LeasedTable, id: string, waitMs: number, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    const owner = randomUUID();
    const take = async () => {
      const taken = returnedRows(
        await this.dataSource.query(
          `UPDATE ${table} SET lock_owner = $2, lock_until = now() + make_interval(secs => $3)
            WHERE id = $1 AND (lock_until IS NULL OR lock_until < now()) RETURNING id`,
          [id, owner, this.leaseSeconds],
        ),
      );
      return taken.length > 0 ? true : undefined;
    };
    if (!(await pollUntil(take, waitMs, 5, 100))) return undefined;
    return { value: await this.runTaken(table, id, owner, work) };
  }

  /**
   * The lease columns of a row about to be inserted already leased (the domain row and its lease in one
   * statement): `lock_until` from the database's clock, as a take's. Then `runTaken` with the same owner.
   */
  newLease(): { owner: string; columns: { lockOwner: string; lockUntil: () => string } } {
    const owner = randomUUID();
    const seconds = Number(this.leaseSeconds);
    return { owner, columns: { lockOwner: owner, lockUntil: () => `now() + make_interval(secs => ${seconds})` } };
  }

  /** Runs `work` as the holder of a lease `owner` has taken (by `tryRun`'s UPDATE, or inserted with the row): renewed, then released. */
  async runTaken<T>(table: LeasedTable, id: string, owner: string, work: () => Promise<T>): Promise<T> {
    // Renewed while the work goes on (a provider call can outlast the lease), and only while it is still ours.
    const renewal = UnitsOfWork.outside(() => setInterval(() => void this.renew(table, id, owner), (this.leaseSeconds * 1000) / 3));
    renewal.unref();
    const lease: HeldLease = { table, id, owner };
    try {
      return await runAsHolder(lease, work);
    } finally {
      clearInterval(renewal);
      // Unless the work's last transaction released it already (LeaseFence.releaseWith).
      if (!lease.released) await this.dataSource.query(`UPDATE ${table} SET lock_owner = NULL, lock_until = NULL WHERE id = $1 AND lock_owner = $2`, [id, owner]);
    }
  }

  private async renew(table: LeasedTable, id: string, owner: string): Promise<void> {
    try {
      const kept = returnedRows(
        await this.dataSource.query(
          `UPDATE ${table} SET lock_until = now() + make_interval(secs => $3) WHERE id = $1 AND lock_owner = $2 RETURNING id`,
          [id, owner, this.leaseSeconds],
        ),
      );
      if (kept.length === 0) this.logger.warn(`lease on ${table} ${id} was lost while its work went on; recovery completes what is left`);
    } catch (error) {
      this.logger.warn(`lease on ${table} ${id} could not be renewed: ${(error as Error).message}`);
    }
  }

  /** Waits up to 30 s for the lease, then answers 409 `busyCode` (the client retries with its key). */
  async run<T>(table: LeasedTable, id: string, busyCode: string, work: () => Promise<T>): Promise<T> {
    const done = await this.tryRun(table, id, 30000, work);
    if (!done) throw new DomainError(HttpStatus.CONFLICT, busyCode, 'Another operation on this resource is still running; retry later');
    return done.value;
  }
}
