import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { SettlementStatus } from '../authorizations/authorization-state';

/** A request to redeem shipped goods' value from an authorization (an invoice). */
@Entity('settlement')
export class Settlement {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'order_id', type: 'text' }) orderId: string;
  /** The authorization the OMS named (possibly superseded since). */
  @Column({ name: 'authorization_id', type: 'uuid' }) authorizationId: string;
  @Column({ name: 'root_authorization_id', type: 'uuid' }) rootAuthorizationId: string;
  /** The open link of the chain the redeem was taken from. */
  @Column({ name: 'served_authorization_id', type: 'uuid', nullable: true }) servedAuthorizationId: string | null;
  @Column({ name: 'advanced_authorization_id', type: 'uuid', nullable: true }) advancedAuthorizationId: string | null;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey: string | null;
  @Column({ name: 'invoice_id', type: 'text' }) invoiceId: string;
  @Column({ type: 'char', length: 3 }) currency: string;
  @Column({ name: 'amount_minor', type: 'bigint', transformer: bigintColumn }) amountMinor: bigint;
  @Column({ name: 'settled_minor', type: 'bigint', transformer: bigintColumn }) settledMinor: bigint;
  @Column('boolean') final: boolean;
  @Column('text') mode: 'sync' | 'batch';
  @Column('text') status: SettlementStatus;
  @Column({ name: 'failure_reason', type: 'text', nullable: true }) failureReason: string | null;
  @Column('integer') attempts: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz' }) nextAttemptAt: Date;
  @Column({ name: 'lease_owner', type: 'uuid', nullable: true }) leaseOwner: string | null;
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}
