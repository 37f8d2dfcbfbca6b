import { Module } from '@nestjs/common';
import { AdapterConfig } from '../config/adapter.config';
import { FulfillmentsModule } from '../fulfillments/fulfillments.module';
import { PaymentsModule } from '../payments.module';
import { RefundsModule } from '../refunds/refunds.module';
import { SettlementJobModule } from '../settlement-job/settlement-job.module';
import { RecoveryClaims } from './recovery-claims';
import { RecoveryController } from './recovery.controller';
import { PgRecoveryRepository, RecoveryRepository } from './recovery.repository';
import { RecoveryMetrics } from './recovery.metrics';
import { RecoveryScheduler } from './recovery.scheduler';
import { RecoverySettings } from './recovery.settings';
import { RecoverySweep } from './recovery-sweep.service';
import { UnresolvedTransactions } from './unresolved-transactions';
import { OperatorResolutions } from './operator-resolutions';

/** Rule 5: the scheduled sweep of provider calls with unknown outcomes, and its operator endpoints. */
@Module({
  imports: [PaymentsModule, RefundsModule, FulfillmentsModule, SettlementJobModule],
  controllers: [RecoveryController],
  providers: [
    { provide: RecoverySettings, inject: [AdapterConfig], useFactory: RecoverySettings.from },
    { provide: RecoveryRepository, useClass: PgRecoveryRepository },
    RecoveryClaims,
    RecoverySweep,
    RecoveryMetrics,
    UnresolvedTransactions,
    OperatorResolutions,
    RecoveryScheduler,
  ],
  exports: [RecoverySweep, RecoveryMetrics],
})
export class RecoveryModule {}
