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

/** Clutch: "Could not find the account that goes with the specified card." for a number never allocated or activated. */
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

/** A hold for more than is available: refused, or (behaviour `holdShort`) what is available, if anything. */
export function amountToHold(available: bigint, requested: bigint, overBalance: 'refuse' | 'holdShort'): bigint {
  return amountToTake(available, requested, overBalance === 'holdShort');
}

/**
 * What a history row did to the balance, as `cardHistory` shows it: a redeem negative, an issue positive, a
 * hold and a hold release 0; a void the opposite of what it voided.
 */
export function signedAmount(action: string, amountMinor: bigint, voidedAction?: string): bigint {
  switch (action) {
    case 'issue':
      return amountMinor;
    case 'redeem':
      return -amountMinor;
    case 'void':
      return voidedAction === 'redeem' ? amountMinor : voidedAction === 'issue' ? -amountMinor : 0n;
    default:
      return 0n;
  }
}
