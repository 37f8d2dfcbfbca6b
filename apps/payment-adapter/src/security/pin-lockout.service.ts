import { returnedRows } from '@gcpa/database';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../common/domain-errors';

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
    private readonly dataSource: DataSource,
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
    const taken = returnedRows(await this.dataSource.query(
      `INSERT INTO card_lockout AS l (card_hash, failures, window_start) VALUES ($1, 1, now())
       ON CONFLICT (card_hash) DO UPDATE SET
         failures = CASE WHEN l.window_start < now() - make_interval(secs => $2) THEN 1 ELSE l.failures + 1 END,
         window_start = CASE WHEN l.window_start < now() - make_interval(secs => $2) THEN now() ELSE l.window_start END
       WHERE (l.locked_until IS NULL OR l.locked_until <= now())
         AND (l.window_start < now() - make_interval(secs => $2) OR l.failures < $3)
       RETURNING failures`,
      [cardHash, windowSeconds, maxFailures],
    ));
    if (taken.length > 0) return;
    const [row] = await this.dataSource.query(
      // Locked: until the lock ends. At the limit with attempts still in flight: at the latest when the window ends.
      `SELECT greatest(1, ceil(extract(epoch FROM
                CASE WHEN locked_until > now() THEN locked_until ELSE window_start + make_interval(secs => $2) END - now())))::int AS seconds
         FROM card_lockout WHERE card_hash = $1`,
      [cardHash, windowSeconds],
    );
    throw new DomainError(HttpStatus.TOO_MANY_REQUESTS, 'CARD_LOCKED', 'Too many wrong PINs for this card; try again later', {
      retryAfterSeconds: Number(row?.seconds ?? windowSeconds),
    });
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
      await this.dataSource.query(
        `UPDATE card_lockout SET locked_until = now() + make_interval(secs => $3), failures = 0, window_start = now()
          WHERE card_hash = $1 AND failures >= $2 AND (locked_until IS NULL OR locked_until <= now())`,
        [cardHash, maxFailures, lockoutSeconds],
      );
    } else if (verdict === 'PIN_ACCEPTED') {
      await this.recordSuccess(cardHash);
    } else {
      await this.dataSource.query(
        `UPDATE card_lockout SET failures = greatest(failures - 1, 0) WHERE card_hash = $1 AND (locked_until IS NULL OR locked_until <= now())`,
        [cardHash],
      );
    }
  }

  async assertNotLocked(cardHash: string): Promise<void> {
    const [row] = await this.dataSource.query(
      `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS seconds FROM card_lockout
        WHERE card_hash = $1 AND locked_until > now()`,
      [cardHash],
    );
    if (row) {
      throw new DomainError(HttpStatus.TOO_MANY_REQUESTS, 'CARD_LOCKED', 'Too many wrong PINs for this card; try again later', {
        retryAfterSeconds: Number(row.seconds),
      });
    }
  }

  /** A PIN the provider accepted clears the card's count; with `manager`, in that transaction (the hold's approval). */
  async recordSuccess(cardHash: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource).query(`DELETE FROM card_lockout WHERE card_hash = $1 AND (locked_until IS NULL OR locked_until < now())`, [cardHash]);
  }
}
