import { Body, Controller, Get, Param, Post, Req } from '@nestjs/common';
import { IdempotencyKey } from '../common/idempotency-key';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest } from '../auth/api-key.guard';
import { actorOf, IdempotencyHeader, uuidPipe } from '../authorizations/authorizations.controller';
import { HttpResult } from '../common/http-result';
import { Idempotent, resourceIdempotencyKey } from '../idempotency/idempotency.interceptor';
import { CreateFulfillmentDto } from './dto/fulfillment.dto';
import { fulfillmentView } from './fulfillment.view';
import { FulfillmentsService } from './fulfillments.service';
import { FulfillmentResponse } from '../openapi/responses';

const FIRST_RESPONSE_EXAMPLE = {
  fulfillmentId: '6f1c1f4e-8a4b-4a63-9a57-1f0c9b1a2d3e',
  orderId: 'ORD-10042',
  lineId: '2',
  kind: 'ELECTRONIC',
  status: 'COMPLETED',
  failureReason: null,
  cardSetId: 'egift',
  cardNumber: '6123456789012345',
  cardNumberMasked: false,
  cardLast4: '2345',
  pin: '0815',
  amount: '25.00',
  currency: 'USD',
  steps: [
    { step: 'ALLOCATED', at: '2026-01-05T10:00:00.120Z', providerReference: null },
    { step: 'ACTIVATED', at: '2026-01-05T10:00:00.180Z', providerReference: 'tx-81' },
    { step: 'ISSUED', at: '2026-01-05T10:00:00.240Z', providerReference: 'tx-82' },
  ],
};

@ApiTags('gift-card-fulfillments')
@ApiBearerAuth()
@Controller('v1/gift-card-fulfillments')
export class FulfillmentsController {
  constructor(private readonly fulfillments: FulfillmentsService) {}

  @Post()
  @Idempotent()
  @IdempotencyHeader()
  @ApiOperation({
    summary: 'Turn a gift card order line into a live card with value (electronic: allocate, activate, issue; physical: activate, issue)',
    description:
      'One fulfillment per (orderId, lineId). A retry continues after the last step that succeeded. The full card number and the PIN ' +
      '(electronic) appear only in the first successful response; replays and reads show ****last4 and pin null.',
  })
  @ApiBody({
    type: CreateFulfillmentDto,
    examples: {
      electronic: { value: { orderId: 'ORD-10042', lineId: '2', kind: 'ELECTRONIC', amount: '25.00', currency: 'USD' } },
      physical: { value: { orderId: 'ORD-10042', lineId: '3', kind: 'PHYSICAL', cardNumber: '6000000000000003', pin: '4321', amount: '50.00', currency: 'USD' } },
    },
  })
  @ApiResponse({ status: 201, type: FulfillmentResponse, description: 'COMPLETED: the card is active and holds the amount; Location names it', example: FIRST_RESPONSE_EXAMPLE })
  @ApiResponse({ status: 409, description: 'The line is already fulfilled with a different request (FULFILLMENT_CONFLICT), or the key was used with another body' })
  @ApiResponse({ status: 422, description: 'FULFILLMENT_DECLINED: unknown card set, unknown card, wrong PIN, currency mismatch (details.reason); the fulfillment is FAILED' })
  @ApiResponse({ status: 503, description: 'Provider unavailable or its answer lost (details.outcome): the fulfillment stays PENDING; retry with the same key to continue' })
  async create(@Body() body: CreateFulfillmentDto, @IdempotencyKey() key: string, @Req() request: AuthenticatedRequest) {
    const { fulfillment, revealed } = await this.fulfillments.fulfill(body, actorOf(request), resourceIdempotencyKey(request.apiKey, key));
    // The client gets the secrets once; the idempotency store keeps the masked answer for replays.
    return new HttpResult(201, fulfillmentView(fulfillment, revealed), fulfillmentView(fulfillment));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a fulfillment: its status and steps with their times and provider references (card masked)' })
  @ApiResponse({ status: 200, type: FulfillmentResponse, description: 'The fulfillment', example: { ...FIRST_RESPONSE_EXAMPLE, cardNumber: '****2345', cardNumberMasked: true, pin: null } })
  async read(@Param('id', uuidPipe()) id: string) {
    return fulfillmentView(await this.fulfillments.get(id));
  }
}
