import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The answers of the API as OpenAPI schemas, for integrators and generated clients. The views that build them
 * are the `*.view.ts` functions beside each resource; these classes only describe them (nothing constructs them).
 */

const ID = '2f6c1c1e-8f0a-4c55-9d0e-8f9a3b1e2d10';
const NEXT_ID = '3616a0c2-5b7e-4f1d-9a3c-0e8d7b6c5a41';
const TIME = '2026-12-01T12:00:00.000Z';

export class AuthorizationResponse {
  @ApiProperty({ example: ID, format: 'uuid' }) authorizationId: string;
  @ApiProperty({ example: 'ORD-10042' }) orderId: string;
  @ApiProperty({ enum: ['APPROVED', 'PARTIALLY_APPROVED', 'DECLINED', 'PENDING', 'NOT_PROCESSED'], example: 'APPROVED', description: 'The hold decision' })
  status: string;
  @ApiProperty({ enum: ['PENDING', 'OPEN', 'CLOSED', 'FAILED'], example: 'OPEN' }) state: string;
  @ApiProperty({ enum: ['SETTLED', 'REVERSED', 'SUPERSEDED', 'EXPIRED', 'DECLINED', 'REAUTHORIZED'], nullable: true, example: null, type: String, description: 'REAUTHORIZED: a new hold (nextAuthorizationId) took over before this one expired; EXPIRED: released at its expiresAt, or found gone at the provider' }) closedReason: string | null;
  @ApiProperty({ nullable: true, example: null, type: String, description: 'INSUFFICIENT_FUNDS, INVALID_PIN, CARD_INACTIVE, CARD_NOT_FOUND, ... when DECLINED' })
  declineReason: string | null;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '60.00' }) requestedAmount: string;
  @ApiProperty({ example: '60.00' }) approvedAmount: string;
  @ApiProperty({ example: '0.00', description: 'requestedAmount − approvedAmount: what the order still needs from another tender' }) remainingAmount: string;
  @ApiProperty({ example: '60.00', description: 'What is still reserved on the card' }) heldAmount: string;
  @ApiProperty({ example: '0.00' }) settledAmount: string;
  @ApiProperty({ example: '0001', nullable: true, type: String }) cardLast4: string | null;
  @ApiProperty({ example: '****0001', nullable: true, type: String }) maskedCardNumber: string | null;
  @ApiProperty({ example: 'hold_8c1f', nullable: true, type: String, description: "The provider's hold reference" }) providerReference: string | null;
  @ApiProperty({ example: '2026-12-08T12:00:00.000Z', format: 'date-time', nullable: true, type: String, description: 'HOLD_TTL_HOURS after the hold was placed; REAUTHORIZE_BEFORE_HOURS before it, a hold that still holds value is placed again as the next link' }) expiresAt: string | null;
  @ApiProperty({ example: null, format: 'uuid', nullable: true, type: String, description: 'Set on an advanced hold and on the new hold of a re-authorization: the link it follows' }) previousAuthorizationId: string | null;
  @ApiProperty({ example: null, format: 'uuid', nullable: true, type: String }) nextAuthorizationId: string | null;
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
  @ApiProperty({ example: TIME, format: 'date-time' }) updatedAt: string;
}

export class SettlementResponse {
  @ApiProperty({ example: '808d5e0b-7f3c-4a2e-9d1b-6c4a3f2e1d0c', format: 'uuid' }) settlementId: string;
  @ApiProperty({ example: 'ORD-10042' }) orderId: string;
  @ApiProperty({ example: ID, format: 'uuid', description: 'The authorization the OMS named' }) authorizationId: string;
  @ApiProperty({ example: ID, format: 'uuid', nullable: true, type: String, description: 'The link the redeem was taken from; null until processed' })
  servedAuthorizationId: string | null;
  @ApiProperty({ example: NEXT_ID, format: 'uuid', nullable: true, type: String }) advancedAuthorizationId: string | null;
  @ApiProperty({ example: 'INV-1' }) invoiceId: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '25.00' }) amount: string;
  @ApiProperty({ example: '25.00' }) settledAmount: string;
  @ApiProperty({ example: false }) final: boolean;
  @ApiProperty({ enum: ['sync', 'batch'], example: 'sync' }) mode: string;
  @ApiProperty({ enum: ['OPEN', 'PROCESSING', 'SETTLED', 'FAILED'], example: 'SETTLED' }) status: string;
  @ApiProperty({ example: null, nullable: true, type: String }) failureReason: string | null;
  @ApiProperty({ example: 1 }) attempts: number;
  @ApiProperty({ example: null, format: 'date-time', nullable: true, type: String, description: 'When the job tries next (OPEN only)' }) nextAttemptAt: string | null;
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
  @ApiProperty({ example: TIME, format: 'date-time' }) updatedAt: string;
}

export class SettlementDetailResponse extends SettlementResponse {
  @ApiProperty({ type: AuthorizationResponse, nullable: true, description: 'The authorization it was redeemed from (null while a batch one waits)' })
  authorization: AuthorizationResponse | null;
  @ApiProperty({ type: AuthorizationResponse, nullable: true, description: 'The advanced hold it placed for the unshipped rest' })
  advancedAuthorization: AuthorizationResponse | null;
}

export class SettlementCreatedResponse {
  @ApiProperty({ example: '808d5e0b-7f3c-4a2e-9d1b-6c4a3f2e1d0c', format: 'uuid' }) settlementId: string;
  @ApiProperty({ enum: ['SETTLED', 'FAILED'], example: 'SETTLED' }) status: string;
  @ApiProperty({ example: '25.00' }) settledAmount: string;
  @ApiProperty({ type: SettlementResponse }) settlement: SettlementResponse;
  @ApiProperty({ type: AuthorizationResponse, description: 'The authorization it was redeemed from, now CLOSED (SUPERSEDED or SETTLED)' })
  authorization: AuthorizationResponse;
  @ApiProperty({ type: AuthorizationResponse, nullable: true, description: 'The advanced hold for the rest; PARTIALLY_APPROVED or DECLINED when the card was spent meanwhile' })
  advancedAuthorization: AuthorizationResponse | null;
}

export class SettlementAcceptedResponse {
  @ApiProperty({ example: '4d3b9a1e-2c5f-4e7a-8b6d-1f0e9c8b7a65', format: 'uuid' }) settlementId: string;
  @ApiProperty({ enum: ['OPEN'], example: 'OPEN' }) status: string;
  @ApiProperty({ type: SettlementResponse }) settlement: SettlementResponse;
}

export class AuthorizationDetailResponse extends AuthorizationResponse {
  @ApiProperty({ example: NEXT_ID, format: 'uuid', description: 'The open link of the chain (or its last one)' }) currentAuthorizationId: string;
  @ApiProperty({ type: [AuthorizationResponse], description: 'The advanced-hold chain, first hold first' }) chain: AuthorizationResponse[];
  @ApiProperty({ type: [SettlementResponse] }) settlements: SettlementResponse[];
}

export class ReversalResponse extends AuthorizationResponse {
  @ApiProperty({ example: ID, format: 'uuid', description: 'The id the request named (the chain is followed to its open link)' }) requestedAuthorizationId: string;
}

export class SettlementPageResponse {
  @ApiProperty({ type: [SettlementResponse] }) items: SettlementResponse[];
  @ApiProperty({ example: null, format: 'uuid', nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last' }) nextCursor: string | null;
}

export class SettlementRunReportResponse {
  @ApiProperty({ example: 1 }) claimed: number;
  @ApiProperty({ example: 1 }) settled: number;
  @ApiProperty({ example: 0 }) retried: number;
  @ApiProperty({ example: 0 }) failed: number;
  @ApiProperty({ example: 0 }) backlog: number;
  @ApiProperty({ example: 42 }) durationMs: number;
}

export class ExpiryRunReportResponse {
  @ApiProperty({ example: 2, description: 'Authorization chains claimed' }) claimed: number;
  @ApiProperty({ example: 1, description: 'Held again in full; the old link closed REAUTHORIZED' }) reauthorized: number;
  @ApiProperty({ example: 0, description: 'Held again in part; the OMS is told the shortfall (AUTHORIZATION_EXPIRING)' }) short: number;
  @ApiProperty({ example: 0, description: 'Re-hold declined; the OMS is told; the old hold stays until it expires' }) declined: number;
  @ApiProperty({ example: 1, description: 'Released and closed EXPIRED' }) expired: number;
  @ApiProperty({ example: 0, description: 'Left for the next run (busy chain, unresolved call, provider unavailable)' }) retried: number;
  @ApiProperty({ example: 35 }) durationMs: number;
}

export class RecoveryRunReportResponse {
  @ApiProperty({ example: 1, description: 'Unresolved provider calls looked at' }) checked: number;
  @ApiProperty({ example: 1 }) resolved: number;
  @ApiProperty({ example: 0 }) retried: number;
  @ApiProperty({ example: 0 }) gaveUp: number;
  @ApiProperty({ example: 0, description: 'Calls left UNKNOWN for an operator' }) unresolved: number;
  @ApiProperty({ example: 37 }) durationMs: number;
}

export class TransactionResponse {
  @ApiProperty({ example: '7b1e0c9d-3a2f-4e5d-8c7b-6a5f4e3d2c1b', format: 'uuid', description: 'Our reference, sent to the provider (Clutch customRequestId)' })
  transactionId: string;
  @ApiProperty({ enum: ['HOLD', 'REDEEM_FROM_HOLD', 'RELEASE_HOLD', 'REDEEM', 'ISSUE', 'ALLOCATE', 'ACTIVATE', 'VOID'], example: 'HOLD' }) operation: string;
  @ApiProperty({ enum: ['UNKNOWN', 'CHECKING'], example: 'UNKNOWN', description: 'UNKNOWN: waiting for an operator; CHECKING: the sweep checks it again' }) outcome: string;
  @ApiProperty({ enum: ['PENDING', 'UNKNOWN'], example: 'UNKNOWN' }) recordedOutcome: string;
  @ApiProperty({ example: 'ORD-10042', nullable: true, type: String }) orderId: string | null;
  @ApiProperty({ example: ID, nullable: true, type: String }) authorizationId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) settlementId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) refundId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) fulfillmentId: string | null;
  @ApiProperty({ example: '****0001', nullable: true, type: String }) maskedCardNumber: string | null;
  @ApiProperty({ example: 'USD', nullable: true, type: String }) currency: string | null;
  @ApiProperty({ example: '60.00', nullable: true, type: String }) amount: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) providerHoldId: string | null;
  @ApiProperty({ example: 'timeout after 5000 ms; unresolved after 10 checks', nullable: true, type: String }) providerMessage: string | null;
  @ApiProperty({ example: 'OUTCOME_UNKNOWN', nullable: true, type: String }) errorKind: string | null;
  @ApiProperty({ example: 'look-up failed: timeout', nullable: true, type: String, description: 'What the last look-up (or the operator) concluded' }) resolutionNote: string | null;
  @ApiProperty({ example: 10 }) checkAttempts: number;
  @ApiProperty({ example: null, format: 'date-time', nullable: true, type: String }) nextCheckAt: string | null;
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
  @ApiProperty({ example: TIME, format: 'date-time', nullable: true, type: String }) completedAt: string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'What a look-up at the provider found that may be this call (when one was recorded)',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: null,
  })
  candidates?: Array<Record<string, unknown>> | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { applied: true, reason: 'Clutch portal shows the hold', transactionId: 'hold_8c1f', actor: 'ops' }, description: "A resolution's answer only: the operator's decision" })
  decision?: Record<string, unknown>;
  @ApiPropertyOptional({ example: true, description: "A resolution's answer only: false when the chain was busy and the sweep completes it" })
  completed?: boolean;
}

export class TransactionPageResponse {
  @ApiProperty({ type: [TransactionResponse] }) items: TransactionResponse[];
  @ApiProperty({ example: null, format: 'uuid', nullable: true, type: String }) nextCursor: string | null;
}

export class BalanceInquiryResponse {
  @ApiProperty({ example: '0002' }) cardLast4: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '25.00' }) availableBalance: string;
  @ApiProperty({ example: '25.00', description: 'min(requestedAmount, availableBalance)' }) applicableAmount: string;
  @ApiProperty({ example: '35.00', description: 'requestedAmount − applicableAmount' }) remainingAmount: string;
}

export class AppliedCardResponse {
  @ApiProperty({ example: '0002' }) cardLast4: string;
  @ApiProperty({ example: '20.00' }) availableBalance: string;
  @ApiProperty({ example: '20.00', description: 'min(what is still needed after the cards before it, availableBalance)' }) applicableAmount: string;
}

/** `POST /v1/balance-inquiries` with `cards`: several cards applied to one amount in the order given. */
export class CardsInquiryResponse {
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '60.00' }) requestedAmount: string;
  @ApiProperty({ example: '60.00', description: 'The sum of the cards\' applicableAmount' }) appliedAmount: string;
  @ApiProperty({ example: '0.00', description: 'requestedAmount − appliedAmount: what the order still needs from another tender' }) remainingAmount: string;
  @ApiProperty({ type: [AppliedCardResponse], description: 'The cards in the order given' }) cards: AppliedCardResponse[];
}

/** A refund to a new card: the card it was loaded onto. */
export class NewCardResponse {
  @ApiProperty({ example: '6123456789012345', nullable: true, type: String, description: 'In full in the first answer only; ****last4 in replays and reads; null until the card is allocated' })
  cardNumber: string | null;
  @ApiProperty({ example: '0815', nullable: true, type: String, description: 'In the first answer that shows the loaded card only; kept encrypted until then, erased after' })
  pin: string | null;
  @ApiProperty({ example: '2345', nullable: true, type: String }) cardLast4: string | null;
}

export class RefundResponse {
  @ApiProperty({ example: '3b0c6a9e-1f2d-4e5a-8b7c-9d0e1f2a3b4c', format: 'uuid' }) refundId: string;
  @ApiProperty({ example: 'ORD-10042' }) orderId: string;
  @ApiProperty({ example: '7d1e2f34-5a6b-4c7d-8e9f-0a1b2c3d4e5f', format: 'uuid', nullable: true, type: String }) settlementId: string | null;
  @ApiProperty({
    enum: ['REFUND', 'CREDIT'],
    example: 'REFUND',
    description: 'REFUND: within what the order settled on gift cards; CREDIT: value beyond it or to another card (a key with the credits scope)',
  })
  kind: string;
  @ApiProperty({ enum: ['PENDING', 'SUCCEEDED', 'FAILED'], example: 'SUCCEEDED' }) status: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '10.00' }) amount: string;
  @ApiProperty({ example: '10.00' }) refundedAmount: string;
  @ApiProperty({ example: null, nullable: true, type: String }) failureReason: string | null;
  @ApiProperty({ example: '0001', nullable: true, type: String }) cardLast4: string | null;
  @ApiProperty({ example: '****0001', nullable: true, type: String }) maskedCardNumber: string | null;
  @ApiProperty({ example: 'txn_5f3a', nullable: true, type: String }) providerReference: string | null;
  @ApiPropertyOptional({ example: 'c81e2b7a-0d4f-4c1e-9a3b-5f6e7d8c9b0a', format: 'uuid', description: 'A part of a refund that named only its order: the refundId of that refund' }) partOf?: string;
  @ApiPropertyOptional({ example: 1, description: 'Its place among the parts: 1 is the card of the most recent settlement' }) partIndex?: number;
  @ApiPropertyOptional({
    type: () => [RefundResponse],
    description:
      'A refund that named only its order: one part per card, most recent settlement first, each a refund of its own (status, amount, cardLast4, providerReference). ' +
      'status is SUCCEEDED when every part is, FAILED when one was declined, else PENDING; refundedAmount sums the succeeded parts',
  })
  parts?: RefundResponse[];
  @ApiPropertyOptional({ type: NewCardResponse, description: 'A refund to a new card (toNewCard): the card it was loaded onto' }) newCard?: NewCardResponse;
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
  @ApiProperty({ example: TIME, format: 'date-time' }) updatedAt: string;
}

export class FulfillmentStepResponse {
  @ApiProperty({ enum: ['ALLOCATED', 'ACTIVATED', 'ISSUED'], example: 'ISSUED' }) step: string;
  @ApiProperty({ example: TIME, format: 'date-time' }) at: string;
  @ApiProperty({ example: 'txn_9a2b', nullable: true, type: String }) providerReference: string | null;
}

export class FulfillmentResponse {
  @ApiProperty({ example: '5e4d3c2b-1a09-4f8e-8d7c-6b5a4f3e2d1c', format: 'uuid' }) fulfillmentId: string;
  @ApiProperty({ example: 'ORD-10042' }) orderId: string;
  @ApiProperty({ example: 'LINE-1' }) lineId: string;
  @ApiProperty({ enum: ['ELECTRONIC', 'PHYSICAL'], example: 'ELECTRONIC' }) kind: string;
  @ApiProperty({ enum: ['PENDING', 'COMPLETED', 'FAILED'], example: 'COMPLETED' }) status: string;
  @ApiProperty({ example: null, nullable: true, type: String }) failureReason: string | null;
  @ApiProperty({ example: 'egift', nullable: true, type: String }) cardSetId: string | null;
  @ApiProperty({ example: '****2345', nullable: true, type: String, description: 'In full only in the first response of an electronic card' }) cardNumber: string | null;
  @ApiProperty({ example: true }) cardNumberMasked: boolean;
  @ApiProperty({ example: '2345', nullable: true, type: String }) cardLast4: string | null;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'Electronic cards, in the first response that shows the completed card only; kept encrypted until then, erased after' }) pin: string | null;
  @ApiPropertyOptional({ example: 'The PIN is shown once, in the response that completed the fulfillment, ...' }) pinNote?: string;
  @ApiProperty({ example: '50.00' }) amount: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: [FulfillmentStepResponse] }) steps: FulfillmentStepResponse[];
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
  @ApiProperty({ example: TIME, format: 'date-time' }) updatedAt: string;
}

export class OrderTotalsResponse {
  @ApiProperty({ example: '85.00' }) authorized: string;
  @ApiProperty({ example: '65.00' }) settled: string;
  @ApiProperty({ example: '10.00' }) refunded: string;
  @ApiProperty({ example: '0.00' }) held: string;
}

export class OrderEventResponse {
  @ApiProperty({ example: 'AUTHORIZATION_HOLD_APPROVED' }) type: string;
  @ApiProperty({ example: 'PENDING', nullable: true, type: String }) fromState: string | null;
  @ApiProperty({ example: 'OPEN', nullable: true, type: String }) toState: string | null;
  @ApiProperty({ example: '60.00', nullable: true, type: String }) amount: string | null;
  @ApiProperty({ example: 'USD', nullable: true, type: String }) currency: string | null;
  @ApiProperty({ example: 'local-dev' }) actor: string;
  @ApiProperty({ example: ID, nullable: true, type: String }) authorizationId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) settlementId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) refundId: string | null;
  @ApiProperty({ example: 'hold_8c1f', nullable: true, type: String }) providerTransactionId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) providerMessage: string | null;
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
}

export class OrderAuthorizationResponse extends AuthorizationDetailResponse {}

export class OrderPaymentsResponse {
  @ApiProperty({ example: 'ORD-1001' }) orderId: string;
  @ApiProperty({ example: 'USD', nullable: true, type: String }) currency: string | null;
  @ApiProperty({ type: OrderTotalsResponse, nullable: true }) totals: OrderTotalsResponse | null;
  @ApiProperty({ type: [OrderAuthorizationResponse], description: 'One entry per card hold as the OMS knows it, with its chain and settlements' })
  authorizations: OrderAuthorizationResponse[];
  @ApiProperty({ type: [RefundResponse] }) refunds: RefundResponse[];
  @ApiProperty({ type: [FulfillmentResponse], description: 'Gift cards sold on the order, card numbers masked, no PINs' }) fulfillments: FulfillmentResponse[];
  @ApiProperty({ type: [OrderEventResponse], description: 'Every state change, in order' }) history: OrderEventResponse[];
}

export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'], example: 'ok' }) status: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { database: { status: 'up' }, provider: { status: 'up', provider: 'clutch', circuit: 'closed' } } })
  info?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: {} }) error?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

export class LivenessResponse {
  @ApiProperty({ example: 'ok' }) status: string;
}

export class WebhookPayloadResponse {
  @ApiProperty({ example: '5c2d8e1f-4a3b-4c6d-9e8f-7a6b5c4d3e2f', format: 'uuid', description: 'The notification id, also the webhook-id header (the same on every attempt)' }) id: string;
  @ApiProperty({
    enum: ['settlement.settled', 'settlement.failed', 'authorization.expiring', 'authorization.expired', 'authorization.reauthorized', 'transaction.unknown', 'transaction.resolved', 'refund.succeeded', 'fulfillment.completed', 'fulfillment.failed'],
    example: 'settlement.settled',
  })
  type: string;
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Ids, the amount as a decimal string, the card\'s last 4 digits and the state reached; never a card number or PIN',
    example: { orderId: 'ORD-10042', authorizationId: ID, settlementId: '7d1e2f34-5a6b-4c7d-8e9f-0a1b2c3d4e5f', refundId: null, fulfillmentId: null, amount: '60.00', currency: 'USD', cardLast4: '0001', status: 'SETTLED' },
  })
  data: Record<string, unknown>;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ example: '5c2d8e1f-4a3b-4c6d-9e8f-7a6b5c4d3e2f', format: 'uuid' }) deliveryId: string;
  @ApiProperty({ example: 'ORD-10042' }) orderId: string;
  @ApiProperty({ example: 'settlement.settled' }) type: string;
  @ApiProperty({ enum: ['PENDING', 'DELIVERED', 'FAILED'], example: 'FAILED' }) status: string;
  @ApiProperty({ example: 14 }) attempts: number;
  @ApiProperty({ example: TIME, format: 'date-time', nullable: true, type: String }) lastAttemptAt: string | null;
  @ApiProperty({ example: 500, nullable: true, type: Number, description: "The receiver's last HTTP status; null when it did not answer" }) lastResponseStatus: number | null;
  @ApiProperty({ example: 'Internal Server Error', nullable: true, type: String, description: "The first 500 characters of the receiver's last answer" }) lastResponseExcerpt: string | null;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why the last attempt got no answer (timeout, connection refused)' }) lastError: string | null;
  @ApiProperty({ example: null, format: 'date-time', nullable: true, type: String, description: 'When it is tried next (PENDING only)' }) nextAttemptAt: string | null;
  @ApiProperty({ example: TIME, format: 'date-time', description: 'Tried until then, then FAILED' }) retryUntil: string;
  @ApiProperty({ example: null, format: 'date-time', nullable: true, type: String }) deliveredAt: string | null;
  @ApiProperty({ example: TIME, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: WebhookPayloadResponse, description: 'The body POSTed to WEBHOOK_URL' }) payload: WebhookPayloadResponse;
}

export class WebhookDeliveryPageResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) items: WebhookDeliveryResponse[];
  @ApiProperty({ example: null, format: 'uuid', nullable: true, type: String }) nextCursor: string | null;
}
