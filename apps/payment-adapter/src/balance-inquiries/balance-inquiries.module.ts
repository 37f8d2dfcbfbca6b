import { Module } from '@nestjs/common';
import { PaymentsModule } from '../payments.module';
import { BalanceInquiriesController } from './balance-inquiries.controller';
import { BalanceInquiriesService } from './balance-inquiries.service';

/** `POST /v1/balance-inquiries`: the provider (global ProviderModule), the card vault and the PIN lockout. */
@Module({
  imports: [PaymentsModule],
  controllers: [BalanceInquiriesController],
  providers: [BalanceInquiriesService],
})
export class BalanceInquiriesModule {}
