import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { RefundKind, RefundStatus } from './refund-state';

/** Value issued back to a gift card for an order: against a settlement, or to a card named directly. */
@Entity('refund')
export class Refund {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'order_id', type: 'text' }) orderId: string;
  @Column({ name: 'settlement_id', type: 'uuid', nullable: true }) settlementId: string | null;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey: string | null;
  /** Null only for a refund to a new card until the card is loaded. */
  @Column({ name: 'card_hash', type: 'text', nullable: true }) cardHash: string;
  @Column({ name: 'card_encrypted', type: 'text', nullable: true }) cardEncrypted: string;
  @Column({ name: 'card_last4', type: 'text', nullable: true }) cardLast4: string;
  @Column({ type: 'char', length: 3 }) currency: string;
  @Column({ name: 'amount_minor', type: 'bigint', transformer: bigintColumn }) amountMinor: bigint;
  @Column('text') status: RefundStatus;
  /** REFUND: within what the order settled on gift cards; CREDIT: value beyond it (a `credits` key only). */
  @Column({ type: 'text', default: 'REFUND' }) kind: RefundKind;
  @Column({ name: 'failure_reason', type: 'text', nullable: true }) failureReason: string | null;
  @Column({ name: 'provider_transaction_id', type: 'text', nullable: true }) providerTransactionId: string | null;
  /** A refund to a new card: made by the order's gift card fulfillment of line `refund:<id>` (see newCardLine). */
  @Column({ name: 'to_new_card', type: 'boolean', default: false }) toNewCard: boolean;
  @Column({ name: 'new_card_set_id', type: 'text', nullable: true }) newCardSetId: string | null;
  /** A part of a refund that named only its order (refund_allocation), and its place among the parts (1, 2, ...). */
  @Column({ name: 'allocation_id', type: 'uuid', nullable: true }) allocationId: string | null;
  @Column({ name: 'part_index', type: 'integer', nullable: true }) partIndex: number | null;
  /** RefundLock's lease: one worker (a request or the recovery sweep) advances a refund at a time. */
  @Column({ name: 'lock_owner', type: 'uuid', nullable: true }) lockOwner: string | null;
  @Column({ name: 'lock_until', type: 'timestamptz', nullable: true }) lockUntil: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}

/** The order line of the gift card fulfillment that makes a refund's new card. */
export const newCardLine = (refundId: string) => `refund:${refundId}`;

/** A refund that named only its order: the request, split into parts (refund rows with its `allocationId`). */
@Entity('refund_allocation')
export class RefundAllocation {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'order_id', type: 'text' }) orderId: string;
  @Column({ name: 'idempotency_key', type: 'text' }) idempotencyKey: string;
  @Column({ type: 'char', length: 3 }) currency: string;
  @Column({ name: 'amount_minor', type: 'bigint', transformer: bigintColumn }) amountMinor: bigint;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
