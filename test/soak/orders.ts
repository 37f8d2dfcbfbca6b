import { formatAmount, parseAmount } from '@gcpa/money';
import { randomUUID } from 'node:crypto';
import { RetryingOms, Told } from './oms-client';
import { Dice } from './settings';

export interface PopulationCard {
  cardNumber: string;
  pin?: string;
  initialMinor: bigint;
}

export interface SettlementRecord {
  told: Told;
  amountMinor: bigint;
  mode: 'sync' | 'batch';
  final: boolean;
}

/** Everything one order's client sent and was finally told. */
export interface OrderRecord {
  orderId: string;
  card: PopulationCard;
  balance?: Told;
  hold?: Told;
  authorizationId?: string;
  approvedMinor?: bigint;
  settlements: SettlementRecord[];
  reversal?: Told;
  refunds: Array<{ told: Told; settlementId: string; amountMinor: bigint }>;
  fulfillments: Array<{ told: Told; lineId: string; amountMinor: bigint }>;
  /** Requests sent twice at once with one key (an OMS re-sending a stuck transaction): both answers. */
  duplicates: Array<[Told, Told]>;
  reads: Told[];
}

const USD = 'USD';
const money = (minor: bigint) => formatAmount({ minor, currency: USD });
export const minorOf = (amount: string) => parseAmount(amount, USD).minor;

/** A uniform amount in cents between `min` and `max` (inclusive). */
const cents = (dice: Dice, min: number, max: number) => BigInt(dice.int(min, max));

/** Splits `total` into `parts` positive amounts (fewer when the total is too small). */
function split(dice: Dice, total: bigint, parts: number): bigint[] {
  const n = Math.max(1, Math.min(parts, Number(total)));
  const cuts = new Set<number>();
  while (cuts.size < n - 1) cuts.add(dice.int(1, Number(total) - 1));
  const points = [0, ...[...cuts].sort((a, b) => a - b), Number(total)];
  return points.slice(1).map((p, i) => BigInt(p - points[i]));
}

/**
 * One order through a realistic lifecycle: balance check, hold (sometimes above the balance: partial), one
 * to four settlements (sync and batch, partial ones leave an advanced hold), sometimes a cancellation
 * (reversal, also with batch settlements still pending), refunds of settled invoices, electronic gift card
 * lines. Every choice comes from `dice`; every answer is recorded.
 */
export async function runOrder(oms: RetryingOms, dice: Dice, orderId: string, card: PopulationCard, duplicateRate: number): Promise<OrderRecord> {
  const record: OrderRecord = { orderId, card, settlements: [], refunds: [], fulfillments: [], duplicates: [], reads: [] };
  const post = async (operation: string, path: string, body: unknown): Promise<Told> => {
    if (!dice.chance(duplicateRate)) return oms.post(operation, path, body);
    const key = randomUUID();
    const pair = await Promise.all([oms.post(operation, path, body, key), oms.post(operation, path, body, key)]);
    record.duplicates.push(pair);
    return pair[0];
  };
  const pin = card.pin ? { pin: card.pin } : {};

  // What the order wants from this card; sometimes more than the card ever had (partial approval).
  const wanted = dice.chance(0.15) ? card.initialMinor + cents(dice, 100, 5000) : cents(dice, 500, 15000);
  record.balance = await oms.post('balance', '/v1/balance-inquiries', { cardNumber: card.cardNumber, ...pin, currency: USD, requestedAmount: money(wanted) });

  record.hold = await post('authorize', '/v1/authorizations', { orderId, cardNumber: card.cardNumber, ...pin, amount: money(wanted), currency: USD });
  const hold = record.hold;
  if (hold.status === 201 && (hold.body?.status === 'APPROVED' || hold.body?.status === 'PARTIALLY_APPROVED')) {
    record.authorizationId = hold.body.authorizationId as string;
    record.approvedMinor = minorOf(hold.body.approvedAmount);
    await settleAndMaybeCancel(record, dice, post);
    await refundSome(record, dice, oms);
  }

  if (dice.chance(0.12)) {
    const lines = dice.int(1, 2);
    for (let line = 1; line <= lines; line++) {
      const amountMinor = cents(dice, 1000, 10000);
      const told = await post('fulfill', '/v1/gift-card-fulfillments', { orderId, lineId: `L${line}`, kind: 'ELECTRONIC', amount: money(amountMinor), currency: USD });
      record.fulfillments.push({ told, lineId: `L${line}`, amountMinor });
    }
  }
  if (dice.chance(0.05)) record.reads.push(await oms.get('orderView', `/v1/orders/${encodeURIComponent(orderId)}/payments`));
  return record;
}

async function settleAndMaybeCancel(record: OrderRecord, dice: Dice, post: (op: string, path: string, body: unknown) => Promise<Told>) {
  const approved = record.approvedMinor!;
  const shipped = dice.chance(0.75) ? approved : (approved * BigInt(dice.int(30, 90))) / 100n;
  const amounts = shipped > 0n ? split(dice, shipped, dice.int(1, 4)) : [];
  // A cancellation after `cancelAfter` settlements (after all of them: the advanced hold's remainder is released).
  const cancelAfter = dice.chance(0.2) ? dice.int(0, amounts.length) : -1;
  const reverse = async () => {
    record.reversal = await post('reverse', `/v1/authorizations/${record.authorizationId}/reversals`, { amount: '0.00' });
  };
  for (let i = 0; i < amounts.length; i++) {
    if (i === cancelAfter) return reverse();
    const mode = dice.chance(0.35) ? 'batch' : 'sync';
    const final = i === amounts.length - 1 ? dice.chance(0.6) : false;
    const told = await post('settle', '/v1/settlements', {
      authorizationId: record.authorizationId,
      amount: money(amounts[i]),
      invoiceId: `${record.orderId}-INV-${i + 1}`,
      final,
      mode,
    });
    record.settlements.push({ told, amountMinor: amounts[i], mode, final });
    // A refusal (the advanced hold came back short, the chain closed) or an unanswered settlement ends shipping.
    if (told.gaveUp || (told.status !== 201 && told.status !== 202)) break;
  }
  if (cancelAfter === amounts.length) await reverse();
}

async function refundSome(record: OrderRecord, dice: Dice, oms: RetryingOms) {
  for (const settlement of record.settlements) {
    const body = settlement.told.body;
    if (settlement.told.status !== 201 || body?.status !== 'SETTLED' || !dice.chance(0.2)) continue;
    const settledMinor = minorOf(body.settledAmount);
    const times = dice.chance(0.15) ? 2 : 1;
    for (let i = 0; i < times; i++) {
      // The second refund of a settlement may exceed what is left of it: a 422 is a valid answer.
      const amountMinor = dice.chance(0.5) ? settledMinor : 1n + BigInt(dice.int(0, Math.max(0, Number(settledMinor) - 1)));
      const told = await oms.post('refund', '/v1/refunds', { orderId: record.orderId, settlementId: body.settlementId, amount: money(amountMinor), currency: USD });
      record.refunds.push({ told, settlementId: body.settlementId, amountMinor });
    }
  }
}

/** Cards of the population: balances from 1.00 to 400.00 (some small, so holds come back partial), each with a PIN. */
export function cardPlans(dice: Dice, count: number): Array<{ balanceMinor: bigint; pin?: string }> {
  return Array.from({ length: count }, () => {
    const balanceMinor = dice.chance(0.2) ? cents(dice, 100, 3000) : cents(dice, 3000, 40000);
    // Every card has a PIN: the adapter requires one by default (PIN_POLICY).
    return { balanceMinor, pin: String(dice.int(0, 9999)).padStart(4, '0') };
  });
}

export { money };
