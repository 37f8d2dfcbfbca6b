import { Module } from '@nestjs/common';
import { FulfillmentsModule } from '../fulfillments/fulfillments.module';
import { PaymentsModule } from '../payments.module';
import { RefundLock } from './refund-lock';
import { RefundsController } from './refunds.controller';
import { PgRefundsRepository, RefundsRepository } from './refunds.repository';
import { RefundsService } from './refunds.service';

/** `POST /v1/refunds`. Exports RefundsService for the order view and the recovery sweep (`resolvePending`). */
@Module({
  imports: [PaymentsModule, FulfillmentsModule],
  controllers: [RefundsController],
  providers: [RefundsService, RefundLock, { provide: RefundsRepository, useClass: PgRefundsRepository }],
  exports: [RefundsService],
})
export class RefundsModule {}
