import { RunningApp, startAdapter, startSandbox } from '../harness/apps';
import { TestDatabase, createTestDatabase } from '../harness/database';

/** The adapter configured with the Clutch provider pointed at the sandbox: its health page shows the provider. */
describe('adapter health with the Clutch provider', () => {
  let db: TestDatabase;
  let sandbox: RunningApp;
  const adapters: RunningApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('provider_health');
    sandbox = await startSandbox(db.url, { SANDBOX_SEED_DEMO: 'false' });
  });

  afterAll(async () => {
    for (const adapter of adapters) await adapter.close();
    await sandbox?.close();
    await db?.drop();
  });

  const health = async (adapter: RunningApp) => {
    const response = await fetch(`${adapter.url}/health`);
    return { status: response.status, body: (await response.json()) as { info?: Record<string, unknown>; error?: Record<string, unknown> } };
  };

  it('is up when Clutch accepts our credentials', async () => {
    const adapter = await startAdapter(db.url, sandbox.url, { PAYMENT_PROVIDER: 'clutch' });
    adapters.push(adapter);
    const { status, body } = await health(adapter);
    expect(status).toBe(200);
    expect(body.info?.provider).toEqual({ status: 'up', provider: 'clutch', circuit: 'closed' });
  });

  it('is down when Clutch refuses our credentials', async () => {
    const adapter = await startAdapter(db.url, sandbox.url, { CLUTCH_API_SECRET: 'wrong-secret' });
    adapters.push(adapter);
    const { status } = await health(adapter);
    // The adapter's exception filter shapes the 503 body; what the indicator reports is checked in
    // provider.module.spec.ts.
    expect(status).toBe(503);
  });
});
