import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest, OperatorOperation } from '../auth/api-key.guard';
import { actorOf, IdempotencyHeader, uuidPipe } from '../authorizations/authorizations.controller';
import { settlementView } from '../authorizations/authorization.view';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ListSettlementsQuery } from './dto/settlement-list.dto';
import { SettlementJob } from './settlement-job.service';
import { SettlementOperations } from './settlement-operations.service';
import { SettlementPageResponse, SettlementResponse, SettlementRunReportResponse } from '../openapi/responses';

@ApiTags('settlement job')
@ApiBearerAuth()
@Controller('v1')
export class SettlementOperationsController {
  constructor(
    private readonly operations: SettlementOperations,
    private readonly job: SettlementJob,
  ) {}

  @Get('settlements')
  @ApiOperation({ summary: 'List settlements by status (e.g. FAILED with their failureReason), oldest first, paged' })
  @ApiResponse({ status: 200, type: SettlementPageResponse })
  async list(@Query() query: ListSettlementsQuery) {
    const page = await this.operations.list(query);
    return { items: page.items.map(settlementView), nextCursor: page.nextCursor };
  }

  @Post('settlements/:id/retry')
  @HttpCode(200)
  @OperatorOperation()
  @Idempotent()
  @IdempotencyHeader()
  @ApiOperation({ summary: 'Put a FAILED batch settlement back in the queue (OPEN, attempts reset, due now)' })
  @ApiResponse({ status: 200, type: SettlementResponse, description: 'The settlement, OPEN' })
  @ApiResponse({ status: 422, description: 'SETTLEMENT_NOT_FAILED, SETTLEMENT_NOT_BATCH' })
  async retry(@Param('id', uuidPipe()) id: string, @Req() request: AuthenticatedRequest) {
    return settlementView(await this.operations.retry(id, actorOf(request)));
  }

  @Post('settlement-runs')
  @HttpCode(200)
  @OperatorOperation()
  @ApiOperation({ summary: 'Run the batch settlement job now, until nothing is due; answers the run\'s counts' })
  @ApiResponse({ status: 200, type: SettlementRunReportResponse })
  run() {
    return this.job.run();
  }
}
