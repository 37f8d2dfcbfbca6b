import { createServer, IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { omsClient, sandboxAdmin, withKey } from '../harness/clients';
import { createTestDatabase, TestDatabase } from '../harness/database';
import { RunningApp, startAdapter, startSandbox } from '../harness/apps';

/** The OMS's X-Request-Id reaches the provider: a recording proxy sits between the adapter and the sandbox. */
describe('request id propagation', () => {
  let db: TestDatabase;
  let sandbox: RunningApp;
  let adapter: RunningApp;
  let proxy: Server;
  const seen: Array<{ method: string; requestId?: string }> = [];

  beforeAll(async () => {
    db = await createTestDatabase('reqid');
    sandbox = await startSandbox(db.url);
    proxy = createServer(async (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      seen.push({ method: request.url ?? '', requestId: request.headers['x-request-id'] as string | undefined });
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
      const upstream = await fetch(`${sandbox.url}${request.url}`, { method: request.method, headers, body: Buffer.concat(chunks) });
      response.writeHead(upstream.status, { 'content-type': 'application/json' });
      response.end(await upstream.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    adapter = await startAdapter(db.url, `http://127.0.0.1:${port}`, { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });

  afterAll(async () => {
    await adapter?.close();
    await new Promise((resolve) => proxy?.close(resolve));
    await sandbox?.close();
    await db?.drop();
  });

  it('sends the OMS request id with the provider call it causes', async () => {
    const card = await sandboxAdmin(sandbox.url).createCard('10.00');
    seen.length = 0;
    const response = await omsClient(adapter.url).post(
      '/v1/authorizations',
      { orderId: 'O-RID', cardNumber: card.cardNumber, pin: card.pin, amount: '2.00', currency: 'USD' },
      { headers: { ...withKey(randomUUID()).headers, 'X-Request-Id': 'oms-req-77' } },
    );
    expect(response.status).toBe(201);
    expect(response.headers['x-request-id']).toBe('oms-req-77');
    const holds = seen.filter((s) => s.method.endsWith('/updateBalance'));
    expect(holds).toHaveLength(1);
    expect(holds[0].requestId).toBe('oms-req-77');
  });
});
