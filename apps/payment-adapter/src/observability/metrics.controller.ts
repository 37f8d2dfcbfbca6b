import { GIFT_CARD_PROVIDER, GiftCardProvider } from '@gcpa/gift-card-provider';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/api-key.guard';
import { BacklogRepository } from './backlog.repository';
import { Metrics } from './metrics';

const CIRCUIT_LEVEL: Record<string, number> = { closed: 0, halfOpen: 1, 'half-open': 1, open: 2, isolated: 2 };

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly backlog: BacklogRepository,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider & { circuitState?: string },
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const backlog = await this.backlog.counts();
    this.metrics.settlementBacklog.set(backlog.settlements);
    this.metrics.unresolvedProviderCalls.set(backlog.unresolvedCalls);
    if (this.provider.circuitState !== undefined) this.metrics.circuitOpen.set(CIRCUIT_LEVEL[this.provider.circuitState] ?? 0);
    return this.metrics.registry.metrics();
  }
}
