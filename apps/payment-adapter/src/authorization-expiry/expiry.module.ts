import { Module } from '@nestjs/common';
import { AdapterConfig } from '../config/adapter.config';
import { PaymentsModule } from '../payments.module';
import { SettlementJobModule } from '../settlement-job/settlement-job.module';
import { ExpiryController } from './expiry.controller';
import { ExpiryJob } from './expiry-job.service';
import { ExpiryRepository, PgExpiryRepository } from './expiry.repository';
import { ExpiryScheduler } from './expiry.scheduler';
import { ExpirySettings } from './expiry.settings';

/** Hold expiry and re-authorization (issue 17): its own cron, like the settlement and reconciliation jobs. */
@Module({
  imports: [PaymentsModule, SettlementJobModule],
  controllers: [ExpiryController],
  providers: [
    { provide: ExpirySettings, inject: [AdapterConfig], useFactory: ExpirySettings.from },
    { provide: ExpiryRepository, useClass: PgExpiryRepository },
    ExpiryJob,
    ExpiryScheduler,
  ],
})
export class ExpiryModule {}
