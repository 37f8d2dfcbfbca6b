import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { HistoryFacts, webhookData, webhookTypeOf } from './webhook-events';
import { NewDelivery, WebhookDeliveries } from './webhook-deliveries.repository';
import { WebhookSettings } from './webhook.settings';

/**
 * Writes the notification of each history event the OMS is told about (webhookTypeOf) into the outbox, in the
 * unit of work that appends the event: every state change already records its event there, so the change and
 * its notification commit together. Without WEBHOOK_URL nothing is written (nothing would ever send it; the
 * payment history keeps every event anyway).
 */
@Injectable()
export class WebhookOutbox {
  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly settings: WebhookSettings,
  ) {}

  async write(manager: EntityManager, events: Array<HistoryFacts & { id: string }>): Promise<void> {
    if (!this.settings.enabled) return;
    const rows: NewDelivery[] = [];
    for (const event of events) {
      const type = webhookTypeOf(event);
      if (!type) continue;
      const id = randomUUID();
      const cardLast4 = await this.deliveries.cardLast4(manager, event);
      rows.push({
        id,
        paymentEventId: event.id,
        orderId: event.orderId,
        type,
        payload: { id, type, createdAt: new Date().toISOString(), data: webhookData(event, cardLast4) },
      });
    }
    if (rows.length > 0) await this.deliveries.enqueue(manager, rows, this.settings.retryForMs);
  }
}
