import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('card_set')
export class CardSetEntity {
  @PrimaryColumn('text')
  id: string;

  @Column('boolean', { name: 'has_pin' })
  hasPin: boolean;

  @Column('char', { length: 3 })
  currency: string;
}
