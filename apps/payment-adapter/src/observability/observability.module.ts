import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AdapterConfig } from '../config/adapter.config';
import { loggingParams } from './logging';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';

/** Logs (pino, masked) and metrics (Prometheus at /metrics), available to every module. */
@Global()
@Module({
  imports: [LoggerModule.forRootAsync({ inject: [AdapterConfig], useFactory: loggingParams })],
  controllers: [MetricsController],
  providers: [Metrics],
  exports: [Metrics],
})
export class ObservabilityModule {}
