import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL server the bench runs against: BENCH_DATABASE_URL, else the local one. */
export const serverUrl = (): string => process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  /** One client on the database, for seeding and counting. */
  client(): Promise<Client>;
  drop(): Promise<void>;
}

/** A throw-away database for one run (like test/harness/database.ts), dropped at the end. */
export async function createDatabase(label: string): Promise<BenchDatabase> {
  const name = `gcpa_bench_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withServer((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async client() {
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      return client;
    },
    drop: () => withServer((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function withServer<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
