import { Module } from '@nestjs/common';
import { AdapterConfig } from '../config/adapter.config';
import { PaymentsModule } from '../payments.module';
import { PgSettlementsRepository, SettlementsRepository } from '../settlements/settlements.repository';
import { CronSchedule } from './cron-schedule';
import { PgSettlementClaims, SettlementClaims } from './settlement-claims.repository';
import { SettlementJobMetrics } from './settlement-job.metrics';
import { SettlementJobScheduler } from './settlement-job.scheduler';
import { SettlementJob } from './settlement-job.service';
import { SettlementJobSettings } from './settlement-job.settings';
import { SettlementOperationsController } from './settlement-operations.controller';
import { SettlementOperations } from './settlement-operations.service';

/** Rule 3: the scheduled batch settlement job, and the operator's endpoints around it. */
@Module({
  imports: [PaymentsModule],
  controllers: [SettlementOperationsController],
  providers: [
    { provide: SettlementJobSettings, inject: [AdapterConfig], useFactory: SettlementJobSettings.from },
    { provide: SettlementClaims, useClass: PgSettlementClaims },
    SettlementJob,
    SettlementJobMetrics,
    { provide: SettlementsRepository, useClass: PgSettlementsRepository },
    SettlementOperations,
    CronSchedule,
    SettlementJobScheduler,
  ],
  exports: [SettlementJob, SettlementJobMetrics, CronSchedule],
})
export class SettlementJobModule {}
