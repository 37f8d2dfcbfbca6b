import { Module } from '@nestjs/common';
import { AdapterConfig } from '../config/adapter.config';
import { PaymentsModule } from '../payments.module';
import { FulfillmentsController } from './fulfillments.controller';
import { FulfillmentsRepository, PgFulfillmentsRepository } from './fulfillments.repository';
import { FULFILLMENT_CARD_SET_ID, FulfillmentsService } from './fulfillments.service';

/** Gift card fulfillment (rule 6): allocate, activate and issue cards for OMS order lines. */
@Module({
  imports: [PaymentsModule],
  controllers: [FulfillmentsController],
  providers: [
    { provide: FULFILLMENT_CARD_SET_ID, inject: [AdapterConfig], useFactory: (c: AdapterConfig) => c.FULFILLMENT_CARD_SET_ID },
    { provide: FulfillmentsRepository, useClass: PgFulfillmentsRepository },
    FulfillmentsService,
  ],
  exports: [FulfillmentsService],
})
export class FulfillmentsModule {}
