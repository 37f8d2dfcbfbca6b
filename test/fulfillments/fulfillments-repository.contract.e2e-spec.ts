import { randomUUID } from 'node:crypto';
import { FulfillmentsRepository, NewFulfillment, PgFulfillmentsRepository } from '../../apps/payment-adapter/src/fulfillments/fulfillments.repository';
import { InMemoryFulfillmentsRepository } from '../../apps/payment-adapter/src/fulfillments/fulfillments.repository.fake';
import { ProviderCall } from '../../apps/payment-adapter/src/provider-calls/provider-call.entity';
import { ContractImplementation, migratedAdapterDatabase } from '../harness/migrated-database';

/**
 * The same cases against the PostgreSQL tables (migrated as the adapter migrates them) and the in-memory fake
 * FulfillmentsService's unit tests use: if the fake drifts from the SQL, this fails. Time passes without
 * sleeping: the fake's clock moves on; in PostgreSQL the stored timestamps move back by as much.
 */
interface Subject {
  repository: FulfillmentsRepository;
  /** Lets `seconds` pass for what is stored. */
  elapse(seconds: number): Promise<void>;
  /** Another worker takes the fulfillment's lease for `seconds`. */
  lease(id: string, seconds: number): Promise<void>;
  /** Records a provider call, as ProviderCallsService does. */
  putCall(call: Partial<ProviderCall>): Promise<void>;
}

type Implementation = ContractImplementation<Subject>;

function postgres(): Implementation {
  const database = migratedAdapterDatabase('fulfil_contract');
  return {
    name: 'PgFulfillmentsRepository',
    setUp: () => database.open(),
    tearDown: () => database.close(),
    async fresh() {
      await database.dataSource.query('TRUNCATE gift_card_fulfillment, provider_call CASCADE');
      return {
        repository: new PgFulfillmentsRepository(database.dataSource),
        elapse: async (seconds) => {
          await database.dataSource.query(
            `UPDATE gift_card_fulfillment SET created_at = created_at - make_interval(secs => $1),
                    updated_at = updated_at - make_interval(secs => $1), lock_until = lock_until - make_interval(secs => $1)`,
            [seconds],
          );
        },
        lease: async (id, seconds) => {
          await database.dataSource.query(
            `UPDATE gift_card_fulfillment SET lock_owner = $2, lock_until = now() + make_interval(secs => $3) WHERE id = $1`,
            [id, randomUUID(), seconds],
          );
        },
        putCall: async (call) => {
          await database.dataSource.getRepository(ProviderCall).insert(call);
        },
      };
    },
  };
}

function inMemory(): Implementation {
  return {
    name: 'InMemoryFulfillmentsRepository',
    setUp: async () => undefined,
    tearDown: async () => undefined,
    async fresh() {
      let now = Date.now();
      const repository = new InMemoryFulfillmentsRepository(() => now);
      return {
        repository,
        elapse: async (seconds) => {
          now += seconds * 1000;
        },
        lease: async (id, seconds) => {
          repository.put(Object.assign(repository.stored(id)!, { lockOwner: randomUUID(), lockUntil: new Date(now + seconds * 1000) }));
        },
        putCall: async (call) => {
          repository.putCall({ givenUpAt: null, resolutionNote: null, nextCheckAt: null, completedAt: null, ...call } as ProviderCall);
        },
      };
    },
  };
}

const line = (changes: Partial<NewFulfillment> = {}): NewFulfillment => {
  const now = new Date();
  return {
    id: randomUUID(),
    orderId: `ORD-${randomUUID()}`,
    lineId: 'L1',
    idempotencyKey: 'K-1',
    kind: 'ELECTRONIC',
    cardSetId: 'egift',
    cardHash: null,
    cardEncrypted: null,
    cardLast4: null,
    currency: 'USD',
    amountMinor: 2500n,
    returnRelated: false,
    status: 'PENDING',
    createdAt: now,
    updatedAt: now,
    ...changes,
  };
};

describe.each([postgres(), inMemory()])('fulfillments repository contract: $name', (implementation) => {
  beforeAll(() => implementation.setUp());
  afterAll(() => implementation.tearDown());

  let subject: Subject;
  let repository: FulfillmentsRepository;
  beforeEach(async () => {
    subject = await implementation.fresh();
    repository = subject.repository;
  });

  const insert = (row: NewFulfillment) => repository.transaction((tx) => repository.insertIfAbsent(tx, row));

  it("keeps a line's first fulfillment: a second insert for the line is ignored", async () => {
    const first = line({ amountMinor: 9007199254740993n });
    await insert(first);
    const second = line({ orderId: first.orderId, amountMinor: 100n, idempotencyKey: 'K-2' });
    await insert(second);

    const found = await repository.transaction((tx) => repository.findByLineOrFail(tx, first.orderId, 'L1'));
    expect(found).toMatchObject({ id: first.id, idempotencyKey: 'K-1', amountMinor: 9007199254740993n, status: 'PENDING', returnRelated: false });
    expect(found).toMatchObject({ allocatedAt: null, activatedAt: null, issuedAt: null, pinEncrypted: null, revealedAt: null, lockOwner: null });
    expect(await repository.findById(second.id)).toBeNull();
    await expect(repository.transaction((tx) => repository.findByLineOrFail(tx, first.orderId, 'L2'))).rejects.toThrow();
  });

  it('runs the work in a transaction and answers its value', async () => {
    expect(await repository.transaction(async () => 'done')).toBe('done');
  });

  it('writes the changes of a step, and only those', async () => {
    const row = line();
    await insert(row);
    const allocatedAt = new Date('2026-01-01T00:00:00Z');
    await repository.transaction((tx) => repository.update(tx, row.id, { cardLast4: '0001', allocatedAt, status: 'FAILED', failureReason: 'CARD_INACTIVE' }));
    const fulfillment = await repository.findById(row.id);
    expect(fulfillment).toMatchObject({ cardLast4: '0001', allocatedAt, status: 'FAILED', failureReason: 'CARD_INACTIVE', cardSetId: 'egift', amountMinor: 2500n });
  });

  it('shows the card once: the first reveal takes the PIN and erases it, the next gets nothing', async () => {
    const row = line();
    await insert(row);
    await repository.transaction((tx) => repository.update(tx, row.id, { pinEncrypted: 'encrypted-pin' }));

    expect(await repository.markRevealed(row.id)).toEqual({ pinEncrypted: 'encrypted-pin' });
    const shown = await repository.findById(row.id);
    expect(shown?.pinEncrypted).toBeNull();
    expect(shown?.revealedAt).toBeInstanceOf(Date);
    expect(await repository.markRevealed(row.id)).toBeUndefined();

    const noPin = line();
    await insert(noPin);
    expect(await repository.markRevealed(noPin.id)).toEqual({ pinEncrypted: null });
    expect(await repository.markRevealed(randomUUID())).toBeUndefined();
  });

  it('lists pending fulfillments idle for long enough and not leased, oldest first, at most the limit', async () => {
    const base = Date.now();
    const touched = (secondsAgo: number) => line({ updatedAt: new Date(base - secondsAgo * 1000) });
    const [older, idle, leaseRanOut, recent, done, leased] = [touched(50), touched(40), touched(30), touched(2), touched(40), touched(40)];
    for (const row of [leaseRanOut, recent, idle, done, leased, older]) await insert(row);
    await repository.transaction((tx) => repository.update(tx, done.id, { status: 'COMPLETED', issuedAt: new Date() }));
    await subject.lease(leased.id, 600);
    await subject.lease(leaseRanOut.id, 5);
    await subject.elapse(10);

    expect(await repository.unfinished(20_000, 100)).toEqual([older.id, idle.id, leaseRanOut.id]);
    expect(await repository.unfinished(20_000, 1)).toEqual([older.id]);
    expect(await repository.unfinished(55_000, 100)).toEqual([older.id]);
  });

  it("reads a fulfillment's ISSUE calls oldest first, and settles its unanswered calls of one step", async () => {
    const row = line();
    await insert(row);
    const other = line();
    await insert(other);
    const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000);
    const call = (fields: Partial<ProviderCall>) => ({ id: randomUUID(), fulfillmentId: row.id, checkAttempts: 0, ...fields });
    const pending = call({ operation: 'ACTIVATE', outcome: 'PENDING', createdAt: at(1), nextCheckAt: at(100) });
    const givenUp = call({ operation: 'ACTIVATE', outcome: 'UNKNOWN', createdAt: at(2), givenUpAt: at(50) });
    const answered = call({ operation: 'ACTIVATE', outcome: 'SUCCEEDED', createdAt: at(3) });
    const allocation = call({ operation: 'ALLOCATE', outcome: 'UNKNOWN', createdAt: at(0) });
    const othersCall = call({ operation: 'ACTIVATE', outcome: 'PENDING', createdAt: at(4), fulfillmentId: other.id });
    const laterIssue = call({ operation: 'ISSUE', outcome: 'UNKNOWN', createdAt: at(6) });
    const firstIssue = call({ operation: 'ISSUE', outcome: 'FAILED', createdAt: at(5) });
    for (const c of [pending, givenUp, answered, allocation, othersCall, laterIssue, firstIssue]) await subject.putCall(c);

    expect((await repository.issueCallsOf(row.id)).map((c) => c.id)).toEqual([firstIssue.id, laterIssue.id]);

    const settled = await repository.transaction((tx) => repository.settleUnansweredCalls(tx, row.id, 'ACTIVATE', 'APPLIED', 'settled by a repeat'));
    expect(settled.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: pending.id, givenUp: false, was: 'PENDING' },
        { id: givenUp.id, givenUp: true, was: 'UNKNOWN' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    const read = (id: string) => repository.transaction((tx) => repository.providerCallOrFail(tx, id));
    for (const id of [pending.id, givenUp.id]) {
      const stored = await read(id);
      expect(stored).toMatchObject({ outcome: 'APPLIED', resolutionNote: 'settled by a repeat', nextCheckAt: null });
      expect(stored.completedAt).toBeInstanceOf(Date);
    }
    expect((await read(answered.id)).outcome).toBe('SUCCEEDED');
    expect((await read(allocation.id)).outcome).toBe('UNKNOWN');
    expect((await read(othersCall.id)).outcome).toBe('PENDING');
    await expect(read(randomUUID())).rejects.toThrow();
  });
});
