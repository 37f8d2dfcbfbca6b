import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource } from 'typeorm';

/**
 * A unit of work: everything one request (or one batch settlement) writes between two provider calls commits
 * together. Issue 16's budget is one durable commit before each provider call (the idempotency row, the lease, the
 * domain row, the intent) and one after it (the outcome, the state change, the event, the idempotency response,
 * the lease release); the services keep writing in their own small transactions, and this joins them.
 *
 * It works under TypeORM, at the pool: inside `run`, every connection the data source asks for is the unit's one
 * connection, and a *segment* (one database transaction) is open on it from its first write to the next `flush`.
 * - A TypeORM transaction inside a segment is a savepoint: its rollback undoes only its own writes, as before.
 * - A statement sent outside any TypeORM transaction is part of the segment. Should one fail, the database
 *   aborts the segment: when it had written nothing before, the failure is the statement's own (as in
 *   autocommit); otherwise the segment's writes are gone and `UnitOfWorkLostError` says so (a crash, in effect:
 *   nothing is answered as done, and what was unrecorded is for the recovery sweep).
 * - `flush` commits the segment and hands the connection back to the pool. It is called before every provider
 *   call (so an intent is durable before the call goes out) and before every sleep of a poll (so no lock is
 *   held while waiting); `run` flushes at its end, before anything is answered.
 * - Reads before a segment's first write run on their own, as autocommits: a read-only unit commits nothing.
 */
export class UnitOfWorkLostError extends Error {
  constructor(readonly cause: unknown) {
    super(`the unit of work's uncommitted writes were lost: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'UnitOfWorkLostError';
  }
}

type QueryResultLike = { command: string; rows: unknown[]; rowCount: number | null; fields: unknown[] };
type RawRelease = (error?: unknown) => void;
interface RawClient {
  query(text: string | { text: string; values?: unknown[] }, values?: unknown[]): Promise<QueryResultLike>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}
type RawConnect = (callback: (error: Error | undefined, client: RawClient, release: RawRelease) => void) => void;

/** One TypeORM transaction under way in the segment: the segment's own BEGIN (`savepoint` null), or a savepoint. */
interface Frame {
  owner: object;
  savepoint: string | null;
  atCommit: Statement[];
}

interface Statement {
  query: string | { text: string; values?: unknown[] };
  values?: unknown[];
}

/**
 * Marks a statement to be sent as the last of its segment, just before COMMIT (if what wrote it commits): the
 * release of a lease another worker waits on (a card's lease). Held from there to the commit, its row lock is
 * never part of a wait cycle; sent earlier, a worker blocked on it while holding the rows this segment still needs
 * would deadlock. Outside a unit of work the marker is a comment and the statement runs at once.
 */
export const AT_COMMIT = '/* unit-of-work: at commit */ ';

interface Unit {
  client?: RawClient;
  release?: RawRelease;
  onError?: (error: Error) => void;
  /** A segment (database transaction) is open on `client`. */
  open: boolean;
  /** The segment has written (or locked) something: a failure in it loses more than the failing statement. */
  wrote: boolean;
  frames: Frame[];
  savepoints: number;
  atCommit: Statement[];
  /** Statements of one unit go one at a time (a `Promise.all` of reads shares the connection). */
  queue: Promise<unknown>;
  finished: boolean;
  broken?: unknown;
}

const storage = new AsyncLocalStorage<Unit>();
/** Where an installed pool keeps its own `connect` (what reaches the database: a statement counter wraps it). */
export const RAW_CONNECT = Symbol.for('gcpa.unitOfWork.rawConnect');

const FAKE = (command: string): QueryResultLike => ({ command, rows: [], rowCount: null, fields: [] });
const leading = (text: string) => text.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '').slice(0, 20).toUpperCase();

type Kind = 'begin' | 'commit' | 'rollback' | 'read' | 'write';
function classify(text: string): Kind {
  const head = leading(text);
  if (head.startsWith('START TRANSACTION') || head === 'BEGIN' || head.startsWith('BEGIN ') || head.startsWith('BEGIN;')) return 'begin';
  if (head.startsWith('COMMIT')) return 'commit';
  if (head.startsWith('ROLLBACK') && !head.startsWith('ROLLBACK TO')) return 'rollback';
  if (head.startsWith('SELECT') || head.startsWith('SHOW') || head.startsWith('SET ')) return 'read';
  return 'write';
}

export class UnitsOfWork {
  private constructor(private readonly rawConnect: RawConnect) {}

  /** Puts the data source's pool under units of work (outside `run`, it behaves exactly as before). */
  static install(dataSource: DataSource): UnitsOfWork {
    const pool = (dataSource.driver as unknown as { master?: Record<string | symbol, unknown> }).master;
    if (!pool) throw new Error('unit of work: the data source has no pool');
    pool[RAW_CONNECT] ??= (pool.connect as RawConnect).bind(pool);
    // Looked up at each use: a statement counter may wrap the pool's own connect after this.
    const raw: RawConnect = (callback) => (pool[RAW_CONNECT] as RawConnect)(callback);
    const units = new UnitsOfWork(raw);
    pool.connect = (callback?: Parameters<RawConnect>[0]) => {
      const unit = storage.getStore();
      const live = unit && !unit.finished ? unit : undefined;
      const connect = (done: Parameters<RawConnect>[0]) => (live ? done(undefined, units.connectionFor(live) as unknown as RawClient, () => undefined) : raw(done));
      if (typeof callback === 'function') return connect(callback);
      return new Promise((resolve, reject) => connect((error, client) => (error ? reject(error) : resolve(client))));
    };
    return units;
  }

  /** Runs `work` as one unit of work: its writes commit at each `flush` and, at the latest, before this returns. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const unit: Unit = { open: false, wrote: false, frames: [], savepoints: 0, atCommit: [], queue: Promise.resolve(), finished: false };
    let result: T;
    try {
      result = await storage.run(unit, work);
    } catch (error) {
      // What the work wrote before it failed stays written, as it would have without the unit.
      await this.end(unit).catch(() => undefined);
      throw error;
    }
    await this.end(unit);
    return result;
  }

  /** Commits the current unit's open segment (none: nothing to do). Inside a TypeORM transaction, waits for its end instead. */
  static async flush(): Promise<void> {
    const unit = storage.getStore();
    if (!unit || unit.finished) return;
    await serial(unit, () => commitSegment(unit));
  }

  /** Runs `work` outside any unit of work (timers that renew a lease while the unit works, for one). */
  static outside<T>(work: () => T): T {
    return storage.exit(work);
  }

  private async end(unit: Unit): Promise<void> {
    try {
      await serial(unit, () => commitSegment(unit));
    } finally {
      unit.finished = true;
      if (unit.open) await rollbackSegment(unit).catch(() => undefined);
      releaseClient(unit);
    }
  }

  /** The connection a TypeORM query runner gets inside `unit`: statements go to the unit's segment. */
  private connectionFor(unit: Unit): object {
    const owner = {};
    const units = this;
    return {
      query(text: string | { text: string; values?: unknown[] }, values?: unknown[]) {
        return serial(unit, () => units.send(unit, owner, text, values));
      },
      on: () => undefined,
      removeListener: () => undefined,
      release: () => undefined,
    };
  }

  private async client(unit: Unit): Promise<RawClient> {
    if (unit.broken) throw new UnitOfWorkLostError(unit.broken);
    if (unit.client) return unit.client;
    const [client, release] = await new Promise<[RawClient, RawRelease]>((resolve, reject) =>
      this.rawConnect((error, c, r) => (error ? reject(error) : resolve([c, r]))),
    );
    unit.client = client;
    unit.release = release;
    unit.onError = (error) => (unit.broken = error);
    client.on('error', unit.onError);
    return client;
  }

  private async send(unit: Unit, owner: object, query: string | { text: string; values?: unknown[] }, values?: unknown[]): Promise<QueryResultLike> {
    const text = typeof query === 'string' ? query : query.text;
    const kind = classify(text);
    const client = await this.client(unit);
    if (kind === 'begin') {
      if (!unit.open) {
        await client.query('START TRANSACTION');
        unit.open = true;
        unit.wrote = false;
        unit.frames.push({ owner, savepoint: null, atCommit: [] });
        return FAKE('BEGIN');
      }
      const savepoint = `uow_${++unit.savepoints}`;
      await client.query(`SAVEPOINT ${savepoint}`);
      unit.frames.push({ owner, savepoint, atCommit: [] });
      return FAKE('BEGIN');
    }
    if (kind === 'commit' || kind === 'rollback') {
      const frame = unit.frames.pop();
      if (!frame || frame.owner !== owner) throw new Error('unit of work: two TypeORM transactions interleaved on one unit of work');
      if (kind === 'commit') {
        if (frame.savepoint) await client.query(`RELEASE SAVEPOINT ${frame.savepoint}`);
        (unit.frames.at(-1)?.atCommit ?? unit.atCommit).push(...frame.atCommit);
        unit.wrote = true;
        return FAKE('COMMIT');
      }
      if (frame.savepoint) {
        await client.query(`ROLLBACK TO SAVEPOINT ${frame.savepoint}`);
        return FAKE('ROLLBACK');
      }
      // The segment was opened by this transaction: nothing else is in it.
      await rollbackSegment(unit);
      return FAKE('ROLLBACK');
    }
    const inFrame = unit.frames.length > 0;
    if (unit.open && text.startsWith(AT_COMMIT)) {
      (unit.frames.at(-1)?.atCommit ?? unit.atCommit).push({ query, values });
      return FAKE('DEFERRED');
    }
    if (kind === 'write' && !unit.open) {
      await client.query('START TRANSACTION');
      unit.open = true;
      unit.wrote = false;
    }
    try {
      const result = await sendTo(client, { query, values });
      if (kind === 'write' && !inFrame) unit.wrote = true;
      return result;
    } catch (error) {
      if (!unit.open || inFrame) throw error;
      // The database aborted the segment with this statement.
      const lost = unit.wrote;
      await rollbackSegment(unit).catch(() => undefined);
      throw lost ? new UnitOfWorkLostError(error) : error;
    }
  }
}

/** A statement as TypeORM sent it: text and values apart, or a config object holding both. */
function sendTo(client: RawClient, { query, values }: Statement): Promise<QueryResultLike> {
  return values !== undefined ? client.query(query, values) : client.query(query);
}

function serial<T>(unit: Unit, step: () => Promise<T>): Promise<T> {
  const next = unit.queue.then(step, step);
  unit.queue = next.catch(() => undefined);
  return next;
}

async function commitSegment(unit: Unit): Promise<void> {
  if (unit.frames.length > 0) return;
  if (unit.open && unit.client) {
    const atCommit = unit.atCommit.splice(0);
    try {
      for (const deferred of atCommit) await sendTo(unit.client, deferred);
      unit.open = false;
      unit.wrote = false;
      await unit.client.query('COMMIT');
    } catch (error) {
      unit.open = false;
      unit.wrote = false;
      releaseClient(unit, error);
      throw error;
    }
  }
  releaseClient(unit);
}

async function rollbackSegment(unit: Unit): Promise<void> {
  unit.frames = [];
  unit.atCommit = [];
  if (!unit.open || !unit.client) return;
  unit.open = false;
  unit.wrote = false;
  await unit.client.query('ROLLBACK');
}

function releaseClient(unit: Unit, error?: unknown): void {
  const { client, release, onError } = unit;
  if (!client) return;
  unit.client = undefined;
  unit.release = undefined;
  if (onError) client.removeListener('error', onError);
  release?.(error ?? unit.broken);
  unit.broken = undefined;
}
