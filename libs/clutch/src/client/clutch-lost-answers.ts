import { LostCallCandidate, LostCallFinding, LostCallInput } from '@gcpa/gift-card-provider';
import { formatAmount, Money } from '@gcpa/money';
import { CardHistoryEntry, ClutchBalance, ClutchCard } from '../protocol';
import { fromClutchNumber } from './clutch-amounts';

/**
 * Deciding what a lost call did from what Clutch shows of a card (the section "Resolving a lost answer" of
 * the Clutch notes). Clutch's history carries no reference of ours, so only state can tell: whether a hold
 * entry still exists, and which history entries of the right amount appeared since the call began. Pure
 * functions of that state, so each rule is unit-tested without a server.
 */

/** A hold entry of the card, as `search` lists it. */
export interface HoldEntry {
  holdId: string;
  amount: Money;
}

/** The hold entries in `currency` of a card's balances (`search`, or an `updateBalance` answer). */
export function holdEntries(balances: readonly ClutchBalance[] | undefined, currency: string): HoldEntry[] {
  return (balances ?? [])
    .filter((b) => b.isHold === true && b.balanceType === 'Currency' && b.balanceCode === currency && typeof b.holdingTransactionId === 'string')
    .map((b) => ({ holdId: b.holdingTransactionId!, amount: fromClutchNumber(Math.abs(b.amount), currency) }));
}

/** Whether the card still shows the hold a redeem or a release acted on. */
export function holdShown(card: ClutchCard | null, input: Pick<LostCallInput, 'holdId' | 'amount'>): boolean {
  return holdEntries(card?.balances, input.amount.currency).some((h) => h.holdId === input.holdId);
}

/**
 * History entries whose balance update in `currency` is exactly `signedMinor`, not explained by our records, and
 * not older (on the provider's clock) than an entry of a call of ours answered before the lost call began: the
 * history is read from the call's start less the allowed clock skew, and what the card had just before the call
 * (its own load of the amount, say) must not pass for the call.
 */
export function unexplainedEntries(entries: readonly CardHistoryEntry[], signedMinor: bigint, input: LostCallInput): CardHistoryEntry[] {
  const currency = input.amount.currency;
  const before = input.known.answeredBefore;
  const notAfter = before ? Math.max(-Infinity, ...entries.filter((e) => before.has(e.transactionId)).map((e) => e.transactionTime)) : -Infinity;
  return entries.filter((entry) => {
    if (input.known.transactionIds.has(entry.transactionId) || input.known.holdIds.has(entry.transactionId)) return false;
    if (entry.transactionTime < notAfter) return false;
    return (entry.balanceUpdates ?? []).some(
      (u) => u.balanceType === 'Currency' && u.balanceCode === currency && fromClutchNumber(u.amount, currency).minor === signedMinor,
    );
  });
}

const candidateOf = (entry: CardHistoryEntry, amount: Money): LostCallCandidate => ({
  transactionId: entry.transactionId,
  amount: formatAmount(amount),
  at: new Date(entry.transactionTime).toISOString(),
});

/** A hold: the card's hold entries of the amount asked that we do not know. */
export function resolveLostHold(card: ClutchCard | null, input: LostCallInput): LostCallFinding {
  const unknown = holdEntries(card?.balances, input.amount.currency).filter((h) => !input.known.holdIds.has(h.holdId));
  const exact = unknown.filter((h) => h.amount.minor === input.amount.minor);
  const candidates = unknown.map((h) => ({ transactionId: h.holdId, amount: formatAmount(h.amount) }));
  if (exact.length === 1) {
    return { outcome: 'APPLIED', transactionId: exact[0].holdId, amount: exact[0].amount, note: 'the one hold of this amount on the card that nobody knows' };
  }
  if (exact.length > 1) return { outcome: 'UNDECIDED', note: `${exact.length} unknown holds of ${formatAmount(input.amount)} on the card`, candidates };
  // A hold shorter than asked could still be ours if the provider ever holds short (an open question).
  if (unknown.some((h) => h.amount.minor < input.amount.minor)) {
    return { outcome: 'UNDECIDED', note: 'unknown holds of other amounts on the card', candidates };
  }
  if (!input.graceElapsed) return { outcome: 'UNDECIDED', note: 'no hold found yet; the call may still land', candidates: [] };
  return { outcome: 'NOT_APPLIED', note: 'no unknown hold on the card after the grace period' };
}

/**
 * A redeem from a hold (amount > 0) or a release (amount 0): the hold entry still there means the call did
 * not apply; gone means it was consumed, and a redeem is confirmed by a history entry of -amount.
 */
export function resolveLostHoldUse(card: ClutchCard | null, history: readonly CardHistoryEntry[], input: LostCallInput): LostCallFinding {
  const present = holdShown(card, input);
  const release = input.amount.minor === 0n;
  if (present) {
    // A release sent again is harmless; a redeem sent again while the first may still land could fail on a
    // hold the first consumed, so "not applied" waits for the grace period.
    if (release || input.graceElapsed) return { outcome: 'NOT_APPLIED', note: 'the hold is still there' };
    return { outcome: 'UNDECIDED', note: 'the hold is still there; the call may still land', candidates: [] };
  }
  if (release) return { outcome: 'APPLIED', transactionId: null, amount: input.amount, note: 'the hold is gone: nothing is held' };
  const redeems = unexplainedEntries(history, -input.amount.minor, input);
  if (redeems.length === 1) {
    return { outcome: 'APPLIED', transactionId: redeems[0].transactionId, amount: input.amount, note: 'the hold is gone and one redeem of the amount appeared' };
  }
  if (redeems.length === 0) return { outcome: 'NOT_APPLIED', note: 'the hold is gone (expired or released) and nothing was redeemed' };
  return {
    outcome: 'UNDECIDED',
    note: `the hold is gone and ${redeems.length} redeems of ${formatAmount(input.amount)} appeared`,
    candidates: redeems.map((e) => candidateOf(e, input.amount)),
  };
}

/** An issue (+amount) or a plain redeem (-amount): history entries of that amount since the call began. */
export function resolveLostMovement(history: readonly CardHistoryEntry[], signedMinor: bigint, input: LostCallInput): LostCallFinding {
  const found = unexplainedEntries(history, signedMinor, input);
  if (found.length === 1) {
    return { outcome: 'APPLIED', transactionId: found[0].transactionId, amount: input.amount, note: 'one history entry of the amount since the call began' };
  }
  if (found.length > 1) {
    return {
      outcome: 'UNDECIDED',
      note: `${found.length} history entries of ${formatAmount(input.amount)} since the call began`,
      candidates: found.map((e) => candidateOf(e, input.amount)),
    };
  }
  if (!input.graceElapsed) return { outcome: 'UNDECIDED', note: 'nothing in the history yet; the call may still land', candidates: [] };
  return { outcome: 'NOT_APPLIED', note: 'no history entry of the amount after the grace period' };
}

/** An activation: the card shows an activation date once it applied. */
export function resolveLostActivation(card: ClutchCard | null, input: LostCallInput): LostCallFinding {
  if (card?.activationDate) return { outcome: 'APPLIED', transactionId: null, amount: input.amount, note: 'the card is active' };
  if (!input.graceElapsed) return { outcome: 'UNDECIDED', note: 'the card is not active yet; the call may still land', candidates: [] };
  return { outcome: 'NOT_APPLIED', note: 'the card is still not active after the grace period' };
}
