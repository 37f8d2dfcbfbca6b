import { randomInt } from 'node:crypto';

/** A new card number: 16 digits starting with 6 (the sandbox's range), from crypto randomness. */
export function newCardNumber(): string {
  let digits = '6';
  for (let i = 0; i < 15; i++) digits += randomInt(10).toString();
  return digits;
}

/** A new 4-digit PIN. */
export function newPin(): string {
  return randomInt(10000).toString().padStart(4, '0');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Transaction and hold ids are UUIDs; anything else cannot name one (and must not reach a uuid column). */
export const isTransactionId = (value: string): boolean => UUID.test(value);
