import { AT_COMMIT, returnedRows } from '@gcpa/database';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { pollUntil } from '../common/poll';

export interface HeldCardLease {
  release(): Promise<void>;
  /** The release as a statement of the caller's transaction: the card is free when (and only if) that commits. */
  releaseWith(manager: EntityManager): Promise<void>;
}

const TAKE = `INSERT INTO card_lease (card_hash, lease_owner, lease_until) VALUES ($1, $2, now() + make_interval(secs => $3 / 1000.0))
           ON CONFLICT (card_hash) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
            WHERE card_lease.lease_until < now()
           RETURNING card_hash`;
const RELEASE = `DELETE FROM card_lease WHERE card_hash = $1 AND lease_owner = $2`;

/**
 * One money-moving provider call (or lost-answer look-up) at a time per card, across every instance: a
 * lease row per card hash. A lost answer is resolved from the card's state, which is only ours to read
 * while none of our other calls on the card is in flight. The lease outlives the longest call it covers
 * (`CARD_LEASE_MS`), so a crashed holder frees it by itself.
 */
@Injectable()
export class CardLease {
  constructor(
    private readonly dataSource: DataSource,
    @Inject('CARD_LEASE_MS') private readonly leaseMs: number,
  ) {}

  /** Waits up to `waitMs` for the card; undefined when another call kept it that long. */
  async acquire(cardHash: string, waitMs: number): Promise<HeldCardLease | undefined> {
    const owner = randomUUID();
    const take = async () => {
      const taken = returnedRows(await this.dataSource.query(TAKE, [cardHash, owner, this.leaseMs]));
      return taken.length > 0 ? true : undefined;
    };
    if (!(await pollUntil(take, waitMs, 2, 50))) return undefined;
    return this.held(cardHash, owner);
  }

  /**
   * One try, as a statement of the caller's transaction (the lease is taken in the commit of what needs it, such
   * as a provider call's intent); undefined when another holder has it (then `acquire` waits for it, outside).
   */
  async tryTakeWith(manager: EntityManager, cardHash: string): Promise<HeldCardLease | undefined> {
    const owner = randomUUID();
    const taken = returnedRows(await manager.query(TAKE, [cardHash, owner, this.leaseMs]));
    return taken.length > 0 ? this.held(cardHash, owner) : undefined;
  }

  private held(cardHash: string, owner: string): HeldCardLease {
    return {
      release: async () => {
        await this.dataSource.query(RELEASE, [cardHash, owner]);
      },
      // The last statement of its commit under a unit of work: a call waiting for the card blocks on this row.
      releaseWith: async (manager) => {
        await manager.query(AT_COMMIT + RELEASE, [cardHash, owner]);
      },
    };
  }
}
