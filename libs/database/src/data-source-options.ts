import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { pglitePoolDriver } from './pglite-pool';

export interface DatabaseSettings {
  /** `postgres://...`; when unset, an embedded PGlite database under `dataDir/<schema>` is used. */
  databaseUrl?: string;
  dataDir: string;
  /** Each app owns one schema, so the adapter and the sandbox can share one database server or not. */
  schema: string;
  poolSize?: number;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  applicationName?: string;
}

export function isEmbedded(settings: Pick<DatabaseSettings, 'databaseUrl'>): boolean {
  return !settings.databaseUrl;
}

export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: settings.entities,
    migrations: settings.migrations,
    migrationsRun: false,
    synchronize: false,
    migrationsTableName: 'migrations',
  };
  if (!settings.databaseUrl) {
    const dataDir = join(resolve(settings.dataDir), settings.schema);
    return { ...common, driver: pglitePoolDriver({ dataDir, schema: settings.schema }) } as DataSourceOptions;
  }
  return {
    ...common,
    url: settings.databaseUrl,
    poolSize: settings.poolSize ?? 10,
    applicationName: settings.applicationName ?? settings.schema,
    // Every connection works in the app's own schema; migrations and raw SQL stay unqualified.
    extra: { options: `-c search_path=${settings.schema}` },
  };
}

/** Creates the app's schema when needed (a server database), connects, and applies pending migrations. */
export async function openDatabase(settings: DatabaseSettings): Promise<DataSource> {
  if (settings.databaseUrl) await ensureSchema(settings.databaseUrl, settings.schema);
  const dataSource = new DataSource(dataSourceOptions(settings));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

async function ensureSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Two processes starting at once may race on CREATE SCHEMA; the loser finds it there.
    if ((error as { code?: string }).code !== '23505' && (error as { code?: string }).code !== '42P06') throw error;
  } finally {
    await client.end();
  }
}

/**
 * Rows an `UPDATE ... RETURNING` gave back. TypeORM's postgres driver answers UPDATE and DELETE with
 * `[rows, affectedCount]` but SELECT and INSERT with the rows alone; this reads both shapes.
 */
export function returnedRows<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
