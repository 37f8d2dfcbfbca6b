import { ApiProperty } from '@nestjs/swagger';

export class ReconciliationWindowResponse {
  @ApiProperty({ example: '2026-11-29T22:00:00.000Z', description: 'Cards with a provider call of ours since this time were compared' }) start: string;
  @ApiProperty({ example: '2026-12-01T22:00:00.000Z' }) end: string;
}

export class ReleasedHoldResponse {
  @ApiProperty({ example: '****1234', description: 'The card, masked' }) card: string;
  @ApiProperty({ example: '5b0e0c3a-6f1e-4b8e-9d5e-2a7c3f1d9e44', description: "The provider's hold id" }) holdId: string;
  @ApiProperty({ example: '30.00' }) amount: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '7b1e0c9d-3a2f-4e5d-8c7b-6a5f4e3d2c1b', nullable: true, description: 'Our call that placed it and was concluded not applied' })
  providerCallId: string | null;
  @ApiProperty({ example: 'a51c2e0f-3d4b-4c6a-9e8f-1b2c3d4e5f60', nullable: true, description: 'The release, recorded as a provider call (RELEASE_HOLD)' })
  releaseCallId: string | null;
  @ApiProperty({ example: 'ORD-1001', nullable: true }) orderId: string | null;
  @ApiProperty({ example: '2f4c6e8a-1b3d-4f5a-8c7e-9d0b1a2c3e4f', nullable: true }) authorizationId: string | null;
  @ApiProperty({ example: 'hold of call 7b1e…, concluded not applied, landed late; nobody owns it' }) note: string;
}

export class VoidedEntryResponse {
  @ApiProperty({ enum: ['LATE_ENTRY'], example: 'LATE_ENTRY' }) kind: string;
  @ApiProperty({ example: '****1234', description: 'The card, masked' }) card: string;
  @ApiProperty({ example: 'c0ffee00-1234-4abc-9def-0123456789ab', description: "The provider's transaction that landed late and was voided" }) transactionId: string;
  @ApiProperty({ example: '5.00', description: 'Signed: an issue positive, a redeem negative' }) amount: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '2026-12-01T21:58:03.120Z', nullable: true }) providerAt: string | null;
  @ApiProperty({ example: '7b1e0c9d-3a2f-4e5d-8c7b-6a5f4e3d2c1b', nullable: true, description: 'Our call it belongs to (concluded not applied, then done again)' })
  providerCallId: string | null;
  @ApiProperty({ example: 'a51c2e0f-3d4b-4c6a-9e8f-1b2c3d4e5f60', nullable: true, description: 'The void, recorded as a provider call (VOID)' })
  voidCallId: string | null;
  @ApiProperty({ example: 'ORD-1001', nullable: true }) orderId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) authorizationId: string | null;
  @ApiProperty({ example: '42a5c7e9-0b1d-4f3a-8c6e-7d9f1b3a5c7e', nullable: true }) refundId: string | null;
  @ApiProperty({ example: 'ISSUE of call 7b1e…, concluded not applied, landed late: it happened as well as its retry; voided' }) note: string;
}

export class ReconciliationDifferenceResponse {
  @ApiProperty({
    enum: ['LATE_ENTRY', 'UNEXPLAINED_ENTRY', 'UNEXPLAINED_HOLD', 'MISSING_HOLD', 'HELD_FOR_CLOSED_AUTHORIZATION', 'ORPHAN_HOLD'],
    example: 'LATE_ENTRY',
    description: 'ORPHAN_HOLD appears here only when its release failed (action RELEASE_FAILED); LATE_ENTRY only when it is not voided (RECONCILIATION_VOID_LATE_ENTRIES=false) or its void failed (VOID_FAILED)',
  })
  kind: string;
  @ApiProperty({ enum: ['LISTED', 'RELEASE_FAILED', 'VOID_FAILED'], example: 'LISTED' }) action: string;
  @ApiProperty({ example: '****1234' }) card: string;
  @ApiProperty({ example: '5.00', description: 'Signed for movements (an issue positive, a redeem negative); a hold positive' }) amount: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: 'c0ffee00-1234-4abc-9def-0123456789ab', nullable: true, description: "The provider's transaction or hold id" })
  providerReference: string | null;
  @ApiProperty({ example: '2026-12-01T21:58:03.120Z', nullable: true, description: 'When the provider shows it' }) providerAt: string | null;
  @ApiProperty({ example: '7b1e0c9d-3a2f-4e5d-8c7b-6a5f4e3d2c1b', nullable: true, description: 'Our call that explains it (concluded not applied), if any' })
  providerCallId: string | null;
  @ApiProperty({ example: 'ORD-1001', nullable: true }) orderId: string | null;
  @ApiProperty({ example: '2f4c6e8a-1b3d-4f5a-8c7e-9d0b1a2c3e4f', nullable: true }) authorizationId: string | null;
  @ApiProperty({ example: '42a5c7e9-0b1d-4f3a-8c6e-7d9f1b3a5c7e', nullable: true }) refundId: string | null;
  @ApiProperty({ example: 'ISSUE of call 7b1e…, concluded not applied, landed late: it happened as well as its retry' }) note: string;
}

export class SkippedCardResponse {
  @ApiProperty({ example: '****1234' }) card: string;
  @ApiProperty({ example: 'a call of ours on the card is still unresolved: the recovery sweep decides it first' }) note: string;
}

export class ReconciliationRunResponse {
  @ApiProperty({ example: '3c9d1e2f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', format: 'uuid' }) runId: string;
  @ApiProperty({ enum: ['RUNNING', 'COMPLETED', 'FAILED'], example: 'COMPLETED' }) status: string;
  @ApiProperty({ enum: ['schedule', 'request'], example: 'request' }) trigger: string;
  @ApiProperty({ type: ReconciliationWindowResponse }) window: ReconciliationWindowResponse;
  @ApiProperty({ example: 12 }) cardsChecked: number;
  @ApiProperty({ example: 0, description: 'Cards busy, with a call still unresolved, or that the provider could not show (see skippedCards)' }) cardsSkipped: number;
  @ApiProperty({ example: 1 }) holdsReleased: number;
  @ApiProperty({ type: [ReleasedHoldResponse] }) releasedHolds: ReleasedHoldResponse[];
  @ApiProperty({ type: [VoidedEntryResponse], description: 'Late-landing duplicate movements the run voided (RECONCILIATION_VOID_LATE_ENTRIES)' })
  voidedEntries: VoidedEntryResponse[];
  @ApiProperty({ type: [ReconciliationDifferenceResponse], description: 'What an operator looks at' }) differences: ReconciliationDifferenceResponse[];
  @ApiProperty({ type: [SkippedCardResponse] }) skippedCards: SkippedCardResponse[];
  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why a FAILED run stopped' }) failure: string | null;
  @ApiProperty({ example: '2026-12-01T22:00:00.000Z' }) startedAt: string;
  @ApiProperty({ example: '2026-12-01T22:00:01.412Z', nullable: true }) finishedAt: string | null;
}
