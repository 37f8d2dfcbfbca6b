import { openDatabase } from '@gcpa/database';
import { DataSource } from 'typeorm';
import { adapterEntities } from '../../apps/payment-adapter/src/database/entities';
import { adapterMigrations } from '../../apps/payment-adapter/src/database/migrations';
import { TestDatabase, createTestDatabase } from './database';

/**
 * One side of a repository's contract spec (the PostgreSQL implementation or the in-memory fake): opened once,
 * `fresh` gives an empty store for each case, closed at the end.
 */
export interface ContractImplementation<Subject, FreshArgs extends unknown[] = []> {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  fresh(...args: FreshArgs): Promise<Subject>;
}

export interface MigratedDatabase {
  /** Open between `open` and `close`. */
  readonly dataSource: DataSource;
  open(): Promise<void>;
  close(): Promise<void>;
}

/** A throw-away database migrated as the adapter migrates it: the PostgreSQL side of a repository's contract spec. */
export function migratedAdapterDatabase(label: string): MigratedDatabase {
  let db: TestDatabase | undefined;
  let dataSource: DataSource | undefined;
  return {
    get dataSource() {
      if (!dataSource) throw new Error(`${label}: the database is not open`);
      return dataSource;
    },
    async open() {
      db = await createTestDatabase(label);
      dataSource = await openDatabase({
        databaseUrl: db.url,
        dataDir: '',
        schema: 'payment_adapter',
        poolSize: 4,
        entities: adapterEntities,
        migrations: adapterMigrations,
      });
    },
    async close() {
      await dataSource?.destroy();
      await db?.drop();
      dataSource = undefined;
    },
  };
}
