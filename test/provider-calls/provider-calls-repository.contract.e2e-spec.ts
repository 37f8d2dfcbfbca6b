import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Authorization } from '../../apps/payment-adapter/src/authorizations/authorization.entity';
import { ProviderCall } from '../../apps/payment-adapter/src/provider-calls/provider-call.entity';
import { PgProviderCallsRepository, ProviderCallsRepository } from '../../apps/payment-adapter/src/provider-calls/provider-calls.repository';
import { InMemoryProviderCallsRepository } from '../../apps/payment-adapter/src/provider-calls/provider-calls.repository.fake';
import { FAKE_TX, providerCallRow } from '../../apps/payment-adapter/src/testing/doubles';
import { ContractImplementation, migratedAdapterDatabase } from '../harness/migrated-database';

/**
 * The same cases against the `provider_call` table (migrated as the adapter migrates it) and the in-memory fake
 * ProviderCallsService's unit tests use: if the fake drifts from the SQL, this fails. Above all `knownOnCard`,
 * which decides what a lost answer's look-up may take for the call.
 */
interface Subject {
  repository: ProviderCallsRepository;
  tx: EntityManager;
  /** An authorization of the card owns `holdId` (what `knownOnCard` reads of `authorization_hold`). */
  own(cardHash: string, holdId: string | null): Promise<void>;
  /** The call as stored. */
  stored(id: string): Promise<ProviderCall | null>;
}

type Implementation = ContractImplementation<Subject>;

function postgres(): Implementation {
  const database = migratedAdapterDatabase('calls_contract');
  return {
    name: 'PgProviderCallsRepository',
    setUp: () => database.open(),
    tearDown: () => database.close(),
    async fresh() {
      await database.dataSource.query('TRUNCATE provider_call, authorization_hold CASCADE');
      return {
        repository: new PgProviderCallsRepository(database.dataSource),
        tx: database.dataSource.manager,
        own: async (cardHash, holdId) => {
          const id = randomUUID();
          await database.dataSource.getRepository(Authorization).insert({
            id,
            orderId: 'order-1',
            rootId: id,
            cardHash,
            cardEncrypted: 'encrypted',
            cardLast4: '7890',
            currency: 'USD',
            requestedMinor: 1000n,
            approvedMinor: 1000n,
            heldMinor: 1000n,
            settledMinor: 0n,
            allowPartial: false,
            state: 'OPEN',
            providerHoldId: holdId,
          });
        },
        stored: (id) => database.dataSource.getRepository(ProviderCall).findOneBy({ id }),
      };
    },
  };
}

function inMemory(): Implementation {
  return {
    name: 'InMemoryProviderCallsRepository',
    setUp: async () => undefined,
    tearDown: async () => undefined,
    async fresh() {
      const repository = new InMemoryProviderCallsRepository();
      return {
        repository,
        tx: FAKE_TX,
        own: async (cardHash, providerHoldId) => {
          repository.ownedHolds.push({ cardHash, providerHoldId });
        },
        stored: async (id) => repository.get(id) ?? null,
      };
    },
  };
}

const CARD = 'card-hash-1';
const at = (secondsAgo: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - secondsAgo * 1000);

const call = (fields: Partial<ProviderCall> = {}): ProviderCall =>
  providerCallRow({ orderId: 'order-1', cardHash: CARD, cardEncrypted: 'encrypted', currency: 'USD', amountMinor: 2500n, createdAt: at(60), ...fields });

describe.each([postgres(), inMemory()])('ProviderCallsRepository contract: $name', (implementation) => {
  let subject: Subject;
  beforeAll(() => implementation.setUp(), 60000);
  afterAll(() => implementation.tearDown());
  beforeEach(async () => {
    subject = await implementation.fresh();
  });

  it('keeps an intent, refuses its id twice, and records its answer', async () => {
    const intent = call();
    await subject.repository.insert(subject.tx, intent);
    await expect(subject.repository.insert(subject.tx, call({ id: intent.id }))).rejects.toThrow();
    const completedAt = at(59);
    await subject.repository.answer(subject.tx, intent.id, {
      outcome: 'SUCCEEDED',
      completedAt,
      nextCheckAt: null,
      providerTransactionId: 'hold-1',
      resultMinor: 2500n,
      providerMessage: null,
      errorKind: null,
    });
    expect(await subject.stored(intent.id)).toMatchObject({ outcome: 'SUCCEEDED', providerTransactionId: 'hold-1', resultMinor: 2500n, completedAt });
  });

  it('lists the unresolved calls of an authorization, oldest first', async () => {
    const authorizationId = randomUUID();
    const older = call({ authorizationId, outcome: 'UNKNOWN', createdAt: at(30) });
    const newer = call({ authorizationId, outcome: 'PENDING', createdAt: at(10) });
    for (const c of [newer, older, call({ authorizationId, outcome: 'SUCCEEDED' }), call({ authorizationId: randomUUID(), outcome: 'UNKNOWN' })]) {
      await subject.repository.insert(subject.tx, c);
    }
    expect((await subject.repository.unresolvedFor(authorizationId)).map((c) => c.id)).toEqual([older.id, newer.id]);
  });

  it('keeps what an undecided look-up found, and a later finding clears it', async () => {
    const lost = call({ outcome: 'UNKNOWN' });
    await subject.repository.insert(subject.tx, lost);
    const candidates = [{ transactionId: 't1', amount: '25.00', at: at(50).toISOString() }, { transactionId: 't2', amount: '25.00' }];
    await subject.repository.keepUndecided(lost.id, candidates, '2 history entries of 25.00 since the call began');
    expect(await subject.stored(lost.id)).toMatchObject({ candidates, resolutionNote: '2 history entries of 25.00 since the call began' });

    const completedAt = at(5);
    const settled = { outcome: 'APPLIED' as const, providerTransactionId: 't1', resultMinor: 2500n, resolutionNote: 'an operator decided', completedAt };
    expect(await subject.repository.settle(subject.tx, lost.id, settled)).toBe(false);
    expect(await subject.stored(lost.id)).toMatchObject({ outcome: 'APPLIED', providerTransactionId: 't1', candidates: null, operatorDecision: null, nextCheckAt: null, completedAt });
  });

  it('says whether a settled call had been given up, and false for no such call', async () => {
    const given = call({ outcome: 'UNKNOWN', givenUpAt: at(20) });
    await subject.repository.insert(subject.tx, given);
    const settlement = { outcome: 'NOT_APPLIED' as const, providerTransactionId: null, resultMinor: null, resolutionNote: 'not on the card', completedAt: at(1) };
    expect(await subject.repository.settle(subject.tx, given.id, settlement)).toBe(true);
    expect(await subject.repository.settle(subject.tx, randomUUID(), settlement)).toBe(false);
  });

  it('backs a look-up off (5 s doubled per attempt), never past a check already planned sooner', async () => {
    const unplanned = call({ outcome: 'UNKNOWN', checkAttempts: 2 });
    const soon = call({ outcome: 'UNKNOWN', nextCheckAt: new Date(Date.now() + 3000) });
    await subject.repository.insert(subject.tx, unplanned);
    await subject.repository.insert(subject.tx, soon);
    const before = Date.now();
    await subject.repository.checkLater(unplanned.id, 'the card is busy with another call');
    await subject.repository.checkLater(soon.id, 'look-up failed');
    const backedOff = (await subject.stored(unplanned.id))!;
    expect(backedOff).toMatchObject({ checkAttempts: 3, resolutionNote: 'the card is busy with another call' });
    expect(backedOff.nextCheckAt!.getTime()).toBeGreaterThanOrEqual(before + 20000 - 1000);
    expect(backedOff.nextCheckAt!.getTime()).toBeLessThanOrEqual(Date.now() + 20000 + 1000);
    expect((await subject.stored(soon.id))!.nextCheckAt!.getTime()).toBeLessThanOrEqual(before + 3000 + 1000);
  });

  it('names what our records explain on the card, and what of it was answered before the lost call began', async () => {
    // A guess of its own (an operator's candidate, say) is never among what explains the card for it.
    const lost = call({ operation: 'ISSUE', outcome: 'UNKNOWN', createdAt: at(60), providerTransactionId: 'its-own-guess' });
    const records = [
      lost,
      call({ operation: 'HOLD', outcome: 'SUCCEEDED', providerTransactionId: 'hold-before', createdAt: at(90), completedAt: at(89) }),
      call({ operation: 'REDEEM_FROM_HOLD', outcome: 'SUCCEEDED', providerTransactionId: 'redeem-before', createdAt: at(70), completedAt: at(61) }),
      call({ operation: 'ISSUE', outcome: 'APPLIED', providerTransactionId: 'issue-after', createdAt: at(65), completedAt: at(30) }),
      call({ operation: 'HOLD', outcome: 'SUCCEEDED', providerTransactionId: 'hold-elsewhere', cardHash: 'another-card', completedAt: at(80) }),
      call({ operation: 'HOLD', outcome: 'UNKNOWN', providerTransactionId: null }),
    ];
    for (const c of records) await subject.repository.insert(subject.tx, c);
    await subject.own(CARD, 'hold-owned');
    await subject.own(CARD, null);
    await subject.own('another-card', 'hold-owned-elsewhere');

    const known = await subject.repository.knownOnCard(CARD, lost.id);
    expect([...known.holdIds].sort()).toEqual(['hold-before', 'hold-owned']);
    expect([...known.transactionIds].sort()).toEqual(['issue-after', 'redeem-before']);
    expect([...known.answeredBefore!].sort()).toEqual(['hold-before', 'redeem-before']);
  });
});
