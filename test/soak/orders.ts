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
  refunds: Array<{ told: Told; settlementId: string | null; amountMinor: bigint; toNewCard?: boolean }>;
  /** How the order's hold was aged before it shipped (see `ageHold`), and the expiry runs it asked for. */
  aging?: Aging;
  expiryRuns?: Told[];
  /** Every final answer to a refund to a new card, both of a duplicate pair included (the PIN is shown in one). */
  newCardAnswers?: Told[];
  fulfillments: Array<{ told: Told; lineId: string; amountMinor: bigint }>;
  /** Requests sent twice at once with one key (an OMS re-sending a stuck transaction): both answers. */
  duplicates: Array<[Told, Told]>;
  reads: Told[];
}

/**
 * How an order's hold is aged before it ships, as time would age it: `reauthorize` (its `expires_at` moved
 * within REAUTHORIZE_BEFORE_HOURS: the expiry job holds again), `expire` (moved past: released, EXPIRED), and
 * `lapse-*`: the provider's hold lapses first (the sandbox's hold made older than its holdTtlSeconds), then
 * the order settles (422 HOLD_NOT_AVAILABLE, EXPIRED) or our expiry job re-authorizes or expires it.
 */
export type Aging = 'reauthorize' | 'expire' | 'lapse-settle' | 'lapse-reauthorize' | 'lapse-expire';

/** What an order may do besides talking to the adapter: the soak's database (aging holds) and its rates. */
export interface OrderWorld {
  db: { query: (sql: string, params?: unknown[]) => Promise<Record<string, any>[]> };
  duplicateRate: number;
  reauthorizeRate: number;
  expireRate: number;
  lapseRate: number;
  newCardRefundRate: number;
}

/** The sandbox's holdTtlSeconds for the run: long enough that no hold lapses unless the soak ages it. */
export const SANDBOX_HOLD_TTL_SECONDS = 7 * 24 * 3600;

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
export async function runOrder(oms: RetryingOms, dice: Dice, orderId: string, card: PopulationCard, world: OrderWorld): Promise<OrderRecord> {
  const record: OrderRecord = { orderId, card, settlements: [], refunds: [], fulfillments: [], duplicates: [], reads: [] };
  const post = async (operation: string, path: string, body: unknown): Promise<Told> => {
    if (!dice.chance(world.duplicateRate)) return oms.post(operation, path, body);
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
    const aging = pickAging(dice, world);
    if (aging) await ageHold(record, aging, world, oms);
    await settleAndMaybeCancel(record, dice, post);
    await refundSome(record, dice, oms, post, world);
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

function pickAging(dice: Dice, world: OrderWorld): Aging | undefined {
  const roll = dice.next();
  if (roll < world.reauthorizeRate) return 'reauthorize';
  if (roll < world.reauthorizeRate + world.expireRate) return 'expire';
  if (roll < world.reauthorizeRate + world.expireRate + world.lapseRate) return dice.pick(['lapse-settle', 'lapse-reauthorize', 'lapse-expire'] as const);
  return undefined;
}

/**
 * Ages the order's open hold in the soak's database as time would, then asks for an expiry run (the job's
 * cron runs too). The adapter's `expires_at` is moved for `reauthorize`/`expire`; for `lapse-*` the sandbox's
 * hold is made older than its lifetime first, so the provider lets it go before the adapter knows.
 */
async function ageHold(record: OrderRecord, aging: Aging, world: OrderWorld, oms: RetryingOms): Promise<void> {
  record.aging = aging;
  record.expiryRuns = [];
  const [{ root_id: rootId } = { root_id: null }] = await world.db.query(`SELECT root_id FROM payment_adapter.authorization_hold WHERE id = $1`, [record.authorizationId]);
  if (!rootId) return;
  if (aging.startsWith('lapse')) {
    await world.db.query(
      `UPDATE clutch_sandbox.hold SET created_at = created_at - make_interval(secs => $2)
        WHERE id::text IN (SELECT provider_hold_id FROM payment_adapter.authorization_hold WHERE root_id = $1 AND state = 'OPEN')`,
      [rootId, 2 * SANDBOX_HOLD_TTL_SECONDS],
    );
    if (aging === 'lapse-settle') return;
  }
  const expiresIn = aging === 'reauthorize' || aging === 'lapse-reauthorize' ? '1 hour' : '-1 second';
  await world.db.query(`UPDATE payment_adapter.authorization_hold SET expires_at = now() + $2::interval WHERE root_id = $1 AND state = 'OPEN'`, [rootId, expiresIn]);
  record.expiryRuns.push(await oms.post('expiryRun', '/v1/expiry-runs', {}));
}

async function refundSome(record: OrderRecord, dice: Dice, oms: RetryingOms, post: (op: string, path: string, body: unknown) => Promise<Told>, world: OrderWorld) {
  for (const settlement of record.settlements) {
    const body = settlement.told.body;
    if (settlement.told.status !== 201 || body?.status !== 'SETTLED' || !dice.chance(0.2)) continue;
    const settledMinor = minorOf(body.settledAmount);
    if (dice.chance(world.newCardRefundRate)) {
      // A refund to a new card (the customer threw the card away): a part of what this settlement settled.
      const amountMinor = 1n + BigInt(dice.int(0, Math.max(0, Number(settledMinor) - 1)));
      const duplicatesBefore = record.duplicates.length;
      const told = await post('refundToNewCard', '/v1/refunds', { orderId: record.orderId, amount: money(amountMinor), currency: USD, toNewCard: {} });
      const pair = record.duplicates.length > duplicatesBefore ? record.duplicates[record.duplicates.length - 1] : [told];
      record.newCardAnswers = [...(record.newCardAnswers ?? []), ...pair];
      record.refunds.push({ told, settlementId: null, amountMinor, toNewCard: true });
      continue;
    }
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
