import { AT_COMMIT, UnitOfWorkLostError, UnitsOfWork } from '@gcpa/database';
import { DataSource, QueryFailedError } from 'typeorm';
import { TestDatabase, createTestDatabase } from '../harness/database';

/**
 * The unit of work (issue 16) on a real PostgreSQL: what one request writes between two provider calls commits
 * together, and every rule the services relied on while each small transaction committed on its own still holds.
 */
describe('unit of work', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let units: UnitsOfWork;
  const rows = async () => (await db.query<{ v: string }>('SELECT v FROM item ORDER BY v')).map((r) => r.v);
  const insert = (v: string) => dataSource.query('INSERT INTO item (v) VALUES ($1)', [v]);

  beforeAll(async () => {
    db = await createTestDatabase('unit_of_work');
    dataSource = await new DataSource({ type: 'postgres', url: db.url, poolSize: 4 }).initialize();
    await dataSource.query('CREATE TABLE item (v text PRIMARY KEY)');
    units = UnitsOfWork.install(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });
  beforeEach(() => dataSource.query('TRUNCATE item'));

  it('commits a segment as one: nothing is visible to others before the flush, all of it after', async () => {
    const seen: string[][] = [];
    await units.run(async () => {
      await insert('a');
      await dataSource.transaction((m) => m.query('INSERT INTO item (v) VALUES ($1)', ['b']));
      seen.push(await rows()); // another connection: nothing yet
      await UnitsOfWork.flush();
      seen.push(await rows());
      await insert('c');
    });
    seen.push(await rows());
    expect(seen).toEqual([[], ['a', 'b'], ['a', 'b', 'c']]);
  });

  it('is read-your-writes inside the unit', async () => {
    const inside = await units.run(async () => {
      await insert('a');
      return dataSource.query('SELECT count(*)::int AS n FROM item');
    });
    expect(inside).toEqual([{ n: 1 }]);
  });

  it('rolls back only a TypeORM transaction that failed; the rest of the unit commits', async () => {
    await units.run(async () => {
      await insert('a');
      await expect(
        dataSource.transaction(async (m) => {
          await m.query('INSERT INTO item (v) VALUES ($1)', ['b']);
          throw new Error('changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
      await dataSource.transaction((m) => m.query('INSERT INTO item (v) VALUES ($1)', ['c']));
    });
    expect(await rows()).toEqual(['a', 'c']);
  });

  it('a duplicate insert caught inside a transaction leaves the unit usable', async () => {
    await insert('a');
    await units.run(async () => {
      await insert('b');
      const duplicate = await dataSource.transaction((m) => m.query('INSERT INTO item (v) VALUES ($1)', ['a'])).catch((e: unknown) => e);
      expect(duplicate).toBeInstanceOf(QueryFailedError);
      await insert('c');
    });
    expect(await rows()).toEqual(['a', 'b', 'c']);
  });

  it("a segment's first write that fails fails alone, as an autocommit would", async () => {
    await insert('a');
    await units.run(async () => {
      const duplicate = await insert('a').catch((e: unknown) => e);
      expect(duplicate).toBeInstanceOf(QueryFailedError);
      await insert('b');
    });
    expect(await rows()).toEqual(['a', 'b']);
  });

  it('a failure after the segment wrote loses the segment, and says so: never a silent partial commit', async () => {
    await insert('a');
    const failure = await units
      .run(async () => {
        await insert('flushed');
        await UnitsOfWork.flush();
        await insert('lost');
        await insert('a');
      })
      .catch((e: unknown) => e);
    // TypeORM wraps what the connection throws.
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as QueryFailedError).driverError).toBeInstanceOf(UnitOfWorkLostError);
    expect(await rows()).toEqual(['a', 'flushed']);
  });

  it('keeps what work wrote before it threw, as it would have been kept without the unit', async () => {
    await expect(
      units.run(async () => {
        await insert('a');
        throw new Error('answered with an error');
      }),
    ).rejects.toThrow('answered with an error');
    expect(await rows()).toEqual(['a']);
  });

  it('runs work outside the unit on its own connection, committed at once', async () => {
    const seen = await units.run(async () => {
      await insert('a');
      await UnitsOfWork.outside(() => insert('outside'));
      return rows();
    });
    expect(seen).toEqual(['outside']);
    expect(await rows()).toEqual(['a', 'outside']);
  });

  it('sends a statement marked AT_COMMIT last, and only if what wrote it commits', async () => {
    const order = await units.run(async () => {
      await dataSource.transaction(async (m) => {
        await m.query(`${AT_COMMIT}INSERT INTO item (v) VALUES ('released')`);
        await m.query(`INSERT INTO item (v) VALUES ('written')`);
        // Not sent yet: a worker waiting on its row would wait on the rest of the segment too.
        expect(await m.query(`SELECT v FROM item ORDER BY v`)).toEqual([{ v: 'written' }]);
      });
      await dataSource
        .transaction(async (m) => {
          await m.query(`${AT_COMMIT}INSERT INTO item (v) VALUES ('rolled back')`);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      return 'done';
    });
    expect(order).toBe('done');
    expect(await rows()).toEqual(['released', 'written']);
  });

  it('holds no connection of the pool while the unit waits between segments', async () => {
    const pool = (dataSource.driver as unknown as { master: { totalCount: number; idleCount: number } }).master;
    const held = await units.run(async () => {
      await insert('a');
      await UnitsOfWork.flush();
      return pool.totalCount - pool.idleCount;
    });
    expect(held).toBe(0);
  });
});
