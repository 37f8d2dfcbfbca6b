import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest, OperatorOperation } from '../auth/api-key.guard';
import { actorOf, uuidPipe } from '../authorizations/authorizations.controller';
import { CreateResolutionDto } from './dto/resolution.dto';
import { ListTransactionsQuery } from './dto/transaction-list.dto';
import { OperatorResolutions } from './operator-resolutions';
import { RecoverySweep } from './recovery-sweep.service';
import { UnresolvedTransactions } from './unresolved-transactions';
import { RecoveryRunReportResponse, TransactionPageResponse, TransactionResponse } from '../openapi/responses';

@ApiTags('recovery')
@ApiBearerAuth()
@Controller('v1')
export class RecoveryController {
  constructor(
    private readonly sweep: RecoverySweep,
    private readonly transactions: UnresolvedTransactions,
    private readonly resolutions: OperatorResolutions,
  ) {}

  @Get('transactions')
  @ApiOperation({ summary: 'Provider calls whose outcome is unknown: UNKNOWN (given up, for an operator) or CHECKING; paged' })
  @ApiResponse({ status: 200, type: TransactionPageResponse })
  list(@Query() query: ListTransactionsQuery) {
    return this.transactions.list(query);
  }

  @Post('transactions/:id/checks')
  @HttpCode(200)
  @OperatorOperation()
  @ApiOperation({ summary: 'Check a given-up UNKNOWN call again from scratch (attempts reset, due now); the next sweep looks it up' })
  @ApiResponse({ status: 200, type: TransactionResponse, description: 'The call, CHECKING' })
  @ApiResponse({ status: 422, description: 'TRANSACTION_NOT_UNKNOWN: resolved, or still being checked' })
  recheck(@Param('id', uuidPipe()) id: string) {
    return this.resolutions.recheck(id);
  }

  @Post('transactions/:id/resolutions')
  @HttpCode(200)
  @OperatorOperation('only')
  @ApiOperation({
    summary: "An operator's decision on an unresolved call (UNKNOWN or CHECKING): it happened at the provider, or it did not",
    description:
      'Audited in the order\'s payment history (TRANSACTION_RESOLVED_BY_OPERATOR, with the reason and the key name), recorded on the call as a look-up would, ' +
      'then completed by the same code as an automatic resolution: a hold found is adopted or released, a redeem recorded as settled or re-queued, a refund or fulfillment finished. Needs an operator key.',
  })
  @ApiBody({ type: CreateResolutionDto, examples: { applied: { value: { applied: true, reason: 'Clutch portal shows the hold on this card', transactionId: 'hold_8c1f' } }, notApplied: { value: { applied: false, reason: 'Not in the card history at Clutch' } } } })
  @ApiResponse({ status: 200, type: TransactionResponse, description: 'The call as recorded now, with the decision and whether its completion ran (completed)' })
  @ApiResponse({ status: 403, description: 'FORBIDDEN: not an operator key' })
  @ApiResponse({ status: 409, description: 'TRANSACTION_BUSY: resolved by someone else meanwhile' })
  @ApiResponse({ status: 422, description: 'TRANSACTION_NOT_UNKNOWN (already resolved), TRANSACTION_ID_REQUIRED (an applied HOLD names its provider id)' })
  resolve(@Param('id', uuidPipe()) id: string, @Body() body: CreateResolutionDto, @Req() request: AuthenticatedRequest) {
    return this.resolutions.resolve(id, body, actorOf(request));
  }

  @Post('recovery-runs')
  @HttpCode(200)
  @OperatorOperation()
  @ApiOperation({ summary: 'Run the recovery sweep now; answers {checked, resolved, retried, gaveUp, unresolved, durationMs}' })
  @ApiResponse({ status: 200, type: RecoveryRunReportResponse })
  run() {
    return this.sweep.run();
  }
}
