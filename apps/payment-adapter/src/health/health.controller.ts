import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HttpHealthIndicator, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AdapterConfig } from '../config/adapter.config';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly http: HttpHealthIndicator,
    private readonly config: AdapterConfig,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Ready when the database answers and the stored-value provider is reachable' })
  check() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      // Any HTTP answer proves the provider is reachable; its merchant API has no health method.
      () => this.http.responseCheck('provider', this.config.clutchBaseUrl, () => true, { timeout: 2000 }),
    ]);
  }
}
