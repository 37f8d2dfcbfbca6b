import { Authorization } from '../../apps/payment-adapter/src/authorizations/authorization.entity';
import { newAuthorization, nextLinkOf } from '../../apps/payment-adapter/src/authorizations/new-authorization';
import { isUniqueViolation } from '@gcpa/database';
import { Settlement } from '../../apps/payment-adapter/src/settlements/settlement.entity';
import { PgSettlementsRepository, SettlementsRepository } from '../../apps/payment-adapter/src/settlements/settlements.repository';
import { InMemorySettlementsRepository } from '../../apps/payment-adapter/src/settlements/settlements.repository.fake';
import { ContractImplementation, migratedAdapterDatabase } from '../harness/migrated-database';
import { newSettlement } from '../../apps/payment-adapter/src/settlements/new-settlement';

/**
 * The same cases against the PostgreSQL tables (migrated as the adapter migrates them) and the in-memory fake
 * the unit tests of the settlement services use: if the fake drifts from the tables, this fails.
 */
/** `fresh`: empty tables. */
type Implementation = ContractImplementation<SettlementsRepository>;

function postgres(): Implementation {
  const database = migratedAdapterDatabase('settlements_contract');
  return {
    name: 'PgSettlementsRepository',
    setUp: () => database.open(),
    tearDown: () => database.close(),
    async fresh() {
      await database.dataSource.query('TRUNCATE settlement, authorization_hold CASCADE');
      return new PgSettlementsRepository(database.dataSource);
    },
  };
}

function inMemory(): Implementation {
  return { name: 'InMemorySettlementsRepository', setUp: async () => undefined, tearDown: async () => undefined, fresh: async () => new InMemorySettlementsRepository() };
}

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function openLink(orderId = 'ORD-1'): Authorization {
  return Object.assign(
    newAuthorization({ orderId, card: { hash: 'hash', encrypted: 'encrypted', last4: '0001' }, currency: 'USD', requestedMinor: 5000n, allowPartial: false }),
    { state: 'OPEN', decision: 'APPROVED', approvedMinor: 5000n, heldMinor: 5000n, providerHoldId: 'hold-1' } satisfies Partial<Authorization>,
  );
}

function settlementOn(link: Authorization, n: number, fields: Partial<Settlement> = {}): Settlement {
  return Object.assign(
    newSettlement(link, { invoiceId: `INV-${n}`, amountMinor: 1000n * BigInt(n), final: false, mode: 'batch', idempotencyKey: `oms:K-${n}` }),
    {
      id: ID(n),
      nextAttemptAt: new Date(Date.UTC(2025, 0, 1)),
      createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)),
      updatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)),
    },
    fields,
  );
}

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

describe.each([postgres(), inMemory()])('settlements repository contract: $name', (implementation) => {
  beforeAll(() => implementation.setUp());
  afterAll(() => implementation.tearDown());

  let repository: SettlementsRepository;
  let root: Authorization;
  beforeEach(async () => {
    repository = await implementation.fresh();
    root = openLink();
    await repository.transaction((tx) => repository.insertAdvancedLink(tx, root));
  });

  const insert = (settlement: Settlement) => repository.transaction((tx) => repository.insert(tx, settlement));

  it('reads a stored settlement back by id, by its key and by its invoice on the chain, lease columns empty', async () => {
    const stored = settlementOn(root, 2, { final: true, mode: 'sync' });
    await insert(stored);

    const expected = {
      id: stored.id,
      rootAuthorizationId: root.id,
      invoiceId: 'INV-2',
      amountMinor: 2000n,
      settledMinor: 0n,
      final: true,
      mode: 'sync',
      status: 'OPEN',
      leaseOwner: null,
      leaseUntil: null,
      createdAt: stored.createdAt,
    };
    expect(await repository.settlement(stored.id)).toMatchObject(expected);
    expect(await repository.byIdempotencyKey('oms:K-2')).toMatchObject(expected);
    expect(await repository.byInvoice(root.id, 'INV-2')).toMatchObject(expected);
    expect(await repository.settlement(ID(99))).toBeNull();
    expect(await repository.byIdempotencyKey('oms:K-99')).toBeNull();
    expect(await repository.byInvoice(root.id, 'INV-99')).toBeNull();
  });

  it('refuses a second settlement of the invoice on the chain, or under the same key, as a unique violation', async () => {
    await insert(settlementOn(root, 1));
    const other = openLink('ORD-2');
    await repository.transaction((tx) => repository.insertAdvancedLink(tx, other));

    const sameInvoice = await insert(settlementOn(root, 2, { invoiceId: 'INV-1' })).catch((e: unknown) => e);
    const sameKey = await insert(settlementOn(other, 3, { idempotencyKey: 'oms:K-1' })).catch((e: unknown) => e);
    // Another chain may settle an invoice of the same name.
    await insert(settlementOn(other, 4, { invoiceId: 'INV-1' }));

    expect([isUniqueViolation(sameInvoice), isUniqueViolation(sameKey)]).toEqual([true, true]);
    expect(ids(await repository.page({}, 10))).toEqual([ID(1), ID(4)]);
  });

  it('writes only the columns it is given', async () => {
    await insert(settlementOn(root, 1));

    await repository.transaction((tx) => repository.update(tx, ID(1), { status: 'FAILED', failureReason: 'CARD_INACTIVE', attempts: 3 }));

    expect(await repository.settlement(ID(1))).toMatchObject({ status: 'FAILED', failureReason: 'CARD_INACTIVE', attempts: 3, amountMinor: 1000n, invoiceId: 'INV-1' });
  });

  it('lists the OPEN settlements of one chain', async () => {
    const other = openLink('ORD-2');
    await repository.transaction((tx) => repository.insertAdvancedLink(tx, other));
    await insert(settlementOn(root, 1));
    await insert(settlementOn(root, 2, { status: 'FAILED' }));
    await insert(settlementOn(other, 3));

    expect(ids(await repository.openOf(root.id))).toEqual([ID(1)]);
  });

  it('pages in creation order (then id), filtered, after the cursor; an unknown cursor has nothing after it', async () => {
    await insert(settlementOn(root, 3));
    await insert(settlementOn(root, 1, { mode: 'sync' }));
    await insert(settlementOn(root, 2, { status: 'SETTLED' }));
    // The same instant as 3: the id decides.
    await insert(settlementOn(root, 4, { createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, 3)), orderId: 'ORD-4' }));

    expect(ids(await repository.page({}, 10))).toEqual([ID(1), ID(2), ID(3), ID(4)]);
    expect(ids(await repository.page({}, 2))).toEqual([ID(1), ID(2)]);
    expect(ids(await repository.page({ cursor: ID(2) }, 10))).toEqual([ID(3), ID(4)]);
    expect(ids(await repository.page({ status: 'OPEN' }, 10))).toEqual([ID(1), ID(3), ID(4)]);
    expect(ids(await repository.page({ status: 'OPEN', mode: 'batch', cursor: ID(1) }, 10))).toEqual([ID(3), ID(4)]);
    expect(ids(await repository.page({ orderId: 'ORD-4' }, 10))).toEqual([ID(4)]);
    expect(await repository.page({ cursor: ID(99) }, 10)).toEqual([]);
  });

  it('reads the links of the chain a settlement is served from: the named one, the OPEN one, several by id', async () => {
    const advanced = nextLinkOf(root, 3000n);
    await repository.transaction((tx) => repository.insertAdvancedLink(tx, advanced));

    expect(await repository.authorization(advanced.id)).toMatchObject({ id: advanced.id, rootId: root.id, previousId: root.id, state: 'PENDING', requestedMinor: 3000n });
    expect(await repository.authorization(ID(99))).toBeNull();
    expect(await repository.openLinkOf(root.id)).toMatchObject({ id: root.id, heldMinor: 5000n, providerHoldId: 'hold-1' });
    expect(await repository.openLinkOf(ID(99))).toBeNull();
    expect(ids(await repository.authorizations([advanced.id, ID(99), root.id])).sort()).toEqual([advanced.id, root.id].sort());
  });
});
