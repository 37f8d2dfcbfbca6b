import { Body, Controller, HttpCode, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ReadOnlyOperation } from '../auth/api-key.guard';
import { CardEnumerationGuard } from '../security/card-enumeration.guard';
import { BalanceInquiryResponse } from '../openapi/responses';
import { FailedLookupInterceptor } from '../security/failed-lookups';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { BalanceInquiriesService } from './balance-inquiries.service';
import { BalanceInquiryDto } from './dto/balance-inquiry.dto';

@ApiTags('balance inquiries')
@ApiBearerAuth()
@Controller('v1/balance-inquiries')
export class BalanceInquiriesController {
  constructor(private readonly balances: BalanceInquiriesService) {}

  @Post()
  @HttpCode(200)
  @ReadOnlyOperation()
  @UseGuards(CardEnumerationGuard)
  @UseInterceptors(FailedLookupInterceptor)
  @Idempotent('optional')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Optional: a balance check moves no money. With a key, a retry replays the first answer' })
  @ApiOperation({
    summary: 'Check what a gift card can pay of an order: available balance, applicable and remaining amounts',
    description:
      'applicableAmount = min(requestedAmount, availableBalance); remainingAmount = requestedAmount − applicableAmount, ' +
      'what the order still needs from another tender. Without requestedAmount, applicableAmount = availableBalance and remainingAmount = "0.00". ' +
      'Nothing is held: a hold placed afterwards may still come back partially approved.',
  })
  @ApiBody({
    type: BalanceInquiryDto,
    examples: {
      forAnOrder: { summary: 'How much of 60.00 can this card pay?', value: { cardNumber: '6000000000000001', pin: '1234', currency: 'USD', requestedAmount: '60.00' } },
      balanceOnly: { summary: 'Balance only', value: { cardNumber: '6000000000000002', currency: 'USD' } },
    },
  })
  @ApiResponse({
    status: 200,
    description: 'The balance, applied to the request',
    type: BalanceInquiryResponse,
  })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED: every bad field named in details.fields' })
  @ApiResponse({ status: 422, description: 'Declined by the provider; code is the reason: CARD_NOT_FOUND, INVALID_PIN, CARD_INACTIVE, CURRENCY_MISMATCH' })
  @ApiResponse({ status: 429, description: 'RATE_LIMITED (per key / per card, see Retry-After) or CARD_LOCKED after repeated wrong PINs' })
  @ApiResponse({ status: 503, description: 'PROVIDER_UNAVAILABLE: nothing is known about the card right now; ask again' })
  inquire(@Body() body: BalanceInquiryDto) {
    return this.balances.inquire(body);
  }
}
