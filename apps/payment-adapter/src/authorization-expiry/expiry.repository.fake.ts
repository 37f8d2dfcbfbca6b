import { EntityManager } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { InMemoryAuthorizationsRepository, UniqueViolation } from '../authorizations/authorizations.repository.fake';
import { FAKE_TX } from '../testing/doubles';
import { ExpiryLink } from './expiry-rules';
import { ExpiryRepository } from './expiry.repository';

export interface InMemoryExpirySettings {
  /** Milliseconds since the epoch; a test moves it on instead of waiting for an expiry or a claim. */
  now?: () => number;
  /** Whether any provider call was recorded for the link (ScriptedCalls' intents, in a test). */
  hasCalls?: (linkId: string) => boolean;
}

/**
 * `ExpiryRepository` over the rows of an `InMemoryAuthorizationsRepository`, for unit tests: the links the job
 * inserts are the ones HoldsService then places and closes, as in PostgreSQL. The claims (`expiry_claim_until`,
 * no column of the entity) are kept here; a chain is locked by someone else when its root's `lockUntil` is not
 * past. `tx` is ignored; `transaction(work)` runs `work` with `FAKE_TX`.
 */
export class InMemoryExpiryRepository extends ExpiryRepository {
  /** Until when each claimed link is kept from other runs, by link id. */
  readonly claims = new Map<string, number>();
  /** How many transactions were opened through `transaction`. */
  transactions = 0;
  private readonly now: () => number;
  private readonly hasCalls: (linkId: string) => boolean;

  constructor(
    private readonly authorizations: InMemoryAuthorizationsRepository,
    settings: InMemoryExpirySettings = {},
  ) {
    super();
    this.now = settings.now ?? Date.now;
    this.hasCalls = settings.hasCalls ?? (() => false);
  }

  async claim(limit: number, beforeMs: number, claimSeconds: number, done: string[]): Promise<string[]> {
    const now = this.now();
    const links = this.authorizations.all();
    const byId = new Map(links.map((l) => [l.id, l]));
    const expiresBy = (l: Authorization, at: number) => l.expiresAt !== null && l.expiresAt.getTime() <= at;
    const candidate = (l: Authorization) =>
      (l.state === 'OPEN' && expiresBy(l, now + beforeMs)) ||
      ((l.state === 'FAILED' || l.state === 'PENDING') && l.previousId !== null && byId.get(l.previousId)?.closedReason === 'REAUTHORIZED');
    const lockedByOthers = (rootId: string) => {
      const lockUntil = byId.get(rootId)?.lockUntil;
      return lockUntil != null && lockUntil.getTime() >= now;
    };
    const due = links
      .filter(candidate)
      .filter((l) => !((this.claims.get(l.id) ?? -Infinity) >= now) && !done.includes(l.rootId) && !lockedByOthers(l.rootId))
      .filter((l) => l.state !== 'OPEN' || expiresBy(l, now) || (l.heldMinor > 0n && !links.some((s) => s.previousId === l.id && s.state === 'CLOSED')))
      .sort((a, b) => (a.expiresAt?.getTime() ?? -Infinity) - (b.expiresAt?.getTime() ?? -Infinity))
      .slice(0, limit);
    for (const l of due) this.claims.set(l.id, now + claimSeconds * 1000);
    return [...new Set(due.map((l) => l.rootId))];
  }

  async unclaim(rootId: string): Promise<void> {
    for (const link of await this.authorizations.chainOf(rootId)) this.claims.delete(link.id);
  }

  async linksOf(rootId: string): Promise<Array<Authorization & ExpiryLink>> {
    return (await this.authorizations.chainOf(rootId)).map((l) => Object.assign(l, { hasCalls: this.hasCalls(l.id) }));
  }

  link(id: string): Promise<Authorization> {
    return this.authorizations.getById(id);
  }

  async insertLink(link: Authorization): Promise<void> {
    if (await this.authorizations.findById(link.id)) throw new UniqueViolation('duplicate key value violates unique constraint "authorization_hold_pkey"');
    this.authorizations.add(link);
  }

  insertLinkIn(_tx: EntityManager, link: Authorization): Promise<void> {
    return this.insertLink(link);
  }

  async transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    this.transactions++;
    return work(FAKE_TX);
  }
}
