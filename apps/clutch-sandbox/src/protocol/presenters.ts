import { CardHistoryTransaction, ClutchBalance, ClutchCard } from '@gcpa/clutch';
import { money, toMajorNumber } from '@gcpa/money';
import { CardView } from '../ledger/ledger.service';
import { LedgerTransactionEntity } from '../ledger/ledger-transaction.entity';
import { cardFigures } from '../ledger/ledger-rules';

/** Ledger state in Clutch's wire shape; minor units become major-unit JSON numbers only here. */

export const major = (minor: bigint, currency: string): number => toMajorNumber(money(minor, currency));

/** The available balance, then one entry per open hold (available = sum of the non-hold entries). */
export function presentBalances({ card, openHolds }: CardView): ClutchBalance[] {
  const { available } = cardFigures(card, openHolds);
  return [
    { balanceType: 'Currency', balanceCode: card.currency, amount: major(available, card.currency) },
    ...openHolds.map((hold) => ({
      balanceType: 'Currency',
      balanceCode: card.currency,
      amount: major(hold.amountMinor, card.currency),
      isHold: true,
      holdTransactionId: hold.id,
    })),
  ];
}

export function presentCard(view: CardView): ClutchCard {
  return {
    cardNumber: view.card.cardNumber,
    cardSetId: view.card.cardSetId,
    active: view.card.active,
    balances: presentBalances(view),
  };
}

export function presentHistoryEntry(row: LedgerTransactionEntity): CardHistoryTransaction {
  return {
    transactionId: row.id,
    ...(row.customRequestId !== null ? { customRequestId: row.customRequestId } : {}),
    action: row.action,
    amount: { balanceType: 'Currency', balanceCode: row.currency, amount: major(row.amountMinor, row.currency) },
    ...(row.relatedTransactionId !== null ? { relatedTransactionId: row.relatedTransactionId } : {}),
    isReturnRelated: row.isReturnRelated,
    voided: row.voided,
    createdAt: row.createdAt.toISOString(),
  };
}
