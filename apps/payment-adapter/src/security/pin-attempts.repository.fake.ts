import { EntityManager } from 'typeorm';
import { PinAttemptsRepository } from './pin-attempts.repository';

/** A card's `card_lockout` row: times in epoch milliseconds. */
export interface CardAttempts {
  failures: number;
  windowStart: number;
  lockedUntil: number | null;
}

/**
 * `PinAttemptsRepository` in a map, for unit tests: the same window and lock conditions as the statements, on
 * the clock `now` (epoch milliseconds), which a test moves. It keeps the transaction each clear was given.
 */
export class InMemoryPinAttemptsRepository extends PinAttemptsRepository {
  now = Date.parse('2030-01-01T00:00:00Z');
  readonly cards = new Map<string, CardAttempts>();
  readonly clearedIn: Array<EntityManager | undefined> = [];

  async take(cardHash: string, windowSeconds: number, maxFailures: number): Promise<boolean> {
    const row = this.cards.get(cardHash);
    if (!row) {
      this.cards.set(cardHash, { failures: 1, windowStart: this.now, lockedUntil: null });
      return true;
    }
    const windowOver = row.windowStart < this.now - windowSeconds * 1000;
    if (!this.unlocked(row) || !(windowOver || row.failures < maxFailures)) return false;
    Object.assign(row, windowOver ? { failures: 1, windowStart: this.now } : { failures: row.failures + 1 });
    return true;
  }

  async secondsUntilFree(cardHash: string, windowSeconds: number): Promise<number | null> {
    const row = this.cards.get(cardHash);
    if (!row) return null;
    const until = row.lockedUntil !== null && row.lockedUntil > this.now ? row.lockedUntil : row.windowStart + windowSeconds * 1000;
    return Math.max(1, Math.ceil((until - this.now) / 1000));
  }

  async lockAtLimit(cardHash: string, maxFailures: number, lockoutSeconds: number): Promise<void> {
    const row = this.cards.get(cardHash);
    if (!row || row.failures < maxFailures || !this.unlocked(row)) return;
    Object.assign(row, { lockedUntil: this.now + lockoutSeconds * 1000, failures: 0, windowStart: this.now });
  }

  async giveBack(cardHash: string): Promise<void> {
    const row = this.cards.get(cardHash);
    if (row && this.unlocked(row)) row.failures = Math.max(row.failures - 1, 0);
  }

  async lockedSeconds(cardHash: string): Promise<number | null> {
    const row = this.cards.get(cardHash);
    return row && row.lockedUntil !== null && row.lockedUntil > this.now ? Math.ceil((row.lockedUntil - this.now) / 1000) : null;
  }

  async clear(tx: EntityManager | undefined, cardHash: string): Promise<void> {
    this.clearedIn.push(tx);
    const row = this.cards.get(cardHash);
    // As the statement: a lock that ends right now is not cleared yet (`locked_until < now()`).
    if (row && (row.lockedUntil === null || row.lockedUntil < this.now)) this.cards.delete(cardHash);
  }

  private unlocked(row: CardAttempts): boolean {
    return row.lockedUntil === null || row.lockedUntil <= this.now;
  }
}
