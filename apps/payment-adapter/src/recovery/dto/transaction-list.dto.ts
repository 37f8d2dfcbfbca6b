import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/page-query';

export class ListTransactionsQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: ['UNKNOWN', 'CHECKING'],
    default: 'UNKNOWN',
    description: 'UNKNOWN: still unresolved after the last automatic check (an operator decides); CHECKING: unresolved, the sweep will check again',
  })
  @IsOptional() @IsIn(['UNKNOWN', 'CHECKING'])
  outcome?: 'UNKNOWN' | 'CHECKING';
}
