import { Body, Controller, Get, Param, Post, Req } from '@nestjs/common';
import { IdempotencyKey } from '../common/idempotency-key';
import { HttpResult } from '../common/http-result';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest } from '../auth/api-key.guard';
import { actorOf, IdempotencyHeader, uuidPipe } from '../authorizations/authorizations.controller';
import { Idempotent, resourceIdempotencyKey } from '../idempotency/idempotency.interceptor';
import { CreateRefundDto } from './dto/refund.dto';
import { refundAnswerView } from './refund.view';
import { RefundsService } from './refunds.service';
import { RefundResponse } from '../openapi/responses';

const example = {
  refundId: '3b0c6a9e-1f2d-4e5a-8b7c-9d0e1f2a3b4c',
  orderId: 'ORD-10042',
  settlementId: '7d1e2f34-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  kind: 'REFUND',
  status: 'SUCCEEDED',
  currency: 'USD',
  amount: '10.00',
  refundedAmount: '10.00',
  failureReason: null,
  cardLast4: '0001',
  maskedCardNumber: '****0001',
  providerReference: 'txn_5f3a',
};

@ApiTags('refunds')
@ApiBearerAuth()
@Controller('v1/refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post()
  @Idempotent()
  @IdempotencyHeader()
  @ApiOperation({
    summary: 'Issue value back to a gift card (a return), against a settlement, to a card number, or across the cards of the order',
    description:
      'Give at most one of settlementId (the card that settlement redeemed from; the sum of its refunds may not exceed its settledAmount) ' +
      'or cardNumber (a card the order settled on). With neither, the refund is split across the cards the order settled on: the card of ' +
      'the most recent settlement first, none given more than it settled minus what was already refunded to it; each part is a refund of its ' +
      'own (its own provider call), listed in parts, and a retry with the same Idempotency-Key resumes the same parts. Or toNewCard ' +
      '(neither settlementId nor cardNumber): a new electronic card is allocated, activated and loaded with the refund (return-related) ' +
      'by the gift card fulfillment steps; newCard shows its number and PIN in full in the first answer only (masked in replays and reads, ' +
      'the PIN erased once shown); a 503 leaves it PENDING, and a retry with the same key continues the same card. Every refund of an order is capped by what the order settled on gift cards minus ' +
      'what is already refunded (pending and succeeded), counted under a lock on the order. Value beyond that, or to another card, ' +
      'is issued only to a key with the credits scope, as kind CREDIT. The value is issued at the provider as return-related. ' +
      'A 503 means not processed: retry with the same Idempotency-Key; the adapter confirms an earlier attempt whose answer was lost ' +
      'before it issues anything again.',
  })
  @ApiBody({
    type: CreateRefundDto,
    examples: {
      bySettlement: { summary: 'Return of shipped goods', value: { orderId: 'ORD-10042', settlementId: '7d1e2f34-5a6b-4c7d-8e9f-0a1b2c3d4e5f', amount: '10.00', currency: 'USD' } },
      byCard: { summary: 'Refund to a card the order settled on, named by number', value: { orderId: 'ORD-10042', cardNumber: '6000000000000002', amount: '5.00', currency: 'USD' } },
      toNewCard: { summary: 'Refund onto a new electronic card', value: { orderId: 'ORD-10042', amount: '15.00', currency: 'USD', toNewCard: { cardSetId: 'egift' } } },
      acrossCards: { summary: 'Refund to the cards of the order, most recent settlement first', value: { orderId: 'ORD-10042', amount: '30.00', currency: 'USD' } },
    },
  })
  @ApiResponse({ status: 201, type: RefundResponse, description: 'status SUCCEEDED with refundedAmount; Location names it', example })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED: bad fields, both settlementId and cardNumber, or toNewCard with either' })
  @ApiResponse({ status: 404, description: 'The settlement does not exist' })
  @ApiResponse({
    status: 422,
    description:
      'REFUND_EXCEEDS_SETTLED (details.refundableAmount: what is left of the order or the settlement), REFUND_CARD_NOT_IN_ORDER ' +
      '(the card settled nothing in the order), SETTLEMENT_NOT_SETTLED, SETTLEMENT_NOT_IN_ORDER, CURRENCY_MISMATCH, ' +
      'or a provider decline (CARD_NOT_FOUND, CARD_INACTIVE, CURRENCY_MISMATCH): the refund is FAILED, nothing issued. ' +
      'Across cards: REFUND_EXCEEDS_SETTLED (details.cards: what each card settled and had refunded), REFUND_PART_DECLINED (details.parts: ' +
      'which parts were issued and which declined; what was declined may be refunded again). To a new card: a decline of a step ' +
      '(an unknown card set: CARD_SET_NOT_FOUND and the like) ends the refund FAILED, its reason as the code',
  })
  @ApiResponse({
    status: 503,
    description: 'Not processed (details.outcome NOT_APPLIED or UNKNOWN): retry with the same Idempotency-Key. Across cards: details.refundId and partRefundId name the part not done',
  })
  async create(@Body() body: CreateRefundDto, @IdempotencyKey() key: string, @Req() request: AuthenticatedRequest) {
    const grants = { mayCredit: request.apiKey?.scope === 'credits' };
    const answer = await this.refunds.refund(body, actorOf(request), resourceIdempotencyKey(request.apiKey, key), grants);
    // A new card's number and PIN go to the client once; the idempotency store keeps the masked answer for replays.
    return new HttpResult(201, refundAnswerView(answer), refundAnswerView(answer, false));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a refund' })
  @ApiResponse({ status: 200, type: RefundResponse, description: 'The refund', example })
  async read(@Param('id', uuidPipe()) id: string) {
    return refundAnswerView(await this.refunds.get(id));
  }
}
