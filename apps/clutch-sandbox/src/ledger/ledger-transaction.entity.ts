import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The sandbox's own kinds of history row; Clutch shows them as callType and signed balance updates. */
export type HistoryAction = 'hold' | 'redeem' | 'issue' | 'void' | 'allocate' | 'activate';

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

  /** Clutch's id of the request that made this row (`requestRef`), and our External ID. */
  @Column('uuid', { name: 'request_ref', nullable: true })
  requestRef: string | null;

  @Column('text', { name: 'external_transaction_id', nullable: true })
  externalTransactionId: string | null;

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
