import { Module } from '@nestjs/common';
import { BalanceInquiriesController } from './balance-inquiries.controller';
import { BalanceInquiriesService } from './balance-inquiries.service';

/** `POST /v1/balance-inquiries`: the provider (global ProviderModule) is all it needs. */
@Module({
  controllers: [BalanceInquiriesController],
  providers: [BalanceInquiriesService],
})
export class BalanceInquiriesModule {}
