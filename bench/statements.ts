// The `statements` / `commits` of results.json: the same count as test/performance/statement-budget.e2e-spec.ts
// (bench/lib/statement-budget.ts), on an in-process sandbox and adapter of their own throw-away database, so that
// nothing but the counted request uses the adapter's pool.
import { DataSource } from 'typeorm';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSandboxApp } from '../apps/clutch-sandbox/src/bootstrap';
import { MerchantController } from '../apps/clutch-sandbox/src/protocol/merchant.controller';
import { createAdapterApp } from '../apps/payment-adapter/src/bootstrap';
import { createDatabase } from './lib/database';
import { API_KEY, CREDENTIALS } from './lib/stack';
import { Counts, QUIET_ADAPTER_ENV, StatementCounter, countOperations } from './lib/statement-budget';

async function listen(app: NestFastifyApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
}

export async function measureStatements(): Promise<{ statements: Record<string, number>; commits: Record<string, number>; providerCalls: Record<string, number> }> {
  const database = await createDatabase('statements');
  let sandbox: NestFastifyApplication | undefined;
  let adapter: NestFastifyApplication | undefined;
  try {
    const common = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, ...CREDENTIALS };
    sandbox = (await createSandboxApp({ ...common, SANDBOX_SEED_DEMO: 'false' })).app;
    const sandboxUrl = await listen(sandbox);
    adapter = (await createAdapterApp({ ...common, CLUTCH_BASE_URL: `${sandboxUrl}/merchant/`, ...QUIET_ADAPTER_ENV })).app;
    const adapterUrl = await listen(adapter);
    const counter = new StatementCounter().attach(adapter.get(DataSource)).attachProvider(sandbox.get(MerchantController));
    const counts: Counts = await countOperations({ adapterUrl, sandboxUrl, apiKey: API_KEY, counter });
    const pick = (field: 'statements' | 'commits' | 'providerCalls') => Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, count[field]]));
    return { statements: pick('statements'), commits: pick('commits'), providerCalls: pick('providerCalls') };
  } finally {
    await adapter?.close().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    await database.drop();
  }
}
