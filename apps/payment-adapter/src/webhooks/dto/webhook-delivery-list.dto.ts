import { ToInt } from '@gcpa/config';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export class ListWebhookDeliveriesQuery {
  @ApiPropertyOptional({
    enum: ['PENDING', 'DELIVERED', 'FAILED'],
    description: 'FAILED: not answered 2xx within WEBHOOK_RETRY_FOR_SECONDS (redeliver them); PENDING: queued or being retried. Omitted: all',
  })
  @IsOptional() @IsIn(['PENDING', 'DELIVERED', 'FAILED'])
  status?: 'PENDING' | 'DELIVERED' | 'FAILED';

  @ApiPropertyOptional({ example: 50, default: 50, minimum: 1, maximum: 500 })
  @IsOptional() @ToInt() @IsInt() @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @IsUUID()
  cursor?: string;
}
