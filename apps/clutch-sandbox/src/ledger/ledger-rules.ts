import { Money } from '@gcpa/money';
import { refuse } from '../protocol/clutch-error';

/** The rules of the ledger as plain functions of a card's state, so they are testable without a database. */

export interface CardState {
  pin: string | null;
  active: boolean;
  currency: string;
  balanceMinor: bigint;
}

export interface OpenHold {
  amountMinor: bigint;
}

export interface CardFigures {
  /** Includes held funds. */
  balance: bigint;
  held: bigint;
  available: bigint;
}

export function cardFigures(card: Pick<CardState, 'balanceMinor'>, openHolds: OpenHold[]): CardFigures {
  const held = openHolds.reduce((sum, hold) => sum + hold.amountMinor, 0n);
  return { balance: card.balanceMinor, held, available: card.balanceMinor - held };
}

/** With forcePinValidation, a card that has a PIN must be given that PIN; a card without one passes. */
export function checkPin(card: Pick<CardState, 'pin'>, request: { forcePinValidation: boolean; pin?: string }): void {
  if (request.forcePinValidation && card.pin !== null && request.pin !== card.pin) throw refuse('invalidPin');
}

export function checkActive(card: Pick<CardState, 'active'>): void {
  if (!card.active) throw refuse('cardInactive');
}

export function checkCurrency(card: Pick<CardState, 'currency'>, amount: Money): void {
  if (amount.currency !== card.currency) throw refuse('currencyMismatch');
}

/**
 * How much a hold or a redeem without a hold takes: all of it when available, else (with
 * redeemMaxOnOverdraw) what is available, if anything.
 */
export function amountToTake(available: bigint, requested: bigint, redeemMaxOnOverdraw: boolean): bigint {
  if (available >= requested) return requested;
  if (redeemMaxOnOverdraw && available > 0n) return available;
  throw refuse('insufficientFunds');
}
