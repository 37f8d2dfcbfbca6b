import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type HoldStatus = 'OPEN' | 'REDEEMED' | 'RELEASED' | 'VOIDED' | 'EXPIRED';

/** A reservation on a card; its id is the transactionId of the hold. `amountMinor` is what it still holds. */
@Entity('hold')
export class HoldEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text', { name: 'card_number' })
  cardNumber: string;

  @Column('bigint', { name: 'original_amount_minor', transformer: bigintColumn })
  originalAmountMinor: bigint;

  @Column('bigint', { name: 'amount_minor', transformer: bigintColumn })
  amountMinor: bigint;

  @Column('text')
  status: HoldStatus;

  @Column({ type: 'timestamptz', name: 'created_at', insert: false, update: false })
  createdAt: Date;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;
}
