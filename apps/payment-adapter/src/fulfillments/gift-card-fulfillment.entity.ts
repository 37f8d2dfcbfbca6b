import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type FulfillmentKind = 'ELECTRONIC' | 'PHYSICAL';
export type FulfillmentStatus = 'PENDING' | 'COMPLETED' | 'FAILED';

/** One gift card order line turned into a live card: which steps it reached, when, and the provider's references. */
@Entity('gift_card_fulfillment')
export class GiftCardFulfillment {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'order_id', type: 'text' }) orderId: string;
  @Column({ name: 'line_id', type: 'text' }) lineId: string;
  /** The key of the request that created it (later requests for the same line may carry other keys). */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey: string | null;
  @Column('text') kind: FulfillmentKind;
  @Column({ name: 'card_set_id', type: 'text', nullable: true }) cardSetId: string | null;
  /** Null for an electronic card until it is allocated. */
  @Column({ name: 'card_hash', type: 'text', nullable: true }) cardHash: string | null;
  @Column({ name: 'card_encrypted', type: 'text', nullable: true }) cardEncrypted: string | null;
  @Column({ name: 'card_last4', type: 'text', nullable: true }) cardLast4: string | null;
  @Column({ type: 'char', length: 3 }) currency: string;
  @Column({ name: 'amount_minor', type: 'bigint', transformer: bigintColumn }) amountMinor: bigint;
  @Column('text') status: FulfillmentStatus;
  @Column({ name: 'failure_reason', type: 'text', nullable: true }) failureReason: string | null;
  @Column({ name: 'failure_message', type: 'text', nullable: true }) failureMessage: string | null;
  @Column({ name: 'allocated_at', type: 'timestamptz', nullable: true }) allocatedAt: Date | null;
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true }) activatedAt: Date | null;
  @Column({ name: 'issued_at', type: 'timestamptz', nullable: true }) issuedAt: Date | null;
  @Column({ name: 'allocate_reference', type: 'text', nullable: true }) allocateReference: string | null;
  @Column({ name: 'activate_reference', type: 'text', nullable: true }) activateReference: string | null;
  @Column({ name: 'issue_reference', type: 'text', nullable: true }) issueReference: string | null;
  /** An electronic card's PIN from its allocation, encrypted, until the first answer that shows the card (then erased). */
  @Column({ name: 'pin_encrypted', type: 'text', nullable: true }) pinEncrypted: string | null;
  /** When the full card number and PIN were shown, in the one answer that shows them. */
  @Column({ name: 'revealed_at', type: 'timestamptz', nullable: true }) revealedAt: Date | null;
  /** A card made for a refund to a new card: its value is issued as return-related. */
  @Column({ name: 'return_related', type: 'boolean', default: false }) returnRelated: boolean;
  /** A lease: the one process running this fulfillment's steps. */
  @Column({ name: 'lock_owner', type: 'uuid', nullable: true }) lockOwner: string | null;
  @Column({ name: 'lock_until', type: 'timestamptz', nullable: true }) lockUntil: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
