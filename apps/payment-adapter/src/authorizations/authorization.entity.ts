import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { AuthorizationState, ClosedReason, Decision } from './authorization-state';

/** One hold on one card for one order. Advanced holds link to the authorization they replaced. */
@Entity('authorization_hold')
export class Authorization {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'order_id', type: 'text' }) orderId: string;
  /** The first authorization of the chain: the one the OMS quotes; settlements of the chain lock it. */
  @Column({ name: 'root_id', type: 'uuid' }) rootId: string;
  @Column({ name: 'previous_id', type: 'uuid', nullable: true }) previousId: string | null;
  @Column({ name: 'next_id', type: 'uuid', nullable: true }) nextId: string | null;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey: string | null;
  @Column({ name: 'card_hash', type: 'text' }) cardHash: string;
  @Column({ name: 'card_encrypted', type: 'text' }) cardEncrypted: string;
  @Column({ name: 'card_last4', type: 'text' }) cardLast4: string;
  @Column({ type: 'char', length: 3 }) currency: string;
  @Column({ name: 'requested_minor', type: 'bigint', transformer: bigintColumn }) requestedMinor: bigint;
  @Column({ name: 'approved_minor', type: 'bigint', transformer: bigintColumn }) approvedMinor: bigint;
  @Column({ name: 'held_minor', type: 'bigint', transformer: bigintColumn }) heldMinor: bigint;
  @Column({ name: 'settled_minor', type: 'bigint', transformer: bigintColumn }) settledMinor: bigint;
  @Column({ name: 'allow_partial', type: 'boolean' }) allowPartial: boolean;
  @Column('text') state: AuthorizationState;
  @Column({ type: 'text', nullable: true }) decision: Decision | null;
  @Column({ name: 'decline_reason', type: 'text', nullable: true }) declineReason: string | null;
  @Column({ name: 'closed_reason', type: 'text', nullable: true }) closedReason: ClosedReason | null;
  @Column({ name: 'provider_hold_id', type: 'text', nullable: true }) providerHoldId: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ name: 'lock_owner', type: 'uuid', nullable: true }) lockOwner: string | null;
  @Column({ name: 'lock_until', type: 'timestamptz', nullable: true }) lockUntil: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}
