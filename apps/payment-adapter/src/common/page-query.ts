import { ToInt } from '@gcpa/config';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

/** The paging fields every list endpoint takes: a page size and the previous page's `nextCursor`. */
export class PageQuery {
  @ApiPropertyOptional({ example: 50, default: 50, minimum: 1, maximum: 500 })
  @IsOptional() @ToInt() @IsInt() @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @IsUUID()
  cursor?: string;
}
