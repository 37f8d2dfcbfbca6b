import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '../common/domain-errors';
import { PinAttemptsRepository } from './pin-attempts.repository';

export interface PinLockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export const PIN_LOCKOUT_POLICY = 'PIN_LOCKOUT_POLICY';

/** What a provider's answer said of a PIN attempt. */
export type PinVerdict = 'WRONG_PIN' | 'PIN_ACCEPTED' | 'NO_VERDICT';

/**
 * Repeated wrong PINs on one card lock it for a while, so a caller cannot guess PINs through us.
 * Counted in the database, so every instance of the adapter sees the same count. `beginAttempt`/`finishAttempt`
 * count an attempt before the provider call, atomically, so parallel guesses cannot pass a check made before any
 * of them was counted.
 */
@Injectable()
export class PinLockoutService {
  constructor(
    private readonly attempts: PinAttemptsRepository,
    @Inject(PIN_LOCKOUT_POLICY) private readonly policy: PinLockoutPolicy,
  ) {}

  /**
   * Takes a PIN attempt before the provider is asked, in one statement: the attempt counts as a failure at once, so
   * parallel guesses cannot all pass a check made before any of them was counted. Refused (429 CARD_LOCKED) while
   * the card is locked, or while failures and attempts in flight of the window already reach the limit. Without a
   * PIN there is no guess to count: only the lock is checked. Every taken attempt is settled by `finishAttempt`.
   */
  async beginAttempt(cardHash: string, withPin: boolean): Promise<void> {
    if (!withPin) return this.assertNotLocked(cardHash);
    const { maxFailures, windowSeconds } = this.policy;
    if (await this.attempts.take(cardHash, windowSeconds, maxFailures)) return;
    // Locked: until the lock ends. At the limit with attempts still in flight: at the latest when the window ends.
    const seconds = await this.attempts.secondsUntilFree(cardHash, windowSeconds);
    throw cardLocked(seconds ?? windowSeconds);
  }

  /**
   * Settles an attempt taken by `beginAttempt`: a wrong PIN stays counted and locks the card at the limit; a PIN the
   * provider accepted clears the count; an answer that says nothing about the PIN (unknown card, provider down)
   * gives the attempt back.
   */
  async finishAttempt(cardHash: string, withPin: boolean, verdict: PinVerdict): Promise<void> {
    if (!withPin) return;
    const { maxFailures, lockoutSeconds } = this.policy;
    if (verdict === 'WRONG_PIN') {
      await this.attempts.lockAtLimit(cardHash, maxFailures, lockoutSeconds);
    } else if (verdict === 'PIN_ACCEPTED') {
      await this.recordSuccess(cardHash);
    } else {
      await this.attempts.giveBack(cardHash);
    }
  }

  async assertNotLocked(cardHash: string): Promise<void> {
    const seconds = await this.attempts.lockedSeconds(cardHash);
    if (seconds !== null) throw cardLocked(seconds);
  }

  /** A PIN the provider accepted clears the card's count; with `manager`, in that transaction (the hold's approval). */
  async recordSuccess(cardHash: string, manager?: EntityManager): Promise<void> {
    await this.attempts.clear(manager, cardHash);
  }
}

function cardLocked(retryAfterSeconds: number): DomainError {
  return new DomainError(HttpStatus.TOO_MANY_REQUESTS, 'CARD_LOCKED', 'Too many wrong PINs for this card; try again later', { retryAfterSeconds });
}
