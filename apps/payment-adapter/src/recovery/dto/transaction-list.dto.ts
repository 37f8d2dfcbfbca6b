import { ToInt } from '@gcpa/config';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export class ListTransactionsQuery {
  @ApiPropertyOptional({
    enum: ['UNKNOWN', 'CHECKING'],
    default: 'UNKNOWN',
    description: 'UNKNOWN: still unresolved after the last automatic check (an operator decides); CHECKING: unresolved, the sweep will check again',
  })
  @IsOptional() @IsIn(['UNKNOWN', 'CHECKING'])
  outcome?: 'UNKNOWN' | 'CHECKING';

  @ApiPropertyOptional({ example: 50, default: 50, minimum: 1, maximum: 500 })
  @IsOptional() @ToInt() @IsInt() @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @IsUUID()
  cursor?: string;
}
