import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/page-query';

export class ListSettlementsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['OPEN', 'PROCESSING', 'SETTLED', 'FAILED'], example: 'FAILED' })
  @IsOptional() @IsIn(['OPEN', 'PROCESSING', 'SETTLED', 'FAILED'])
  status?: 'OPEN' | 'PROCESSING' | 'SETTLED' | 'FAILED';

  @ApiPropertyOptional({ enum: ['sync', 'batch'] })
  @IsOptional() @IsIn(['sync', 'batch'])
  mode?: 'sync' | 'batch';

  @ApiPropertyOptional({ example: 'ORD-10042' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200)
  orderId?: string;
}
