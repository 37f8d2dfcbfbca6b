import { CardSetEntity } from '../ledger/card-set.entity';
import { CardEntity } from '../ledger/card.entity';
import { HoldEntity } from '../ledger/hold.entity';
import { LedgerTransactionEntity } from '../ledger/ledger-transaction.entity';

/** Every TypeORM entity of the sandbox ledger. */
export const sandboxEntities: Function[] = [CardSetEntity, CardEntity, HoldEntity, LedgerTransactionEntity];
