import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { IdempotencyKey } from '../common/idempotency-key';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest } from '../auth/api-key.guard';
import { validationFailed } from '../common/domain-errors';
import { Idempotent, resourceIdempotencyKey } from '../idempotency/idempotency.interceptor';
import { CardEnumerationGuard } from '../security/card-enumeration.guard';
import { AuthorizationDetailResponse, AuthorizationResponse, ReversalResponse } from '../openapi/responses';
import { FailedLookupInterceptor } from '../security/failed-lookups';
import { authorizationView, settlementView } from './authorization.view';
import { AuthorizationsService } from './authorizations.service';
import { CreateAuthorizationDto, ReversalDto } from './dto/authorization.dto';

export const actorOf = (request: AuthenticatedRequest) => request.apiKey?.name ?? 'anonymous';
export const IdempotencyHeader = () =>
  ApiHeader({ name: 'Idempotency-Key', required: true, description: "The OMS's request id (MAO PaymentTransactionId); a retry with the same key and body replays the first answer" });

export const uuidPipe = () =>
  new ParseUUIDPipe({ exceptionFactory: () => validationFailed([{ field: 'id', problems: ['id must be a UUID'] }]) });

@ApiTags('authorizations')
@ApiBearerAuth()
@Controller('v1/authorizations')
export class AuthorizationsController {
  constructor(private readonly authorizations: AuthorizationsService) {}

  @Post()
  @UseGuards(CardEnumerationGuard)
  @UseInterceptors(FailedLookupInterceptor)
  @Idempotent()
  @IdempotencyHeader()
  @ApiResponse({ status: 429, description: 'RATE_LIMITED (per key / per card, see Retry-After) or CARD_LOCKED after repeated wrong PINs' })
  @ApiOperation({ summary: 'Hold an amount on a gift card (partial approval when the balance is short)' })
  @ApiBody({ type: CreateAuthorizationDto, examples: { hold: { value: { orderId: 'ORD-10042', cardNumber: '6000000000000001', pin: '1234', amount: '60.00', currency: 'USD' } } } })
  @ApiResponse({ status: 201, type: AuthorizationResponse, description: 'status APPROVED, PARTIALLY_APPROVED (approvedAmount < requestedAmount) or DECLINED (declineReason); Location names it' })
  @ApiResponse({ status: 503, description: 'Provider unavailable or its answer lost: not processed (details.outcome), retry with the same key' })
  async create(@Body() body: CreateAuthorizationDto, @IdempotencyKey() key: string, @Req() request: AuthenticatedRequest) {
    const authorization = await this.authorizations.authorize({ ...body, allowPartial: body.allowPartial ?? true }, actorOf(request), resourceIdempotencyKey(request.apiKey, key));
    return authorizationView(authorization);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read an authorization with its settlements and its advanced-hold chain' })
  @ApiResponse({ status: 200, type: AuthorizationDetailResponse, description: 'The authorization (a superseded one names its open link in currentAuthorizationId)' })
  async read(@Param('id', uuidPipe()) id: string) {
    const authorization = await this.authorizations.get(id);
    const [chain, settlements] = await Promise.all([
      this.authorizations.chain(authorization.rootId),
      this.authorizations.settlementsOf(authorization.rootId),
    ]);
    const current = chain.find((a) => a.state === 'OPEN') ?? chain[chain.length - 1];
    return {
      ...authorizationView(authorization),
      currentAuthorizationId: current.id,
      chain: chain.map(authorizationView),
      settlements: settlements.map(settlementView),
    };
  }

  @Post(':id/reversals')
  @HttpCode(200)
  @Idempotent()
  @IdempotencyHeader()
  @ApiOperation({ summary: 'Release the hold and close the authorization (amount is always 0.00)' })
  @ApiBody({ type: ReversalDto, examples: { reversal: { value: { amount: '0.00' } } } })
  @ApiResponse({ status: 200, type: ReversalResponse, description: 'The authorization, state CLOSED, closedReason REVERSED; unchanged when it was already closed' })
  @ApiResponse({ status: 422, description: 'amount is not zero' })
  async reverse(@Param('id', uuidPipe()) id: string, @Body() body: ReversalDto, @Req() request: AuthenticatedRequest) {
    const reversed = await this.authorizations.reverse(id, body.amount, actorOf(request));
    return { ...authorizationView(reversed), requestedAuthorizationId: id };
  }
}
