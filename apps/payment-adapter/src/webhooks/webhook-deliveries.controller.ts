import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { OperatorOperation } from '../auth/api-key.guard';
import { uuidPipe } from '../authorizations/authorizations.controller';
import { notFound } from '../common/domain-errors';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { WebhookDeliveryPageResponse, WebhookDeliveryResponse } from '../openapi/responses';
import { ListWebhookDeliveriesQuery } from './dto/webhook-delivery-list.dto';
import { WebhookDeliveries } from './webhook-deliveries.repository';
import { webhookDeliveryView } from './webhook-delivery.view';
import { WebhookSettings } from './webhook.settings';

@ApiTags('webhook deliveries')
@ApiBearerAuth()
@Controller('v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly settings: WebhookSettings,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The outbox of notifications sent to the OMS (WEBHOOK_URL), oldest first, with attempts and the last answer; paged' })
  @ApiResponse({ status: 200, type: WebhookDeliveryPageResponse })
  async list(@Query() query: ListWebhookDeliveriesQuery) {
    const limit = query.limit ?? 50;
    const rows = await this.deliveries.list(query.status, limit + 1, query.cursor);
    const items = rows.slice(0, limit);
    return { items: items.map(webhookDeliveryView), nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  @Post(':id/redeliveries')
  @HttpCode(202)
  @OperatorOperation()
  @Idempotent('optional')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Optional: asking twice never sends twice. With a key, a retry replays the first answer' })
  @ApiOperation({
    summary: 'Queue a FAILED delivery again: due now, with a new retry window (WEBHOOK_RETRY_FOR_SECONDS)',
    description:
      'Safe to repeat: a delivery PENDING (on its way) or DELIVERED (answered 2xx) is left as it is and answered as it stands, ' +
      'so a retry of this request never sends twice. Operator and payments keys.',
  })
  @ApiResponse({ status: 202, type: WebhookDeliveryResponse, description: 'The delivery: PENDING once queued again (or DELIVERED, when it already was)' })
  async redeliver(@Param('id', uuidPipe()) id: string) {
    const delivery = await this.deliveries.requeue(id, this.settings.retryForMs);
    if (!delivery) throw notFound('webhook delivery', id);
    return webhookDeliveryView(delivery);
  }
}
