import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { OrdersService } from './orders.service';
import { OrderPaymentsResponse } from '../openapi/responses';

const example = {
  orderId: 'ORD-10042',
  currency: 'USD',
  totals: { authorized: '80.00', settled: '60.00', refunded: '10.00', held: '0.00' },
  authorizations: [
    {
      authorizationId: '2f6c1c1e-8f0a-4c55-9d0e-8f9a3b1e2d10',
      status: 'APPROVED',
      state: 'CLOSED',
      closedReason: 'SUPERSEDED',
      approvedAmount: '60.00',
      cardLast4: '0001',
      currentAuthorizationId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      chain: ['… the root authorization, then each advanced hold …'],
      settlements: ['… settlements of the chain: settlementId, status, settledAmount, invoiceId …'],
    },
  ],
  refunds: [{ refundId: '3b0c6a9e-1f2d-4e5a-8b7c-9d0e1f2a3b4c', status: 'SUCCEEDED', refundedAmount: '10.00', cardLast4: '0001' }],
  history: [
    { type: 'AUTHORIZATION_HOLD_APPROVED', fromState: 'PENDING', toState: 'OPEN', amount: '60.00', actor: 'oms', providerTransactionId: 'hold_81f2', createdAt: '2025-11-24T10:00:00.000Z' },
  ],
};

@ApiTags('orders')
@ApiBearerAuth()
@Controller('v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get(':orderId/payments')
  @ApiParam({ name: 'orderId', example: 'ORD-10042', description: "The OMS's order id" })
  @ApiOperation({
    summary: 'Every authorization, settlement, reversal and refund of an order, with totals and the full history',
    description:
      'totals.authorized: what the first hold of each card approved (advanced holds re-hold the same money and are not counted again); ' +
      'settled: SETTLED settlements; refunded: SUCCEEDED refunds; held: what open authorizations still hold. ' +
      'authorizations lists each chain by its first authorization (the id the OMS was given) with the chain and its settlements. ' +
      'Card numbers appear only as cardLast4.',
  })
  @ApiResponse({ status: 200, type: OrderPaymentsResponse, description: 'The order view', example })
  @ApiResponse({ status: 404, description: 'Nothing is known of this order' })
  payments(@Param('orderId') orderId: string) {
    return this.orders.payments(orderId);
  }
}
