import { Module } from '@nestjs/common';
import { AdapterConfig } from '../config/adapter.config';
import { PaymentsModule } from '../payments.module';
import { SettlementJobModule } from '../settlement-job/settlement-job.module';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { ReconciliationService } from './reconciliation.service';
import { ReconciliationSettings } from './reconciliation.settings';

/** The reconciliation job (issue 15, item 3): the provider's card state and history against our records, by its own cron. */
@Module({
  imports: [PaymentsModule, SettlementJobModule],
  controllers: [ReconciliationController],
  providers: [
    { provide: ReconciliationSettings, inject: [AdapterConfig], useFactory: ReconciliationSettings.from },
    ReconciliationRepository,
    ReconciliationService,
    ReconciliationScheduler,
  ],
})
export class ReconciliationModule {}
