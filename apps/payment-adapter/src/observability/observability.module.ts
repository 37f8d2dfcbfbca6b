import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AdapterConfig } from '../config/adapter.config';
import { BacklogRepository, PgBacklogRepository } from './backlog.repository';
import { loggingParams } from './logging';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';

/** Logs (pino, masked) and metrics (Prometheus at /metrics), available to every module. */
@Global()
@Module({
  imports: [LoggerModule.forRootAsync({ inject: [AdapterConfig], useFactory: loggingParams })],
  controllers: [MetricsController],
  providers: [Metrics, { provide: BacklogRepository, useClass: PgBacklogRepository }],
  exports: [Metrics],
})
export class ObservabilityModule {}
