import { Settlement } from '../settlements/settlement.entity';
import { InMemorySettlementsRepository } from '../settlements/settlements.repository.fake';
import { ClaimedSettlement, SettlementClaims } from './settlement-claims.repository';

const unfinished = (s: Settlement) => s.mode === 'batch' && (s.status === 'OPEN' || s.status === 'PROCESSING');
const inCreationOrder = (a: Settlement, b: Settlement) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);

/**
 * `SettlementClaims` over the rows of an `InMemorySettlementsRepository`, for unit tests: the queue is the
 * settlements themselves, as in PostgreSQL, so what the job's collaborators write there is what the next claim
 * sees. The clock is `now` (a test moves it on instead of waiting for a lease or a retry); the chains a test
 * puts in `lockedChains` are locked by someone else.
 */
export class InMemorySettlementClaims extends SettlementClaims {
  /** Roots of the chains whose ChainLock is taken right now. */
  readonly lockedChains = new Set<string>();

  constructor(
    private readonly repository: InMemorySettlementsRepository,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  async claim(owner: string, limit: number, leaseSeconds: number): Promise<ClaimedSettlement[]> {
    const now = this.now();
    const rows = [...this.repository.settlements.values()];
    const due = rows
      .filter(unfinished)
      .filter((s) => s.nextAttemptAt.getTime() <= now && (s.leaseUntil === null || s.leaseUntil.getTime() < now))
      .filter((s) => !rows.some((older) => older.rootAuthorizationId === s.rootAuthorizationId && unfinished(older) && inCreationOrder(older, s) < 0))
      .filter((s) => !this.lockedChains.has(s.rootAuthorizationId))
      .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit);
    for (const s of due) Object.assign(s, { leaseOwner: owner, leaseUntil: new Date(now + leaseSeconds * 1000) });
    return due.map((s) => ({ id: s.id, rootAuthorizationId: s.rootAuthorizationId }));
  }

  async renew(id: string, owner: string, leaseSeconds: number): Promise<boolean> {
    const row = this.ours(id, owner);
    if (row) row.leaseUntil = new Date(this.now() + leaseSeconds * 1000);
    return row !== undefined;
  }

  async releaseUntil(id: string, owner: string, delayMs: number): Promise<void> {
    const row = this.ours(id, owner);
    if (row) Object.assign(row, { leaseOwner: null, leaseUntil: null, nextAttemptAt: new Date(this.now() + delayMs) });
  }

  async attemptsOf(id: string): Promise<number | null> {
    return this.repository.settlements.get(id)?.attempts ?? null;
  }

  async backlog(): Promise<number> {
    return [...this.repository.settlements.values()].filter(unfinished).length;
  }

  /** The stored row, if it is leased to `owner` and still needs work. */
  private ours(id: string, owner: string): Settlement | undefined {
    const row = this.repository.settlements.get(id);
    return row && row.leaseOwner === owner && (row.status === 'OPEN' || row.status === 'PROCESSING') ? row : undefined;
  }
}
