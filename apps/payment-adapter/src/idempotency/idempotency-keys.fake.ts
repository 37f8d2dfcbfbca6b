import { IdempotencyKeys, StoredKey } from './idempotency-keys';

interface Entry {
  fingerprint: string;
  status: 'IN_PROGRESS' | 'COMPLETED';
  lockedUntil: number | null;
  leaseOwner: string | null;
  responseStatus: number | null;
  responseBody: unknown;
  createdAt: number;
}

export interface InMemoryIdempotencyKeySettings {
  leaseSeconds?: number;
  waitForDuplicateMs?: number;
  /** Milliseconds since the epoch; a test moves it on instead of sleeping past a lease or a retention. */
  now?: () => number;
}

/**
 * `IdempotencyKeys` in a Map, for unit tests. It answers as the PostgreSQL table does (the contract spec,
 * `test/idempotency/idempotency-keys.contract.e2e-spec.ts`, holds both to the same cases), including the
 * answer's round trip through jsonb.
 */
export class InMemoryIdempotencyKeys extends IdempotencyKeys {
  readonly leaseSeconds: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(settings: InMemoryIdempotencyKeySettings = {}) {
    super(settings.waitForDuplicateMs);
    this.leaseSeconds = settings.leaseSeconds ?? 60;
    this.now = settings.now ?? Date.now;
  }

  /** How many keys are stored, across every scope. */
  get size(): number {
    return this.entries.size;
  }

  private id(scope: string, key: string): string {
    return JSON.stringify([scope, key]);
  }

  private leaseEnd(): number {
    return this.now() + this.leaseSeconds * 1000;
  }

  private expired(entry: Entry): boolean {
    return entry.lockedUntil === null || entry.lockedUntil < this.now();
  }

  /** The entry leased to `owner` and still in progress: the fence of every write after `begin`. */
  private held(scope: string, key: string, owner: string): Entry | undefined {
    const entry = this.entries.get(this.id(scope, key));
    return entry && entry.leaseOwner === owner && entry.status === 'IN_PROGRESS' ? entry : undefined;
  }

  protected async insertIfAbsent(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean> {
    const id = this.id(scope, key);
    if (this.entries.has(id)) return false;
    this.entries.set(id, {
      fingerprint,
      status: 'IN_PROGRESS',
      lockedUntil: this.leaseEnd(),
      leaseOwner: owner,
      responseStatus: null,
      responseBody: null,
      createdAt: this.now(),
    });
    return true;
  }

  protected async read(scope: string, key: string): Promise<StoredKey | undefined> {
    const entry = this.entries.get(this.id(scope, key));
    if (!entry) return undefined;
    const { fingerprint, status, responseStatus, responseBody } = entry;
    return { fingerprint, status, responseStatus, responseBody: asStored(responseBody), expired: this.expired(entry) };
  }

  protected async takeOverIfExpired(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean> {
    const entry = this.entries.get(this.id(scope, key));
    if (!entry || entry.fingerprint !== fingerprint || entry.status !== 'IN_PROGRESS' || !this.expired(entry)) return false;
    entry.lockedUntil = this.leaseEnd();
    entry.leaseOwner = owner;
    return true;
  }

  async renew(scope: string, key: string, owner: string): Promise<boolean> {
    const entry = this.held(scope, key, owner);
    if (!entry) return false;
    entry.lockedUntil = this.leaseEnd();
    return true;
  }

  async complete(scope: string, key: string, owner: string, status: number, body: unknown): Promise<boolean> {
    const entry = this.held(scope, key, owner);
    if (!entry) return false;
    Object.assign(entry, { status: 'COMPLETED', responseStatus: status, responseBody: asStored(body), lockedUntil: null, leaseOwner: null });
    return true;
  }

  async abandon(scope: string, key: string, owner: string): Promise<void> {
    const entry = this.held(scope, key, owner);
    if (entry) Object.assign(entry, { lockedUntil: null, leaseOwner: null });
  }

  async purgeOlderThan(retentionSeconds: number, limit: number): Promise<number> {
    const before = this.now() - retentionSeconds * 1000;
    let deleted = 0;
    for (const [id, entry] of this.entries) {
      if (deleted >= limit) break;
      if (entry.createdAt < before) {
        this.entries.delete(id);
        deleted++;
      }
    }
    return deleted;
  }
}

/** What jsonb gives back: a copy, with what JSON drops dropped (undefined is SQL NULL: null). */
function asStored(body: unknown): unknown {
  const json = JSON.stringify(body);
  return json === undefined ? null : JSON.parse(json);
}
