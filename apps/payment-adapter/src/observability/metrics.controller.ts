import { GIFT_CARD_PROVIDER, GiftCardProvider } from '@gcpa/gift-card-provider';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '../auth/api-key.guard';
import { Metrics } from './metrics';

const CIRCUIT_LEVEL: Record<string, number> = { closed: 0, halfOpen: 1, 'half-open': 1, open: 2, isolated: 2 };

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly dataSource: DataSource,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider & { circuitState?: string },
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM settlement WHERE status = 'OPEN' AND mode = 'batch') AS backlog,
              (SELECT count(*) FROM provider_call WHERE outcome IN ('PENDING', 'UNKNOWN')) AS unresolved`,
    );
    this.metrics.settlementBacklog.set(Number(row.backlog));
    this.metrics.unresolvedProviderCalls.set(Number(row.unresolved));
    if (this.provider.circuitState !== undefined) this.metrics.circuitOpen.set(CIRCUIT_LEVEL[this.provider.circuitState] ?? 0);
    return this.metrics.registry.metrics();
  }
}
