import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One state change of a payment. Append-only: a database trigger refuses updates and deletes. */
@Entity('payment_event')
export class PaymentEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'order_id', type: 'text' }) orderId: string;
  @Column({ name: 'authorization_id', type: 'uuid', nullable: true }) authorizationId: string | null;
  @Column({ name: 'settlement_id', type: 'uuid', nullable: true }) settlementId: string | null;
  @Column({ name: 'refund_id', type: 'uuid', nullable: true }) refundId: string | null;
  @Column({ name: 'fulfillment_id', type: 'uuid', nullable: true }) fulfillmentId: string | null;
  @Column('text') type: string;
  @Column({ name: 'from_state', type: 'text', nullable: true }) fromState: string | null;
  @Column({ name: 'to_state', type: 'text', nullable: true }) toState: string | null;
  @Column({ name: 'amount_minor', type: 'bigint', nullable: true, transformer: bigintColumn }) amountMinor: bigint | null;
  @Column({ type: 'char', length: 3, nullable: true }) currency: string | null;
  /** The API key name that asked, or `settlement-job` / `recovery-sweep`. */
  @Column('text') actor: string;
  @Column({ name: 'provider_call_id', type: 'uuid', nullable: true }) providerCallId: string | null;
  @Column({ name: 'provider_transaction_id', type: 'text', nullable: true }) providerTransactionId: string | null;
  @Column({ name: 'provider_message', type: 'text', nullable: true }) providerMessage: string | null;
  @Column({ type: 'jsonb', nullable: true }) detail: Record<string, unknown> | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

export type NewPaymentEvent = Partial<Omit<PaymentEvent, 'id' | 'createdAt'>> & Pick<PaymentEvent, 'orderId' | 'type' | 'actor'>;
