import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/api-key.guard';
import { ProviderHealthIndicator } from '../provider/provider.health-indicator';
import { HealthResponse, LivenessResponse } from '../openapi/responses';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly provider: ProviderHealthIndicator,
  ) {}

  /** Liveness: the process answers. Orchestrators restart it when this fails. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up (no dependency is checked)' })
  @ApiResponse({ status: 200, type: LivenessResponse })
  live() {
    return { status: 'ok' };
  }

  /** Readiness, also at /health: the database answers and the provider accepts an authenticated call. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: database and provider reachable (same as /health)' })
  @ApiResponse({ status: 200, type: HealthResponse })
  @ApiResponse({ status: 503, type: HealthResponse, description: 'Not ready: error names the check that failed (database, provider; an open circuit is down)' })
  ready() {
    return this.check();
  }

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Ready when the database answers and the stored-value provider accepts an authenticated call' })
  @ApiResponse({ status: 200, type: HealthResponse })
  @ApiResponse({ status: 503, type: HealthResponse, description: 'Not ready: error names the check that failed (database, provider; an open circuit is down)' })
  check() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      () => this.provider.isHealthy('provider'),
    ]);
  }
}
