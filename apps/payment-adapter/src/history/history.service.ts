import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { NewPaymentEvent, PaymentEvent } from './payment-event.entity';

@Injectable()
export class HistoryService {
  /** Appends events in the caller's unit of work, so a state change and its record commit together. */
  async append(manager: EntityManager, ...events: NewPaymentEvent[]): Promise<void> {
    if (events.length === 0) return;
    await manager.getRepository(PaymentEvent).insert(events as Array<Partial<PaymentEvent>> as never);
  }

  forOrder(manager: EntityManager, orderId: string): Promise<PaymentEvent[]> {
    return manager.getRepository(PaymentEvent).find({ where: { orderId }, order: { id: 'ASC' } });
  }
}
