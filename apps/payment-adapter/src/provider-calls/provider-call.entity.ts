import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ProviderOperation =
  | 'HOLD'
  | 'REDEEM_FROM_HOLD'
  | 'RELEASE_HOLD'
  | 'REDEEM'
  | 'ISSUE'
  | 'ALLOCATE'
  | 'ACTIVATE'
  | 'VOID';

/**
 * PENDING: intent recorded, call in flight (or the process died during it). SUCCEEDED / DECLINED / FAILED
 * (nothing applied): answered. UNKNOWN: the answer was lost. APPLIED / NOT_APPLIED: an unknown outcome
 * resolved from what the provider shows (the card's state, or a look-up of our reference).
 */
export type ProviderCallOutcome = 'PENDING' | 'SUCCEEDED' | 'DECLINED' | 'FAILED' | 'UNKNOWN' | 'APPLIED' | 'NOT_APPLIED';

@Entity('provider_call')
export class ProviderCall {
  /** Also the reference sent to the provider (Clutch `customRequestId` and `externalTransactionId`). */
  @PrimaryColumn('uuid') id: string;
  @Column('text') operation: ProviderOperation;
  @Column({ name: 'order_id', type: 'text', nullable: true }) orderId: string | null;
  @Column({ name: 'authorization_id', type: 'uuid', nullable: true }) authorizationId: string | null;
  @Column({ name: 'settlement_id', type: 'uuid', nullable: true }) settlementId: string | null;
  @Column({ name: 'refund_id', type: 'uuid', nullable: true }) refundId: string | null;
  @Column({ name: 'fulfillment_id', type: 'uuid', nullable: true }) fulfillmentId: string | null;
  @Column({ name: 'card_hash', type: 'text', nullable: true }) cardHash: string | null;
  @Column({ name: 'card_encrypted', type: 'text', nullable: true }) cardEncrypted: string | null;
  @Column({ type: 'char', length: 3, nullable: true }) currency: string | null;
  @Column({ name: 'amount_minor', type: 'bigint', nullable: true, transformer: bigintColumn }) amountMinor: bigint | null;
  @Column({ name: 'provider_hold_id', type: 'text', nullable: true }) providerHoldId: string | null;
  @Column('text') outcome: ProviderCallOutcome;
  @Column({ name: 'provider_transaction_id', type: 'text', nullable: true }) providerTransactionId: string | null;
  @Column({ name: 'result_minor', type: 'bigint', nullable: true, transformer: bigintColumn }) resultMinor: bigint | null;
  @Column({ name: 'provider_message', type: 'text', nullable: true }) providerMessage: string | null;
  @Column({ name: 'error_kind', type: 'text', nullable: true }) errorKind: string | null;
  /** What a look-up found but could not decide between (for an operator), and what it concluded. */
  @Column({ type: 'jsonb', nullable: true }) candidates: Array<{ transactionId: string; amount: string; at?: string }> | null;
  @Column({ name: 'resolution_note', type: 'text', nullable: true }) resolutionNote: string | null;
  @Column({ name: 'check_attempts', type: 'integer', default: 0 }) checkAttempts: number;
  /** When the recovery sweep stopped expecting to resolve it by itself (listed for operators; still checked now and then). */
  @Column({ name: 'given_up_at', type: 'timestamptz', nullable: true }) givenUpAt: Date | null;
  /** An operator's decision, applied (and then cleared) by the next look-up: what the provider did, as the operator saw it. */
  @Column({ name: 'operator_decision', type: 'jsonb', nullable: true }) operatorDecision: OperatorDecision | null;
  @Column({ name: 'next_check_at', type: 'timestamptz', nullable: true }) nextCheckAt: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt: Date | null;
}

export interface OperatorDecision {
  applied: boolean;
  transactionId: string | null;
  actor: string;
  reason: string;
}
