import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { IdempotencyRetention } from '../../apps/payment-adapter/src/idempotency/idempotency-retention';
import { IdempotencyKeys } from '../../apps/payment-adapter/src/idempotency/idempotency-keys';
import { omsClient, withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

describe('idempotency keys', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('idem_keys', { API_KEYS: 'oms:oms-key,other:other-key', RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  const oms = () => omsClient(stack.adapter.url, 'oms-key');
  const holdBody = (orderId: string, card: { cardNumber: string; pin?: string }, amount = '25.00') => ({
    orderId,
    cardNumber: card.cardNumber,
    pin: card.pin,
    amount,
    currency: 'USD',
  });

  it('keeps the fingerprint after a 503: the same key with another body is 409, and nothing is held for it', async () => {
    const cardA = await stack.admin.createCard('100.00', { pin: '1111' });
    const cardB = await stack.admin.createCard('100.00', { pin: '2222' });
    const key = `K-${randomUUID()}`;
    await stack.admin.setFaults({ errorRate: 1 });
    const first = await oms().post('/v1/authorizations', holdBody('ORD-A', cardA), withKey(key));
    await stack.admin.clearFaults();
    expect(first.status).toBe(503);

    const other = await oms().post('/v1/authorizations', holdBody('ORD-B', cardB), withKey(key));
    expect(other.status).toBe(409);
    expect(other.data.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect((await stack.admin.card(cardA.cardNumber)).held).toBe('0.00');
    expect((await stack.admin.card(cardB.cardNumber)).held).toBe('0.00');

    // The same body again is the retry the 503 asked for: it runs (once the adapter knows the first attempt's fate).
    let retry = await oms().post('/v1/authorizations', holdBody('ORD-A', cardA), withKey(key));
    for (let i = 0; i < 20 && retry.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      retry = await oms().post('/v1/authorizations', holdBody('ORD-A', cardA), withKey(key));
    }
    expect(retry.status).toBe(201);
    expect(retry.data).toMatchObject({ orderId: 'ORD-A', status: 'APPROVED', approvedAmount: '25.00' });
    expect((await stack.admin.card(cardA.cardNumber)).held).toBe('25.00');
  });

  it('gives every API key its own namespace of keys', async () => {
    const cardA = await stack.admin.createCard('50.00', { pin: '3333' });
    const cardB = await stack.admin.createCard('50.00', { pin: '4444' });
    const key = `shared-${randomUUID()}`;
    const mine = await oms().post('/v1/authorizations', holdBody('ORD-MINE', cardA, '10.00'), withKey(key));
    const theirs = await omsClient(stack.adapter.url, 'other-key').post('/v1/authorizations', holdBody('ORD-THEIRS', cardB, '20.00'), withKey(key));
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.data.orderId).toBe('ORD-THEIRS');
    expect(theirs.data.authorizationId).not.toBe(mine.data.authorizationId);
    expect((await stack.admin.card(cardB.cardNumber)).held).toBe('20.00');
    // Each replays its own answer.
    const replay = await oms().post('/v1/authorizations', holdBody('ORD-MINE', cardA, '10.00'), withKey(key));
    expect(replay.data.authorizationId).toBe(mine.data.authorizationId);
    const rows = await stack.db.query<{ scope: string }>(`SELECT scope FROM payment_adapter.idempotency_key WHERE key = $1 ORDER BY scope`, [key]);
    expect(rows.map((r) => r.scope)).toEqual(['oms', 'other']);
  });

  it('never lets a request whose key was taken over complete or abandon it', async () => {
    const store = stack.adapter.app.get(IdempotencyKeys);
    const key = `fence-${randomUUID()}`;
    const first = await store.begin('oms', key, 'fp');
    if (first.kind !== 'execute') throw new Error('expected to execute');
    // Its lease runs out (a slow provider): another request takes the key over.
    await stack.db.query(`UPDATE payment_adapter.idempotency_key SET locked_until = now() - interval '1 second' WHERE key = $1`, [key]);
    const second = await store.begin('oms', key, 'fp');
    if (second.kind !== 'execute') throw new Error('expected a takeover');
    expect(second.owner).not.toBe(first.owner);

    expect(await store.complete('oms', key, first.owner, 201, { from: 'first' })).toBe(false);
    await store.abandon('oms', key, first.owner);
    const [held] = await stack.db.query<{ status: string; lease_owner: string; locked: boolean }>(
      `SELECT status, lease_owner, locked_until > now() AS locked FROM payment_adapter.idempotency_key WHERE key = $1`, [key]);
    expect(held).toEqual({ status: 'IN_PROGRESS', lease_owner: second.owner, locked: true });

    expect(await store.complete('oms', key, second.owner, 201, { from: 'second' })).toBe(true);
    expect(await store.begin('oms', key, 'fp')).toEqual({ kind: 'replay', status: 201, body: { from: 'second' } });
  });

  it('purges keys older than the retention and keeps the others', async () => {
    const oldKey = `old-${randomUUID()}`;
    const newKey = `new-${randomUUID()}`;
    const card = await stack.admin.createCard('50.00', { pin: '5555' });
    expect((await oms().post('/v1/authorizations', holdBody('ORD-OLD', card, '1.00'), withKey(oldKey))).status).toBe(201);
    expect((await oms().post('/v1/authorizations', holdBody('ORD-NEW', card, '1.00'), withKey(newKey))).status).toBe(201);
    await stack.db.query(`UPDATE payment_adapter.idempotency_key SET created_at = now() - interval '30 days 1 minute' WHERE key = $1`, [oldKey]);

    expect(await stack.adapter.app.get(IdempotencyRetention).purge()).toBeGreaterThanOrEqual(1);
    const left = await stack.db.query<{ key: string }>(`SELECT key FROM payment_adapter.idempotency_key WHERE key IN ($1, $2)`, [oldKey, newKey]);
    expect(left.map((r) => r.key)).toEqual([newKey]);
    // And it runs on its own, on IDEMPOTENCY_PURGE_CRON.
    expect(stack.adapter.app.get(SchedulerRegistry).getCronJob('idempotency-purge').cronTime.source).toBe('0 0 * * * *');
  });

  // Last: the provider errors open the client's circuit breaker for a while.
  it('answers 409 for another body after a 503 on settlements and refunds too', async () => {
    const card = await stack.admin.createCard('100.00');
    const hold = await oms().post('/v1/authorizations', holdBody(`ORD-${randomUUID()}`, card, '50.00'), withKey());
    expect(hold.status).toBe(201);
    // An order that settled 5.00 on the card, so that a refund to the card fits its ceiling.
    const refundOrder = `ORD-R-${randomUUID()}`;
    const paid = await oms().post('/v1/authorizations', holdBody(refundOrder, card, '5.00'), withKey());
    expect((await oms().post('/v1/settlements', { authorizationId: paid.data.authorizationId, amount: '5.00', invoiceId: 'INV-R', final: true }, withKey())).status).toBe(201);
    const settleKey = `S-${randomUUID()}`;
    const refundKey = `R-${randomUUID()}`;
    await stack.admin.setFaults({ errorRate: 1 });
    const settle = await oms().post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount: '10.00', invoiceId: 'INV-A' }, withKey(settleKey));
    const refund = await oms().post('/v1/refunds', { orderId: refundOrder, cardNumber: card.cardNumber, amount: '1.00', currency: 'USD' }, withKey(refundKey));
    await stack.admin.clearFaults();
    expect(settle.status).toBe(503);
    expect(refund.status).toBe(503);

    const otherSettle = await oms().post('/v1/settlements', { authorizationId: hold.data.authorizationId, amount: '20.00', invoiceId: 'INV-B' }, withKey(settleKey));
    expect(otherSettle.status).toBe(409);
    expect(otherSettle.data.error.code).toBe('IDEMPOTENCY_CONFLICT');
    const otherRefund = await oms().post('/v1/refunds', { orderId: refundOrder, cardNumber: card.cardNumber, amount: '2.00', currency: 'USD' }, withKey(refundKey));
    expect(otherRefund.status).toBe(409);
    expect(otherRefund.data.error.code).toBe('IDEMPOTENCY_CONFLICT');
    const redeems = (await stack.admin.card(card.cardNumber)).history.filter((h) => h.action === 'redeem' && !h.voided);
    expect(redeems.map((h) => h.amount)).not.toContain('20.00');
  });
});

describe('an idempotency lease renewed while the request works', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('idem_lease', { IDEMPOTENCY_LEASE_SECONDS: '2', CLUTCH_TIMEOUT_MS: '10000', RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  const leaseOf = async (key: string) =>
    (await stack.db.query<{ lease_owner: string | null; status: string }>(`SELECT lease_owner, status FROM payment_adapter.idempotency_key WHERE key = $1`, [key]))[0];

  it('keeps a slow request its key past one lease: a duplicate waits for its answer instead of taking over', async () => {
    const card = await stack.admin.createCard('50.00');
    const key = `slow-${randomUUID()}`;
    const body = { orderId: `ORD-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '5.00', currency: 'USD' };
    await stack.admin.setFaults({ latencyMs: 5000 });
    try {
      const first = stack.oms.post('/v1/authorizations', body, withKey(key));
      let owner: string | null | undefined;
      for (let i = 0; i < 60 && !owner; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        owner = (await leaseOf(key))?.lease_owner;
      }
      expect(owner).toEqual(expect.any(String));
      await new Promise((resolve) => setTimeout(resolve, 2300)); // past the first lease
      const duplicate = stack.oms.post('/v1/authorizations', body, withKey(key));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await leaseOf(key)).toEqual({ lease_owner: owner, status: 'IN_PROGRESS' });
      const [a, b] = await Promise.all([first, duplicate]);
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.data).toEqual(a.data);
    } finally {
      await stack.admin.clearFaults();
    }
    expect((await leaseOf(key)).status).toBe('COMPLETED');
    expect((await stack.admin.card(card.cardNumber)).held).toBe('5.00');
  });
});
