import { Client } from 'pg';
import { adminDatabaseUrl } from './database';

/** Refuses to run the suite without PostgreSQL, with directions, instead of skipping tests. */
export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: adminDatabaseUrl(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    throw new Error(
      `The tests need PostgreSQL at ${adminDatabaseUrl()} (${(error as Error).message}). ` +
        'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, ' +
        'or set TEST_DATABASE_URL.',
    );
  }
}
