import { Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { NewPaymentEvent, PaymentEvent } from './payment-event.entity';

@Injectable()
export class HistoryService {
  constructor(@Optional() private readonly outbox?: WebhookOutbox) {}

  /**
   * Appends events in the caller's unit of work, so a state change and its record commit together; the
   * notifications the OMS gets of them (the webhook outbox) are written in the same unit.
   */
  async append(manager: EntityManager, ...events: NewPaymentEvent[]): Promise<void> {
    if (events.length === 0) return;
    const result = await manager.getRepository(PaymentEvent).insert(events as Array<Partial<PaymentEvent>> as never);
    if (this.outbox) await this.outbox.write(manager, events.map((event, i) => ({ ...event, id: String(result.identifiers[i].id) })));
  }

  forOrder(manager: EntityManager, orderId: string): Promise<PaymentEvent[]> {
    return manager.getRepository(PaymentEvent).find({ where: { orderId }, order: { id: 'ASC' } });
  }
}
