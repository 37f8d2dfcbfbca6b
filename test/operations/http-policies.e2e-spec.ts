import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

describe('metrics, health and HTTP policies', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('httpops', { BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => stack?.stop());

  it('exposes Prometheus metrics for requests, provider calls, backlog and the circuit', async () => {
    const card = await stack.admin.createCard('20.00');
    await stack.oms.post('/v1/authorizations', { orderId: 'O-M', cardNumber: card.cardNumber, pin: card.pin, amount: '5.00', currency: 'USD' }, withKey());
    const response = await stack.oms.get('/metrics', { headers: { Authorization: '' } });
    expect(response.status).toBe(200);
    const text: string = response.data;
    expect(text).toMatch(/gcpa_http_request_duration_seconds_count\{method="POST",route="\/v1\/authorizations",status="201"\} 1/);
    expect(text).toMatch(/gcpa_provider_call_duration_seconds_count\{operation="HOLD",outcome="SUCCEEDED"\} 1/);
    expect(text).toMatch(/^gcpa_settlement_backlog 0$/m);
    expect(text).toMatch(/^gcpa_provider_circuit_state 0$/m);
    expect(text).toMatch(/^gcpa_provider_calls_unresolved 0$/m);
  });

  it('answers liveness and readiness', async () => {
    expect((await stack.oms.get('/health/live')).status).toBe(200);
    const ready = await stack.oms.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.data.details).toMatchObject({ database: { status: 'up' }, provider: { status: 'up' } });
  });

  it('sends security headers and refuses oversized or malformed bodies in the contract shape', async () => {
    const health = await stack.oms.get('/health');
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['strict-transport-security']).toBeDefined();

    const big = await stack.oms.post('/v1/authorizations', { orderId: 'x'.repeat(4096) }, withKey());
    expect(big.status).toBe(413);
    expect(big.data.error.code).toBe('PAYLOAD_TOO_LARGE');

    const malformed = await stack.oms.post('/v1/authorizations', '{"orderId":', {
      headers: { 'Idempotency-Key': randomUUID(), 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(['BAD_REQUEST', 'VALIDATION_FAILED']).toContain(malformed.data.error.code);
  });
});
