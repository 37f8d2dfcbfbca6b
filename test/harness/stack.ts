import { createTestDatabase, TestDatabase } from './database';
import { RunningApp, startAdapter, startSandbox } from './apps';
import { omsClient, sandboxAdmin } from './clients';

/** A test database, the sandbox and the adapter, in-process over real HTTP. */
export async function startStack(label: string, adapterEnv: Record<string, string> = {}) {
  const db: TestDatabase = await createTestDatabase(label);
  const sandbox: RunningApp = await startSandbox(db.url);
  const adapter: RunningApp = await startAdapter(db.url, sandbox.url, { UNKNOWN_OUTCOME_GRACE_MS: '1000', UNKNOWN_ISSUE_GRACE_MS: '1000', CLUTCH_TIMEOUT_MS: '1000', ...adapterEnv });
  return {
    db,
    sandbox,
    adapter,
    oms: omsClient(adapter.url),
    admin: sandboxAdmin(sandbox.url),
    async stop() {
      await adapter.close().catch(() => undefined);
      await sandbox.close().catch(() => undefined);
      await db.drop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
