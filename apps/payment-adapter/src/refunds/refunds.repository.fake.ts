import { EntityManager } from 'typeorm';
import { ProtectedCard } from '../card-data/card-vault';
import { GiftCardFulfillment } from '../fulfillments/gift-card-fulfillment.entity';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { Settlement } from '../settlements/settlement.entity';
import { newCardLine, Refund, RefundAllocation } from './refund.entity';
import { OrderCard, OrderRefundable, RefundChanges, RefundsRepository } from './refunds.repository';
import { FAKE_TX } from '../testing/doubles';

/** What the fake throws where the table's unique constraint would refuse a row. */
export class InMemoryDuplicateKeyError extends Error {
  constructor(what: string) {
    super(`duplicate key: ${what}`);
    this.name = 'InMemoryDuplicateKeyError';
  }
}

const counted = (r: Refund) => r.status === 'PENDING' || r.status === 'SUCCEEDED';
const sum = (values: bigint[]) => values.reduce((total, v) => total + v, 0n);

/**
 * `RefundsRepository` in maps, for unit tests. `tx` is ignored; `transaction` runs the work and, when it throws,
 * puts the refund rows back as they were (a rolled back acceptance leaves nothing). The other tables a refund
 * reads (settlements, the cards of authorizations, provider calls, fulfillments) are filled in by the test.
 */
export class InMemoryRefundsRepository extends RefundsRepository {
  readonly refunds = new Map<string, Refund>();
  readonly allocations = new Map<string, RefundAllocation>();
  readonly settlements = new Map<string, Settlement>();
  /** The card of each authorization, by its id. */
  readonly authorizationCards = new Map<string, ProtectedCard>();
  readonly providerCalls: ProviderCall[] = [];
  readonly fulfillments: GiftCardFulfillment[] = [];
  /** Every order whose lock was taken, in turn. */
  readonly lockedOrders: string[] = [];

  async transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    const refunds = new Map(this.refunds);
    const allocations = new Map(this.allocations);
    try {
      return await work(FAKE_TX);
    } catch (error) {
      this.replace(this.refunds, refunds);
      this.replace(this.allocations, allocations);
      throw error;
    }
  }

  async lockOrder(_tx: EntityManager, orderId: string): Promise<void> {
    this.lockedOrders.push(orderId);
  }

  isDuplicateKey(error: unknown): boolean {
    return error instanceof InMemoryDuplicateKeyError;
  }

  async orderRefundable(_tx: EntityManager, orderId: string, currency: string): Promise<OrderRefundable> {
    const settlements = [...this.settlements.values()].filter((s) => s.orderId === orderId && s.currency === currency && s.status === 'SETTLED');
    const refunds = [...this.refunds.values()].filter((r) => r.orderId === orderId && r.currency === currency && counted(r));
    return { settledMinor: sum(settlements.map((s) => s.settledMinor)), refundedMinor: sum(refunds.map((r) => r.amountMinor)) };
  }

  async lockSettlement(_tx: EntityManager, settlementId: string): Promise<Settlement | null> {
    const settlement = this.settlements.get(settlementId);
    return settlement ? Object.assign(new Settlement(), settlement) : null;
  }

  async refundedOfSettlement(_tx: EntityManager, settlementId: string): Promise<bigint> {
    return sum([...this.refunds.values()].filter((r) => r.settlementId === settlementId && counted(r)).map((r) => r.amountMinor));
  }

  async cardOfAuthorization(_tx: EntityManager, authorizationId: string): Promise<ProtectedCard> {
    const card = this.authorizationCards.get(authorizationId);
    if (!card) throw new Error(`no authorization ${authorizationId}`);
    return { ...card };
  }

  async orderSettledOnCard(_tx: EntityManager, orderId: string, cardHash: string): Promise<boolean> {
    return this.settledOf(orderId).some((s) => this.cardOf(s)?.hash === cardHash);
  }

  async settledCards(_tx: EntityManager, orderId: string, currency: string): Promise<OrderCard[]> {
    const byCard = new Map<string, OrderCard>();
    const newestFirst = this.settledOf(orderId)
      .filter((s) => s.currency === currency)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    for (const settlement of newestFirst) {
      const card = this.cardOf(settlement)!;
      const seen = byCard.get(card.hash);
      if (seen) {
        seen.settledMinor += settlement.settledMinor;
        continue;
      }
      const refunded = [...this.refunds.values()].filter((r) => r.orderId === orderId && r.currency === currency && r.cardHash === card.hash && counted(r));
      byCard.set(card.hash, { ...card, settledMinor: settlement.settledMinor, refundedMinor: sum(refunded.map((r) => r.amountMinor)), lastSettledAt: settlement.createdAt });
    }
    return [...byCard.values()];
  }

  async insertRefund(_tx: EntityManager, refund: Refund): Promise<void> {
    const rows = [...this.refunds.values()];
    if (this.refunds.has(refund.id)) throw new InMemoryDuplicateKeyError(`refund ${refund.id}`);
    if (refund.idempotencyKey !== null && rows.some((r) => r.idempotencyKey === refund.idempotencyKey)) {
      throw new InMemoryDuplicateKeyError(`refund idempotency key ${refund.idempotencyKey}`);
    }
    if (refund.allocationId !== null && rows.some((r) => r.allocationId === refund.allocationId && r.partIndex === refund.partIndex)) {
      throw new InMemoryDuplicateKeyError(`part ${refund.partIndex} of allocation ${refund.allocationId}`);
    }
    this.refunds.set(refund.id, Object.assign(new Refund(), refund));
  }

  async insertAllocation(_tx: EntityManager, allocation: RefundAllocation): Promise<void> {
    if (this.allocations.has(allocation.id) || [...this.allocations.values()].some((a) => a.idempotencyKey === allocation.idempotencyKey)) {
      throw new InMemoryDuplicateKeyError(`refund allocation idempotency key ${allocation.idempotencyKey}`);
    }
    this.allocations.set(allocation.id, Object.assign(new RefundAllocation(), allocation));
  }

  async updateRefund(_tx: EntityManager, id: string, changes: RefundChanges): Promise<void> {
    const row = this.refunds.get(id);
    if (row) this.refunds.set(id, Object.assign(new Refund(), row, changes));
  }

  async findById(id: string): Promise<Refund | null> {
    return this.copy(this.refunds.get(id));
  }

  async reload(id: string): Promise<Refund> {
    const refund = this.copy(this.refunds.get(id));
    if (!refund) throw new Error(`no refund ${id}`);
    return refund;
  }

  async byKey(idempotencyKey: string): Promise<Refund | null> {
    return this.copy([...this.refunds.values()].find((r) => r.idempotencyKey === idempotencyKey));
  }

  async forOrder(orderId: string): Promise<Refund[]> {
    return [...this.refunds.values()]
      .filter((r) => r.orderId === orderId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((r) => this.copy(r)!);
  }

  async allocationById(id: string): Promise<RefundAllocation | null> {
    const allocation = this.allocations.get(id);
    return allocation ? Object.assign(new RefundAllocation(), allocation) : null;
  }

  async allocationByKey(idempotencyKey: string): Promise<RefundAllocation | null> {
    const allocation = [...this.allocations.values()].find((a) => a.idempotencyKey === idempotencyKey);
    return allocation ? Object.assign(new RefundAllocation(), allocation) : null;
  }

  async partsOf(allocationId: string): Promise<Refund[]> {
    return [...this.refunds.values()]
      .filter((r) => r.allocationId === allocationId)
      .sort((a, b) => (a.partIndex ?? 0) - (b.partIndex ?? 0))
      .map((r) => this.copy(r)!);
  }

  async issueCallsOf(refundId: string): Promise<ProviderCall[]> {
    return this.providerCalls
      .filter((c) => c.refundId === refundId && c.operation === 'ISSUE')
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((c) => Object.assign(new ProviderCall(), c));
  }

  async loadedNewCards(limit: number, quietMs: number): Promise<string[]> {
    const quietSince = Date.now() - quietMs;
    return [...this.refunds.values()]
      .filter((r) => r.status === 'PENDING' && r.toNewCard && r.updatedAt.getTime() < quietSince)
      .filter((r) => this.fulfillments.some((f) => f.orderId === r.orderId && f.lineId === newCardLine(r.id) && f.status === 'COMPLETED'))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit)
      .map((r) => r.id);
  }

  async newCardFulfillmentOf(refund: Refund): Promise<GiftCardFulfillment | null> {
    const found = this.fulfillments.find((f) => f.orderId === refund.orderId && f.lineId === newCardLine(refund.id));
    return found ? Object.assign(new GiftCardFulfillment(), found) : null;
  }

  private settledOf(orderId: string): Settlement[] {
    return [...this.settlements.values()].filter((s) => s.orderId === orderId && s.status === 'SETTLED');
  }

  /** The card a settlement redeemed from: its serving link's, else the authorization it named. */
  private cardOf(settlement: Settlement): ProtectedCard | undefined {
    return this.authorizationCards.get(settlement.servedAuthorizationId ?? settlement.authorizationId);
  }

  private copy(refund: Refund | undefined): Refund | null {
    return refund ? Object.assign(new Refund(), refund) : null;
  }

  private replace<K, V>(target: Map<K, V>, from: Map<K, V>): void {
    target.clear();
    for (const [key, value] of from) target.set(key, value);
  }
}
