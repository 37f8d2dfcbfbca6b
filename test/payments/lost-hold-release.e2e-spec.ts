import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../../apps/clutch-sandbox/src/faults/fault-dice';
import { withKey } from '../harness/clients';
import { Stack, startStack } from '../harness/stack';

/** A seed whose first draw lands in [0.5, 1) (drop) and second in [0, 0.5) (error) for error 0.5 + drop 0.5. */
function seedDropThenError(): number {
  for (let seed = 1; ; seed++) {
    const draw = mulberry32(seed);
    if (draw() >= 0.5 && draw() < 0.5) return seed;
  }
}

describe('a lost hold whose release fails at first', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('lostrelease', { RECOVERY_ENABLED: 'false', SETTLEMENT_JOB_ENABLED: 'false' });
  });
  afterAll(() => stack?.stop());

  it('goes back to the recovery sweep, which releases it', async () => {
    const card = await stack.admin.createCard('80.00');
    // The hold applies and its answer is dropped; the release that follows gets a 503.
    await stack.admin.setFaults({ dropRate: 0.5, errorRate: 0.5, methods: ['updateBalance'], seed: seedDropThenError() });
    const response = await stack.oms.post('/v1/authorizations', { orderId: `O-${randomUUID()}`, cardNumber: card.cardNumber, pin: card.pin, amount: '30.00', currency: 'USD' }, withKey());
    await stack.admin.clearFaults();
    expect(response.status).toBe(503);
    expect((await stack.admin.card(card.cardNumber)).held).toBe('30.00');

    const deadline = Date.now() + 30000;
    let held = '30.00';
    while (held !== '0.00' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await stack.oms.post('/v1/recovery-runs');
      held = (await stack.admin.card(card.cardNumber)).held;
    }
    expect(held).toBe('0.00');
    expect((await stack.admin.ledgerCheck()).ok).toBe(true);
  });
});
