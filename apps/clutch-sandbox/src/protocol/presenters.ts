import { CardHistoryEntry, ClutchBalance, ClutchCard } from '@gcpa/clutch';
import { currencyScale, money, toMajorNumber } from '@gcpa/money';
import { CardView, HistoryRow } from '../ledger/ledger.service';
import { cardFigures } from '../ledger/ledger-rules';

/** Ledger state in Clutch's wire shape; minor units become major-unit JSON numbers only here. */

export const major = (minor: bigint, currency: string): number => toMajorNumber(money(minor, currency));

/**
 * The available value (`isHold: false`), then one entry per open hold naming it by `holdingTransactionId`.
 * A card with nothing on it answers `[]`, as Clutch may.
 */
export function presentBalances({ card, openHolds }: CardView): ClutchBalance[] {
  const { available } = cardFigures(card, openHolds);
  if (card.balanceMinor === 0n && openHolds.length === 0) return [];
  const entry = (minor: bigint) => ({ balanceType: 'Currency', balanceCode: card.currency, amount: major(minor, card.currency), scale: currencyScale(card.currency) });
  return [
    { ...entry(available), isHold: false },
    ...openHolds.map((hold) => ({ ...entry(hold.amountMinor), isHold: true, holdingTransactionId: hold.id })),
  ];
}

export function presentCard(view: CardView): ClutchCard {
  return {
    cardNumber: view.card.cardNumber,
    cardSetId: view.card.cardSetId,
    ...(view.card.active && view.card.activatedAt ? { activationDate: view.card.activatedAt.toISOString() } : {}),
    balances: presentBalances(view),
  };
}

const CALL_TYPES: Record<string, string> = {
  hold: 'UPDATE_BALANCE',
  redeem: 'UPDATE_BALANCE',
  issue: 'UPDATE_BALANCE',
  void: 'VOID_TRANSACTION',
  allocate: 'ALLOCATE',
  activate: 'ALLOCATE',
};

/** A history entry carries no customRequestId: real Clutch history cannot be searched by our reference. */
export function presentHistoryEntry({ row, signedMinor }: HistoryRow): CardHistoryEntry {
  const movesValue = row.action === 'hold' || row.action === 'redeem' || row.action === 'issue' || row.action === 'void';
  return {
    transactionId: row.id,
    isLegacy: false,
    transactionTime: row.createdAt.getTime(),
    location: 'sandbox-location',
    callType: CALL_TYPES[row.action],
    balanceUpdates: movesValue ? [{ balanceType: 'Currency', balanceCode: row.currency, amount: major(signedMinor, row.currency) }] : [],
    ...(row.requestRef !== null ? { requestRef: row.requestRef } : {}),
  };
}
