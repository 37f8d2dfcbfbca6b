import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { uuidPipe } from '../authorizations/authorizations.controller';
import { businessRule, notFound } from '../common/domain-errors';
import { DataSource } from 'typeorm';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ListTransactionsQuery } from './dto/transaction-list.dto';
import { RecoveryClaims } from './recovery-claims';
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
    private readonly claims: RecoveryClaims,
    private readonly dataSource: DataSource,
  ) {}

  @Get('transactions')
  @ApiOperation({ summary: 'Provider calls whose outcome is unknown: UNKNOWN (given up, for an operator) or CHECKING; paged' })
  @ApiResponse({ status: 200, type: TransactionPageResponse })
  list(@Query() query: ListTransactionsQuery) {
    return this.transactions.list(query);
  }

  @Post('transactions/:id/checks')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check a given-up UNKNOWN call again from scratch (attempts reset, due now); the next sweep looks it up' })
  @ApiResponse({ status: 200, type: TransactionResponse, description: 'The call, CHECKING' })
  @ApiResponse({ status: 422, description: 'TRANSACTION_NOT_UNKNOWN: resolved, or still being checked' })
  async recheck(@Param('id', uuidPipe()) id: string) {
    const call = await this.dataSource.getRepository(ProviderCall).findOneBy({ id });
    if (!call) throw notFound('transaction', id);
    if (!(await this.claims.rearm(id))) {
      throw businessRule('TRANSACTION_NOT_UNKNOWN', `Transaction ${id} is not waiting for an operator (outcome ${call.outcome})`);
    }
    return this.transactions.view((await this.dataSource.getRepository(ProviderCall).findOneBy({ id }))!);
  }

  @Post('recovery-runs')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run the recovery sweep now; answers {checked, resolved, retried, gaveUp, unresolved, durationMs}' })
  @ApiResponse({ status: 200, type: RecoveryRunReportResponse })
  run() {
    return this.sweep.run();
  }
}
