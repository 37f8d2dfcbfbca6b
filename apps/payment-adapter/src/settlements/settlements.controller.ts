import { Body, Controller, Get, Param, Post, Req } from '@nestjs/common';
import { IdempotencyKey } from '../common/idempotency-key';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest } from '../auth/api-key.guard';
import { actorOf, IdempotencyHeader, uuidPipe } from '../authorizations/authorizations.controller';
import { authorizationView, settlementView } from '../authorizations/authorization.view';
import { AuthorizationsService } from '../authorizations/authorizations.service';
import { HttpResult } from '../common/http-result';
import { Idempotent, resourceIdempotencyKey } from '../idempotency/idempotency.interceptor';
import { CreateSettlementDto } from './dto/settlement.dto';
import { SettlementReads } from './settlement-reads.service';
import { SettlementsService } from './settlements.service';
import { SettlementAcceptedResponse, SettlementCreatedResponse, SettlementDetailResponse } from '../openapi/responses';

@ApiTags('settlements')
@ApiBearerAuth()
@Controller('v1/settlements')
export class SettlementsController {
  constructor(
    private readonly settlements: SettlementsService,
    private readonly authorizations: AuthorizationsService,
    private readonly reads: SettlementReads,
  ) {}

  @Post()
  @Idempotent()
  @IdempotencyHeader()
  @ApiOperation({ summary: 'Settle shipped goods from an authorization; a partial shipment places an advanced hold for the rest' })
  @ApiBody({
    type: CreateSettlementDto,
    examples: {
      partial: { summary: 'Partial shipment', value: { authorizationId: '2f6c1c1e-8f0a-4c55-9d0e-8f9a3b1e2d10', amount: '25.00', invoiceId: 'INV-1' } },
      final: { summary: 'Last shipment', value: { authorizationId: '2f6c1c1e-8f0a-4c55-9d0e-8f9a3b1e2d10', amount: '35.00', invoiceId: 'INV-2', final: true } },
      batch: { summary: 'Settled later by the job', value: { authorizationId: '2f6c1c1e-8f0a-4c55-9d0e-8f9a3b1e2d10', amount: '10.00', invoiceId: 'INV-3', mode: 'batch' } },
    },
  })
  @ApiResponse({ status: 201, type: SettlementCreatedResponse, description: 'sync: settled now; authorization (closed), advancedAuthorization (the hold for the rest) or null' })
  @ApiResponse({ status: 202, type: SettlementAcceptedResponse, description: 'batch: stored OPEN for the job; poll the Location (GET /v1/settlements/{id})' })
  @ApiResponse({
    status: 409,
    description:
      'INVOICE_ALREADY_SETTLED: the invoiceId was settled on this authorization chain under another key for another amount ' +
      '(the same invoice and amount answers the first settlement again)',
  })
  @ApiResponse({ status: 422, description: 'AMOUNT_EXCEEDS_HELD, AUTHORIZATION_CLOSED, or a provider decline' })
  async create(@Body() body: CreateSettlementDto, @IdempotencyKey() key: string, @Req() request: AuthenticatedRequest) {
    const actor = actorOf(request);
    const settlement = await this.settlements.create(
      { authorizationId: body.authorizationId, amount: body.amount, invoiceId: body.invoiceId, final: body.final ?? false, mode: body.mode ?? 'sync' },
      actor,
      resourceIdempotencyKey(request.apiKey, key),
    );
    if (settlement.mode === 'batch') {
      return new HttpResult(202, { settlementId: settlement.id, status: settlement.status, settlement: settlementView(settlement) });
    }
    const settled = await this.settlements.settleNow(settlement, actor);
    const served = await this.authorizations.get(settled.servedAuthorizationId!);
    const advanced = settled.advancedAuthorizationId ? await this.authorizations.get(settled.advancedAuthorizationId) : null;
    return new HttpResult(201, {
      settlementId: settled.id,
      status: settled.status,
      settledAmount: settlementView(settled).settledAmount,
      settlement: settlementView(settled),
      authorization: authorizationView(served),
      advancedAuthorization: advanced ? authorizationView(advanced) : null,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a settlement (poll a batch one after its 202): status, settledAmount, attempts, failureReason, nextAttemptAt, the authorization it served and the advanced hold it placed' })
  @ApiResponse({ status: 200, type: SettlementDetailResponse })
  read(@Param('id', uuidPipe()) id: string) {
    return this.reads.read(id);
  }
}
