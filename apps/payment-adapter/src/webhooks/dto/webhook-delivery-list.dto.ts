import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/page-query';

export class ListWebhookDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: ['PENDING', 'DELIVERED', 'FAILED'],
    description: 'FAILED: not answered 2xx within WEBHOOK_RETRY_FOR_SECONDS (redeliver them); PENDING: queued or being retried. Omitted: all',
  })
  @IsOptional() @IsIn(['PENDING', 'DELIVERED', 'FAILED'])
  status?: 'PENDING' | 'DELIVERED' | 'FAILED';
}
