import { Body, Controller, HttpCode, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ReadOnlyOperation } from '../auth/api-key.guard';
import { CardEnumerationGuard } from '../security/card-enumeration.guard';
import { BalanceInquiryResponse, CardsInquiryResponse } from '../openapi/responses';
import { FailedLookupInterceptor } from '../security/failed-lookups';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiHeader, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { MAX_CARDS_PER_INQUIRY } from './balance-inquiry';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { BalanceInquiriesService } from './balance-inquiries.service';
import { BalanceInquiryDto } from './dto/balance-inquiry.dto';

@ApiTags('balance inquiries')
@ApiExtraModels(BalanceInquiryResponse, CardsInquiryResponse)
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
    summary: 'Check what a gift card (or several) can pay of an order: available balance, applicable and remaining amounts',
    description:
      'applicableAmount = min(requestedAmount, availableBalance); remainingAmount = requestedAmount − applicableAmount, ' +
      'what the order still needs from another tender. Without requestedAmount, applicableAmount = availableBalance and remainingAmount = "0.00". ' +
      'Nothing is held: a hold placed afterwards may still come back partially approved. ' +
      `With cards (1 to ${MAX_CARDS_PER_INQUIRY}, each once) instead of cardNumber, and requestedAmount: the cards are applied in the order given, ` +
      'each for min(what is still needed, its available balance); appliedAmount is their sum, remainingAmount what is left for another tender. ' +
      'Each card is read as a single card is (PIN policy, PIN lockout, failed-lookup limit); the first card that cannot be read ends the ' +
      'inquiry with its error, details.field naming it (cards.1).',
  })
  @ApiBody({
    type: BalanceInquiryDto,
    examples: {
      forAnOrder: { summary: 'How much of 60.00 can this card pay?', value: { cardNumber: '6000000000000001', pin: '1234', currency: 'USD', requestedAmount: '60.00' } },
      balanceOnly: { summary: 'Balance only', value: { cardNumber: '6000000000000002', currency: 'USD' } },
      severalCards: {
        summary: 'How much of 60.00 can these cards pay, in this order?',
        value: { currency: 'USD', requestedAmount: '60.00', cards: [{ cardNumber: '6000000000000002', pin: '2222' }, { cardNumber: '6000000000000001', pin: '1234' }] },
      },
    },
  })
  @ApiResponse({
    status: 200,
    description: 'The balance, applied to the request (one card), or the cards applied in order (cards)',
    schema: { oneOf: [{ $ref: getSchemaPath(BalanceInquiryResponse) }, { $ref: getSchemaPath(CardsInquiryResponse) }] },
  })
  @ApiResponse({ status: 400, description: `VALIDATION_FAILED: every bad field named in details.fields (cards.1.pin); both or neither of cardNumber and cards, an empty list, more than ${MAX_CARDS_PER_INQUIRY} cards, a card listed twice` })
  @ApiResponse({ status: 422, description: 'Declined by the provider; code is the reason: CARD_NOT_FOUND, INVALID_PIN, CARD_INACTIVE, CURRENCY_MISMATCH' })
  @ApiResponse({ status: 429, description: 'RATE_LIMITED (per key / per card, see Retry-After) or CARD_LOCKED after repeated wrong PINs' })
  @ApiResponse({ status: 503, description: 'PROVIDER_UNAVAILABLE: nothing is known about the card right now; ask again' })
  inquire(@Body() body: BalanceInquiryDto) {
    return this.balances.inquire(body);
  }
}
