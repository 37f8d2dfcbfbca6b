import { createTestDatabase, TestDatabase } from '../harness/database';
import { RunningApp, startAdapter, startSandbox } from '../harness/apps';

describe('health and migrations on PostgreSQL', () => {
  let db: TestDatabase;
  let sandbox: RunningApp;
  let adapter: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase('health');
    sandbox = await startSandbox(db.url);
    adapter = await startAdapter(db.url, sandbox.url);
  });

  afterAll(async () => {
    await adapter?.close().catch(() => undefined);
    await sandbox?.close().catch(() => undefined); // the last test closed it already
    await db?.drop();
  });

  it('reports the database and the provider up', async () => {
    const response = await fetch(`${adapter.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { details: Record<string, { status: string }> };
    expect(body.details.database.status).toBe('up');
    expect(body.details.provider.status).toBe('up');
  });

  it('applied every migration of both apps, each in its own schema', async () => {
    const rows = await db.query<{ schema: string; count: string }>(
      `SELECT table_schema AS schema, count(*) FROM information_schema.tables
        WHERE table_name = 'migrations' GROUP BY table_schema ORDER BY table_schema`,
    );
    expect(rows.map((r) => r.schema)).toEqual(['clutch_sandbox', 'payment_adapter']);
    const applied = await db.query<{ n: string }>(`SELECT count(*) AS n FROM payment_adapter.migrations`);
    expect(Number(applied[0].n)).toBeGreaterThan(0);
  });

  it('is not ready when the provider cannot be reached', async () => {
    await sandbox.close();
    const response = await fetch(`${adapter.url}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { details: Record<string, { status: string }> };
    expect(body.details.database.status).toBe('up');
    expect(body.details.provider.status).toBe('down');
  });
});
