import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { OperatorOperation } from '../auth/api-key.guard';
import { ExpiryRunReportResponse } from '../openapi/responses';
import { ExpiryJob } from './expiry-job.service';

@ApiTags('hold expiry')
@ApiBearerAuth()
@Controller('v1/expiry-runs')
export class ExpiryController {
  constructor(private readonly job: ExpiryJob) {}

  @Post()
  @HttpCode(200)
  @OperatorOperation()
  @ApiOperation({ summary: 'Run the hold expiry job now (re-authorize holds near their expiry, release and close expired ones); answers the run\'s counts' })
  @ApiResponse({ status: 200, type: ExpiryRunReportResponse })
  run() {
    return this.job.run();
  }
}
