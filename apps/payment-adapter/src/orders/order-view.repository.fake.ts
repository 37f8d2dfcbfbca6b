import { OrderRows, OrderViewRepository } from './order-view.repository';

const oldestFirst = <T extends { createdAt: Date }>(rows: T[]) => [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());

/** `OrderViewRepository` over arrays, for unit tests: every order's rows together, as the tables hold them. */
export class InMemoryOrderViewRepository extends OrderViewRepository {
  private readonly rows: OrderRows = { authorizations: [], settlements: [], refunds: [], fulfillments: [], events: [] };
  /** How many snapshots were read. */
  reads = 0;

  /** Stores rows of any orders (a test's starting rows). */
  add(rows: Partial<OrderRows>): this {
    for (const kind of Object.keys(this.rows) as Array<keyof OrderRows>) (this.rows[kind] as unknown[]).push(...(rows[kind] ?? []));
    return this;
  }

  async rowsOf(orderId: string): Promise<OrderRows> {
    this.reads++;
    const of = <T extends { orderId: string }>(rows: T[]) => rows.filter((r) => r.orderId === orderId);
    return {
      authorizations: oldestFirst(of(this.rows.authorizations)),
      settlements: oldestFirst(of(this.rows.settlements)),
      refunds: oldestFirst(of(this.rows.refunds)),
      fulfillments: oldestFirst(of(this.rows.fulfillments)),
      // The history in the order it was appended (its bigint id).
      events: of(this.rows.events).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0)),
    };
  }
}
