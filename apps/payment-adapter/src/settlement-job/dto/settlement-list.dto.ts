import { ToInt } from '@gcpa/config';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';

export class ListSettlementsQuery {
  @ApiPropertyOptional({ enum: ['OPEN', 'PROCESSING', 'SETTLED', 'FAILED'], example: 'FAILED' })
  @IsOptional() @IsIn(['OPEN', 'PROCESSING', 'SETTLED', 'FAILED'])
  status?: 'OPEN' | 'PROCESSING' | 'SETTLED' | 'FAILED';

  @ApiPropertyOptional({ enum: ['sync', 'batch'] })
  @IsOptional() @IsIn(['sync', 'batch'])
  mode?: 'sync' | 'batch';

  @ApiPropertyOptional({ example: 'ORD-10042' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200)
  orderId?: string;

  @ApiPropertyOptional({ example: 50, default: 50, minimum: 1, maximum: 500 })
  @IsOptional() @ToInt() @IsInt() @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @IsUUID()
  cursor?: string;
}
