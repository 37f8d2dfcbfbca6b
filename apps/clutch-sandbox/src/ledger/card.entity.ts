import { bigintColumn } from '@gcpa/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A gift card. `balanceMinor` includes held funds; available = balance - open holds. */
@Entity('card')
export class CardEntity {
  @PrimaryColumn('text', { name: 'card_number' })
  cardNumber: string;

  @Column('text', { nullable: true })
  pin: string | null;

  @Column('text', { name: 'card_set_id' })
  cardSetId: string;

  @Column('boolean')
  active: boolean;

  @Column('char', { length: 3 })
  currency: string;

  /** Set when the card was allocated or activated; Clutch shows it as `activationDate`. */
  @Column('timestamptz', { name: 'activated_at', nullable: true })
  activatedAt: Date | null;

  @Column('bigint', { name: 'balance_minor', transformer: bigintColumn })
  balanceMinor: bigint;

  @Column({ type: 'timestamptz', name: 'created_at', insert: false, update: false })
  createdAt: Date;
}
