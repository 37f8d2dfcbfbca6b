import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { OperatorOperation } from '../auth/api-key.guard';
import { uuidPipe } from '../authorizations/authorizations.controller';
import { notFound } from '../common/domain-errors';
import { ReconciliationRunResponse } from './dto/reconciliation-run.response';
import { reconciliationRunView } from './reconciliation-run.view';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationService } from './reconciliation.service';

@ApiTags('reconciliation')
@ApiBearerAuth()
@Controller('v1/reconciliation-runs')
export class ReconciliationController {
  constructor(
    private readonly reconciliation: ReconciliationService,
    private readonly runs: ReconciliationRepository,
  ) {}

  @Post()
  @HttpCode(200)
  @OperatorOperation()
  @ApiOperation({ summary: "Run the reconciliation job now (the provider's card state and history against our records); answers the run" })
  @ApiResponse({ status: 200, type: ReconciliationRunResponse })
  async run() {
    return this.read(await this.reconciliation.run('request'));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A reconciliation run: its window, cards checked, holds released, and the differences listed for operators' })
  @ApiResponse({ status: 200, type: ReconciliationRunResponse })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: no such run' })
  async read(@Param('id', uuidPipe()) id: string) {
    const run = await this.runs.findRun(id);
    if (!run) throw notFound('reconciliation run', id);
    return reconciliationRunView(run, await this.runs.differencesOf(id));
  }
}
