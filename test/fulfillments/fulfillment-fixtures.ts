import axios from 'axios';
import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../../apps/clutch-sandbox/src/faults/fault-dice';
import { withKey } from '../harness/clients';
import { Stack } from '../harness/stack';

export interface FulfillmentBody {
  orderId: string;
  lineId: string;
  kind: 'ELECTRONIC' | 'PHYSICAL';
  cardSetId?: string;
  cardNumber?: string;
  pin?: string;
  amount: string;
  currency: string;
}

export const electronicLine = (changes: Partial<FulfillmentBody> = {}): FulfillmentBody => ({
  orderId: `ORD-${randomUUID().slice(0, 8)}`,
  lineId: '1',
  kind: 'ELECTRONIC',
  amount: '25.00',
  currency: 'USD',
  ...changes,
});

export const physicalLine = (cardNumber: string, changes: Partial<FulfillmentBody> = {}): FulfillmentBody => ({
  orderId: `ORD-${randomUUID().slice(0, 8)}`,
  lineId: '1',
  kind: 'PHYSICAL',
  cardNumber,
  amount: '50.00',
  currency: 'USD',
  ...changes,
});

export const fulfill = (stack: Stack, body: FulfillmentBody, key = randomUUID()) =>
  stack.oms.post('/v1/gift-card-fulfillments', body, withKey(key));

/** The adapter's row for an order line (the 503 of a failed first attempt does not name the fulfillment). */
export async function fulfillmentOf(stack: Stack, body: FulfillmentBody) {
  const [row] = await stack.db.query<{ id: string; status: string }>(
    `SELECT id, status FROM payment_adapter.gift_card_fulfillment WHERE order_id = $1 AND line_id = $2`,
    [body.orderId, body.lineId],
  );
  return row;
}

/** Cards the sandbox allocated for a fulfillment: under the request ids of its ALLOCATE provider calls, oldest first. */
export async function allocationsFor(stack: Stack, fulfillmentId: string) {
  return stack.db.query<{ card_number: string }>(
    `SELECT t.card_number FROM clutch_sandbox.ledger_transaction t
       JOIN payment_adapter.provider_call c ON c.id::text = t.custom_request_id AND c.operation = 'ALLOCATE'
      WHERE t.action = 'allocate' AND c.fulfillment_id = $1 ORDER BY t.seq`,
    [fulfillmentId],
  );
}

/** Issue rows the adapter made on a card (a card created by the admin API starts with an issue of its balance). */
export async function issuesOn(stack: Stack, cardNumber: string) {
  const card = await stack.admin.card(cardNumber);
  return card.history.filter((t) => t.action === 'issue' && t.customRequestId);
}

export const providerCallCount = async (stack: Stack, fulfillmentId: string) =>
  Number(
    (await stack.db.query<{ n: string }>(`SELECT count(*) AS n FROM payment_adapter.provider_call WHERE fulfillment_id = $1`, [fulfillmentId]))[0].n,
  );

export async function createCardSet(stack: Stack, id: string) {
  const response = await axios.post(`${stack.sandbox.url}/_sandbox/card-sets`, { id, hasPin: true, currency: 'USD' }, { validateStatus: () => true });
  if (response.status >= 300) throw new Error(`card set: ${response.status}`);
}

/**
 * A fault seed whose first `passes` draws miss `rate` and whose next draw hits it: with faults on the
 * `allocate` method (allocate and activate), the first call goes through and the second fails.
 */
export function seedFailingCall(passes: number, rate: number): number {
  for (let seed = 1; ; seed++) {
    const draw = mulberry32(seed);
    let ok = true;
    for (let i = 0; i < passes; i++) if (draw() < rate) ok = false;
    if (ok && draw() < rate) return seed;
  }
}
