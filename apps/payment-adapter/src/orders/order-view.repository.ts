import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Authorization } from '../authorizations/authorization.entity';
import { GiftCardFulfillment } from '../fulfillments/gift-card-fulfillment.entity';
import { HistoryService } from '../history/history.service';
import { PaymentEvent } from '../history/payment-event.entity';
import { Refund } from '../refunds/refund.entity';
import { Settlement } from '../settlements/settlement.entity';

/** The rows of one order's payments, each list oldest first, all from one snapshot. */
export interface OrderRows {
  authorizations: Authorization[];
  settlements: Settlement[];
  refunds: Refund[];
  fulfillments: GiftCardFulfillment[];
  events: PaymentEvent[];
}

/**
 * The read model of `GET /v1/orders/{orderId}/payments`: what the payments, refunds and fulfillments modules
 * wrote for one order. The abstract class is the Nest token; `PgOrderViewRepository` reads PostgreSQL,
 * `InMemoryOrderViewRepository` is the fake of the unit tests.
 */
export abstract class OrderViewRepository {
  /** Reads the order's authorizations, settlements, refunds, fulfillments and history in one consistent snapshot. */
  abstract rowsOf(orderId: string): Promise<OrderRows>;
}

@Injectable()
export class PgOrderViewRepository extends OrderViewRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly history: HistoryService,
  ) {
    super();
  }

  // REPEATABLE READ: totals that add up across the five reads, even while a settlement or refund commits in between.
  rowsOf(orderId: string): Promise<OrderRows> {
    return this.dataSource.transaction('REPEATABLE READ', async (m) => ({
      authorizations: await m.getRepository(Authorization).find({ where: { orderId }, order: { createdAt: 'ASC' } }),
      settlements: await m.getRepository(Settlement).find({ where: { orderId }, order: { createdAt: 'ASC' } }),
      refunds: await m.getRepository(Refund).find({ where: { orderId }, order: { createdAt: 'ASC' } }),
      fulfillments: await m.getRepository(GiftCardFulfillment).find({ where: { orderId }, order: { createdAt: 'ASC' } }),
      events: await this.history.forOrder(m, orderId),
    }));
  }
}
