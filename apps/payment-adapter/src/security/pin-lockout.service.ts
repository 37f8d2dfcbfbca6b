import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain-errors';

export interface PinLockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export const PIN_LOCKOUT_POLICY = 'PIN_LOCKOUT_POLICY';

/**
 * Repeated wrong PINs on one card lock it for a while, so a caller cannot guess PINs through us.
 * Counted in the database, so every instance of the adapter sees the same count.
 */
@Injectable()
export class PinLockoutService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PIN_LOCKOUT_POLICY) private readonly policy: PinLockoutPolicy,
  ) {}

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

  async recordFailure(cardHash: string): Promise<void> {
    const { maxFailures, windowSeconds, lockoutSeconds } = this.policy;
    await this.dataSource.query(
      `INSERT INTO card_lockout AS l (card_hash, failures, window_start) VALUES ($1, 1, now())
       ON CONFLICT (card_hash) DO UPDATE SET
         failures = CASE WHEN l.window_start < now() - make_interval(secs => $2) THEN 1 ELSE l.failures + 1 END,
         window_start = CASE WHEN l.window_start < now() - make_interval(secs => $2) THEN now() ELSE l.window_start END`,
      [cardHash, windowSeconds],
    );
    await this.dataSource.query(
      `UPDATE card_lockout SET locked_until = now() + make_interval(secs => $3), failures = 0, window_start = now()
        WHERE card_hash = $1 AND failures >= $2`,
      [cardHash, maxFailures, lockoutSeconds],
    );
  }

  async recordSuccess(cardHash: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM card_lockout WHERE card_hash = $1 AND (locked_until IS NULL OR locked_until < now())`, [cardHash]);
  }
}
