import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** `GET /v1/settlements/{id}` and the `Location` of what a 201/202 created (the contract's "Extensions"). */
describe('reading a settlement, and Location headers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('settlement_read', { SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  async function hold(amount: string) {
    const card = await stack.admin.createCard('100.00', { pin: '1234' });
    const key = randomUUID();
    const response = await stack.oms.post('/v1/authorizations', { orderId: `ORD-${key}`, cardNumber: card.cardNumber, pin: '1234', amount, currency: 'USD' }, withKey(key));
    expect(response.status).toBe(201);
    return { card, key, response, authorizationId: response.data.authorizationId as string };
  }

  it('names the new authorization in Location, on the first answer and on its replay', async () => {
    const { key, response, authorizationId, card } = await hold('30.00');
    expect(response.headers.location).toBe(`/v1/authorizations/${authorizationId}`);
    const replay = await stack.oms.post('/v1/authorizations', JSON.parse(response.config.data as unknown as string), withKey(key));
    expect(replay.status).toBe(201);
    expect(replay.headers.location).toBe(`/v1/authorizations/${authorizationId}`);
    expect((await stack.oms.get(replay.headers.location)).data.authorizationId).toBe(authorizationId);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('30.00');
  });

  it('reads a sync partial settlement with the authorization it served and the advanced hold it placed', async () => {
    const { authorizationId } = await hold('60.00');
    const created = await stack.oms.post('/v1/settlements', { authorizationId, amount: '25.00', invoiceId: 'INV-1' }, withKey());
    expect(created.status).toBe(201);
    const settlementId = created.data.settlementId;
    expect(created.headers.location).toBe(`/v1/settlements/${settlementId}`);

    const read = await stack.oms.get(created.headers.location);
    expect(read.status).toBe(200);
    expect(read.data).toMatchObject({
      settlementId,
      status: 'SETTLED',
      amount: '25.00',
      settledAmount: '25.00',
      attempts: expect.any(Number),
      failureReason: null,
      nextAttemptAt: null,
      authorizationId,
      authorization: { authorizationId, state: 'CLOSED', closedReason: 'SUPERSEDED' },
      advancedAuthorization: { previousAuthorizationId: authorizationId, state: 'OPEN', approvedAmount: '35.00', heldAmount: '35.00' },
    });
    expect(read.data.advancedAuthorization.authorizationId).toBe(created.data.advancedAuthorization.authorizationId);
  });

  it('lets the OMS poll a batch settlement from its 202 until the job settled it', async () => {
    const { authorizationId, card } = await hold('40.00');
    const created = await stack.oms.post('/v1/settlements', { authorizationId, amount: '40.00', invoiceId: 'INV-B', final: true, mode: 'batch' }, withKey());
    expect(created.status).toBe(202);
    expect(created.headers.location).toBe(`/v1/settlements/${created.data.settlementId}`);

    const waiting = (await stack.oms.get(created.headers.location)).data;
    expect(waiting).toMatchObject({ status: 'OPEN', mode: 'batch', settledAmount: '0.00', attempts: 0, authorization: null, advancedAuthorization: null });
    expect(Date.parse(waiting.nextAttemptAt)).not.toBeNaN();

    const run = await stack.oms.post('/v1/settlement-runs', {}, withKey());
    expect([run.status, run.data]).toEqual([200, expect.objectContaining({ settled: 1 })]);
    const settled = (await stack.oms.get(created.headers.location)).data;
    expect(settled).toMatchObject({ status: 'SETTLED', settledAmount: '40.00', nextAttemptAt: null, authorization: { authorizationId, closedReason: 'SETTLED' }, advancedAuthorization: null });
    expect(settled.attempts).toBeGreaterThanOrEqual(1);
    expect(await stack.admin.card(card.cardNumber)).toMatchObject({ balance: '60.00', held: '0.00' });
  });

  it('answers 404 for an unknown settlement and 400 for an id that is not a UUID', async () => {
    const unknown = await stack.oms.get(`/v1/settlements/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.data.error.code).toBe('NOT_FOUND');
    expect((await stack.oms.get('/v1/settlements/not-a-uuid')).status).toBe(400);
  });

  it('puts no Location on answers that create nothing', async () => {
    const { authorizationId } = await hold('5.00');
    const reversal = await stack.oms.post(`/v1/authorizations/${authorizationId}/reversals`, { amount: '0.00' }, withKey());
    expect(reversal.status).toBe(200);
    expect(reversal.headers.location).toBeUndefined();
    const refused = await stack.oms.post('/v1/settlements', { authorizationId, amount: '5.00', invoiceId: 'INV-X' }, withKey());
    expect(refused.status).toBe(422);
    expect(refused.headers.location).toBeUndefined();
  });
});
