import { randomUUID } from 'node:crypto';
import { omsClient, sandboxAdmin, withKey } from '../harness/clients';
import { startProcesses } from '../harness/spawned-stack';

/**
 * Money-moving calls on one card never overlap, across instances: a lost answer is resolved from the card's
 * state, which is only ours to read while no other call of ours is in flight on it. Two adapter processes
 * hold on one card at once while each provider call takes 400 ms; the provider sees the calls one after
 * another. On two cards they run side by side.
 */
describe('one money-moving call at a time per card, across instances (real processes)', () => {
  let stack: Awaited<ReturnType<typeof startProcesses>>;
  let urls: string[];
  beforeAll(async () => {
    stack = await startProcesses('card_lease');
    urls = [(await stack.startAdapter()).url, (await stack.startAdapter()).url];
  }, 90000);
  afterAll(() => stack?.stop());

  const LATENCY_MS = 400;

  async function holdTimes(cardNumbers: string[]) {
    const rows = await stack.db.query<{ ms: string }>(
      `SELECT (extract(epoch FROM created_at) * 1000)::bigint::text AS ms FROM clutch_sandbox.ledger_transaction
        WHERE action = 'hold' AND card_number = ANY($1) ORDER BY created_at`,
      [cardNumbers],
    );
    return rows.map((r) => Number(r.ms));
  }
  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

  async function holdAll(cards: Array<{ cardNumber: string; pin: string | null }>) {
    // Without partial approval: one provider call per hold, no balance read first.
    return Promise.all(
      cards.map((card, i) =>
        omsClient(urls[i % urls.length]).post(
          '/v1/authorizations',
          { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '10.00', currency: 'USD', allowPartial: false },
          withKey(),
        ),
      ),
    );
  }

  it('serialises four holds on one card from two instances; holds on two cards overlap', async () => {
    const admin = sandboxAdmin(stack.sandboxUrl);
    const card = await admin.createCard('100.00');
    await admin.setFaults({ latencyMs: LATENCY_MS, methods: ['updateBalance'] });
    const answers = await holdAll([card, card, card, card]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    const times = await holdTimes([card.cardNumber]);
    expect(times).toHaveLength(4);
    // Each call reached the provider only after the one before it was answered (and its outcome committed).
    for (const gap of gaps(times)) expect(gap).toBeGreaterThanOrEqual(LATENCY_MS * 0.9);
    expect((await admin.card(card.cardNumber)).held).toBe('40.00');

    const [a, b] = [await admin.createCard('100.00'), await admin.createCard('100.00')];
    expect((await holdAll([a, b])).map((r) => r.status)).toEqual([201, 201]);
    const [gap] = gaps(await holdTimes([a.cardNumber, b.cardNumber]));
    expect(gap).toBeLessThan(LATENCY_MS / 2);
    await admin.clearFaults();
    const leases = await stack.db.query(`SELECT card_hash FROM payment_adapter.card_lease`);
    expect(leases).toEqual([]);
  });
});
