import { randomUUID } from 'node:crypto';
import { DomainError } from '../../apps/payment-adapter/src/common/domain-errors';
import { Begin, IdempotencyKeys } from '../../apps/payment-adapter/src/idempotency/idempotency-keys';
import { InMemoryIdempotencyKeys } from '../../apps/payment-adapter/src/idempotency/idempotency-keys.fake';
import { PgIdempotencyKeys } from '../../apps/payment-adapter/src/idempotency/idempotency-keys.pg';
import { ContractImplementation, migratedAdapterDatabase } from '../harness/migrated-database';

/**
 * The same cases against the PostgreSQL table (migrated as the adapter migrates it) and the in-memory fake the
 * unit tests use: if the fake drifts from the table, this fails. Time passes without sleeping: the fake's
 * clock moves on; in PostgreSQL every stored timestamp moves back by as much.
 */
const LEASE_SECONDS = 60;

interface Subject {
  keys: IdempotencyKeys;
  /** Lets `seconds` pass for what is stored. */
  elapse(seconds: number): Promise<void>;
}

/** `fresh(waitForDuplicateMs)`: an empty store; a duplicate waits `waitForDuplicateMs` for the key's holder. */
type Implementation = ContractImplementation<Subject, [waitForDuplicateMs: number]>;

function postgres(): Implementation {
  const database = migratedAdapterDatabase('idem_contract');
  return {
    name: 'PgIdempotencyKeys',
    setUp: () => database.open(),
    tearDown: () => database.close(),
    async fresh(waitForDuplicateMs) {
      await database.dataSource.query('TRUNCATE idempotency_key');
      return {
        keys: new PgIdempotencyKeys(database.dataSource, { leaseSeconds: LEASE_SECONDS, waitForDuplicateMs }),
        elapse: async (seconds) => {
          await database.dataSource.query(
            `UPDATE idempotency_key SET created_at = created_at - make_interval(secs => $1),
                    locked_until = locked_until - make_interval(secs => $1), completed_at = completed_at - make_interval(secs => $1)`,
            [seconds],
          );
        },
      };
    },
  };
}

function inMemory(): Implementation {
  return {
    name: 'InMemoryIdempotencyKeys',
    setUp: async () => undefined,
    tearDown: async () => undefined,
    async fresh(waitForDuplicateMs) {
      let now = Date.parse('2025-01-01T00:00:00Z');
      return {
        keys: new InMemoryIdempotencyKeys({ leaseSeconds: LEASE_SECONDS, waitForDuplicateMs, now: () => now }),
        elapse: async (seconds) => {
          now += seconds * 1000;
        },
      };
    },
  };
}

const SHORT_WAIT_MS = 150;

const owned = (begin: Begin): string => {
  if (begin.kind !== 'execute') throw new Error(`expected to execute, got ${JSON.stringify(begin)}`);
  return begin.owner;
};

const refusal = async (pending: Promise<unknown>): Promise<{ status: number; code: string }> => {
  const error = await pending.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return { status: error.status, code: error.code };
};

const IN_PROGRESS = { status: 409, code: 'REQUEST_IN_PROGRESS' };
const CONFLICT = { status: 409, code: 'IDEMPOTENCY_CONFLICT' };

describe.each([postgres(), inMemory()])('idempotency keys contract: $name', (implementation) => {
  beforeAll(() => implementation.setUp());
  afterAll(() => implementation.tearDown());

  let keys: IdempotencyKeys;
  let elapse: (seconds: number) => Promise<void>;
  let key: string;
  beforeEach(async () => {
    ({ keys, elapse } = await implementation.fresh(SHORT_WAIT_MS));
    key = `K-${randomUUID()}`;
  });

  it('lets the first request run, then replays its answer as stored (a copy, as JSON keeps it)', async () => {
    const owner = owned(await keys.begin('oms', key, 'fp'));
    const body = { authorizationId: 'a-1', amounts: { held: '25.00' }, parts: [1, 'two', null], dropped: undefined };
    expect(await keys.complete('oms', key, owner, 201, body)).toBe(true);
    body.amounts.held = 'changed after';

    const replay = await keys.begin('oms', key, 'fp');
    expect(replay).toEqual({ kind: 'replay', status: 201, body: { authorizationId: 'a-1', amounts: { held: '25.00' }, parts: [1, 'two', null] } });
    expect(Object.keys((replay as { body: object }).body)).not.toContain('dropped');
  });

  it('replays an answer without a body as null', async () => {
    const owner = owned(await keys.begin('oms', key, 'fp'));
    expect(await keys.complete('oms', key, owner, 204, undefined)).toBe(true);
    expect(await keys.begin('oms', key, 'fp')).toEqual({ kind: 'replay', status: 204, body: null });
  });

  it('gives every scope its own namespace of keys', async () => {
    const mine = owned(await keys.begin('oms', key, 'fp-mine'));
    const theirs = owned(await keys.begin('other', key, 'fp-theirs'));
    expect(theirs).not.toBe(mine);
    await keys.complete('oms', key, mine, 201, { who: 'mine' });
    await keys.complete('other', key, theirs, 422, { who: 'theirs' });
    expect(await keys.begin('oms', key, 'fp-mine')).toEqual({ kind: 'replay', status: 201, body: { who: 'mine' } });
    expect(await keys.begin('other', key, 'fp-theirs')).toEqual({ kind: 'replay', status: 422, body: { who: 'theirs' } });
  });

  it('refuses another fingerprint for the key while it runs, once it completed, and after an abandoned attempt', async () => {
    const first = owned(await keys.begin('oms', key, 'fp'));
    expect(await refusal(keys.begin('oms', key, 'other'))).toEqual(CONFLICT);
    await keys.abandon('oms', key, first);
    expect(await refusal(keys.begin('oms', key, 'other'))).toEqual(CONFLICT);

    const retry = owned(await keys.begin('oms', key, 'fp'));
    await keys.complete('oms', key, retry, 201, {});
    expect(await refusal(keys.begin('oms', key, 'other'))).toEqual(CONFLICT);
  });

  it('lets a retry with the same fingerprint run again at once after an abandoned attempt, under a new lease', async () => {
    const first = owned(await keys.begin('oms', key, 'fp'));
    await keys.abandon('oms', key, first);
    const second = owned(await keys.begin('oms', key, 'fp'));
    expect(second).not.toBe(first);
    expect(await keys.complete('oms', key, first, 201, { from: 'first' })).toBe(false);
    expect(await keys.complete('oms', key, second, 201, { from: 'second' })).toBe(true);
    expect(await keys.begin('oms', key, 'fp')).toEqual({ kind: 'replay', status: 201, body: { from: 'second' } });
  });

  it('makes a duplicate wait while the key is held, then answers REQUEST_IN_PROGRESS', async () => {
    owned(await keys.begin('oms', key, 'fp'));
    const started = Date.now();
    expect(await refusal(keys.begin('oms', key, 'fp'))).toEqual(IN_PROGRESS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SHORT_WAIT_MS);
  });

  it('lets exactly one of two concurrent first requests run', async () => {
    const both = await Promise.allSettled([keys.begin('oms', key, 'fp'), keys.begin('oms', key, 'fp')]);
    const ran = both.filter((b) => b.status === 'fulfilled' && b.value.kind === 'execute');
    const refused = both.filter((b) => b.status === 'rejected' && (b.reason as DomainError).code === 'REQUEST_IN_PROGRESS');
    expect([ran.length, refused.length]).toEqual([1, 1]);
  });

  it("gives a waiting duplicate the answer once the key's holder completes", async () => {
    ({ keys } = await implementation.fresh(10_000));
    const owner = owned(await keys.begin('oms', key, 'fp'));
    const duplicate = keys.begin('oms', key, 'fp');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the duplicate has tried and is waiting
    await keys.complete('oms', key, owner, 201, { answer: 1 });
    expect(await duplicate).toEqual({ kind: 'replay', status: 201, body: { answer: 1 } });
  });

  it('keeps the key from being taken over before its lease runs out', async () => {
    owned(await keys.begin('oms', key, 'fp'));
    await elapse(LEASE_SECONDS - 5);
    expect(await refusal(keys.begin('oms', key, 'fp'))).toEqual(IN_PROGRESS);
  });

  it('lets a duplicate take the key over once its lease ran out, and fences the first holder out of every write', async () => {
    const first = owned(await keys.begin('oms', key, 'fp'));
    await elapse(LEASE_SECONDS + 1);
    expect(await refusal(keys.begin('oms', key, 'other'))).toEqual(CONFLICT); // a takeover keeps the fingerprint too
    const second = owned(await keys.begin('oms', key, 'fp'));
    expect(second).not.toBe(first);

    expect(await keys.renew('oms', key, first)).toBe(false);
    expect(await keys.complete('oms', key, first, 201, { from: 'first' })).toBe(false);
    await keys.abandon('oms', key, first);
    expect(await refusal(keys.begin('oms', key, 'fp'))).toEqual(IN_PROGRESS); // the abandon did not release the second's lease

    expect(await keys.complete('oms', key, second, 201, { from: 'second' })).toBe(true);
    expect(await keys.begin('oms', key, 'fp')).toEqual({ kind: 'replay', status: 201, body: { from: 'second' } });
  });

  it('extends the lease of a holder that renews it', async () => {
    const owner = owned(await keys.begin('oms', key, 'fp'));
    await elapse(LEASE_SECONDS - 10);
    expect(await keys.renew('oms', key, owner)).toBe(true);
    await elapse(20); // past the first lease, within the renewed one
    expect(await refusal(keys.begin('oms', key, 'fp'))).toEqual(IN_PROGRESS);
    expect(await keys.complete('oms', key, owner, 200, { renewed: true })).toBe(true);
  });

  it('accepts no write on a completed key, not even from its last holder, and never takes it over', async () => {
    const owner = owned(await keys.begin('oms', key, 'fp'));
    await keys.complete('oms', key, owner, 404, { error: { code: 'NOT_FOUND' } });
    expect(await keys.renew('oms', key, owner)).toBe(false);
    expect(await keys.complete('oms', key, owner, 201, { again: true })).toBe(false);
    await keys.abandon('oms', key, owner);
    await elapse(LEASE_SECONDS * 10);
    expect(await keys.begin('oms', key, 'fp')).toEqual({ kind: 'replay', status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });

  it('purges keys older than the retention, at most `limit` at a time, and keeps the younger ones', async () => {
    const old = ['old-1', 'old-2', 'old-3'];
    for (const k of old) await keys.complete('oms', k, owned(await keys.begin('oms', k, 'fp')), 201, { k });
    await elapse(100);
    await keys.complete('oms', 'young', owned(await keys.begin('oms', 'young', 'fp')), 201, { k: 'young' });

    expect(await keys.purgeOlderThan(50, 2)).toBe(2);
    expect(await keys.purgeOlderThan(50, 2)).toBe(1);
    expect(await keys.purgeOlderThan(50, 2)).toBe(0);
    expect(await keys.begin('oms', 'young', 'fp')).toEqual({ kind: 'replay', status: 201, body: { k: 'young' } });
    // A purged key is a new key: it runs, even with another body.
    owned(await keys.begin('oms', 'old-1', 'another body'));
  });
});
