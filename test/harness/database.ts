import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server the tests may create databases on: TEST_DATABASE_URL, else the local PostgreSQL. */
export const adminDatabaseUrl = (): string =>
  process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  /** Runs one query on the test database (for assertions on rows). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A throw-away database for one test file, so suites can run side by side. */
export async function createTestDatabase(label = 'e2e'): Promise<TestDatabase> {
  const name = `gcpa_${label.replace(/\W/g, '_')}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  const clients: Client[] = [];
  return {
    url: url.toString(),
    name,
    async query(sql, params) {
      const client = new Client({ connectionString: url.toString() });
      clients.push(client);
      await client.connect();
      try {
        return (await client.query(sql, params as unknown[])).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
