import { bigintColumn } from '@gcpa/database';
import type { HistoryAction } from '@gcpa/clutch';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row of a card's history: every movement of value, and the allocations and activations. */
@Entity('ledger_transaction')
export class LedgerTransactionEntity {
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintColumn })
  seq: bigint;

  @PrimaryColumn('uuid')
  id: string;

  @Column('text', { name: 'card_number' })
  cardNumber: string;

  @Column('text')
  action: HistoryAction;

  @Column('bigint', { name: 'amount_minor', transformer: bigintColumn })
  amountMinor: bigint;

  @Column('char', { length: 3 })
  currency: string;

  @Column('text', { name: 'custom_request_id', nullable: true })
  customRequestId: string | null;

  @Column('uuid', { name: 'related_transaction_id', nullable: true })
  relatedTransactionId: string | null;

  @Column('boolean', { name: 'is_return_related' })
  isReturnRelated: boolean;

  /** True on the row that closed a hold (its redeem with release, its release, or its void). */
  @Column('boolean', { name: 'closes_hold' })
  closesHold: boolean;

  @Column('boolean')
  voided: boolean;

  @Column({ type: 'timestamptz', name: 'created_at', insert: false, update: false })
  createdAt: Date;
}
