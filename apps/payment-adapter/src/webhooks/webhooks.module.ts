import { Module } from '@nestjs/common';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookMetrics } from './webhook.metrics';
import { WebhookSender } from './webhook-sender';
import { PaymentsModule } from '../payments.module';

/**
 * Notifications to the OMS (issue 17): the outbox is written by HistoryService (PaymentsModule) in the unit
 * of work of each change; this module sends it (WebhookSender) and lists and re-queues deliveries.
 */
@Module({
  imports: [PaymentsModule],
  controllers: [WebhookDeliveriesController],
  providers: [WebhookMetrics, WebhookSender],
})
export class WebhooksModule {}
