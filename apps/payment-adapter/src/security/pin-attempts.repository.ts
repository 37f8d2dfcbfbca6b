import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Every statement of the PIN lockout: the `card_lockout` row of a card (its failures in the current window and
 * the end of its lock). The window and lock rules are conditions of the statements, so that parallel attempts
 * on one card are decided by the row, atomically. The abstract class is the Nest token; `PgPinAttemptsRepository`
 * holds the SQL, `InMemoryPinAttemptsRepository` the fake.
 */
export abstract class PinAttemptsRepository {
  /**
   * Counts an attempt as a failure (a new window when the last one ended `windowSeconds` ago); false, with
   * nothing written, while the card is locked or its window already holds `maxFailures`.
   */
  abstract take(cardHash: string, windowSeconds: number, maxFailures: number): Promise<boolean>;

  /** Reads how long a refused attempt waits: until the lock ends, else until the window ends (1 s at least); null without a row. */
  abstract secondsUntilFree(cardHash: string, windowSeconds: number): Promise<number | null>;

  /** Locks an unlocked card whose failures reached `maxFailures` for `lockoutSeconds`, and starts a new window. */
  abstract lockAtLimit(cardHash: string, maxFailures: number, lockoutSeconds: number): Promise<void>;

  /** Gives an attempt back (one failure less) on an unlocked card. */
  abstract giveBack(cardHash: string): Promise<void>;

  /** Reads how long the card stays locked (seconds, rounded up); null when it is not locked. */
  abstract lockedSeconds(cardHash: string): Promise<number | null>;

  /** Deletes the count of an unlocked card; in `tx` when given (the hold's approval), else on its own. */
  abstract clear(tx: EntityManager | undefined, cardHash: string): Promise<void>;
}

/** The PIN attempts in PostgreSQL (table `card_lockout`). */
@Injectable()
export class PgPinAttemptsRepository extends PinAttemptsRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async take(cardHash: string, windowSeconds: number, maxFailures: number): Promise<boolean> {
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
    return taken.length > 0;
  }

  async secondsUntilFree(cardHash: string, windowSeconds: number): Promise<number | null> {
    const [row] = await this.dataSource.query(
      `SELECT greatest(1, ceil(extract(epoch FROM
                CASE WHEN locked_until > now() THEN locked_until ELSE window_start + make_interval(secs => $2) END - now())))::int AS seconds
         FROM card_lockout WHERE card_hash = $1`,
      [cardHash, windowSeconds],
    );
    return row ? Number(row.seconds) : null;
  }

  async lockAtLimit(cardHash: string, maxFailures: number, lockoutSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE card_lockout SET locked_until = now() + make_interval(secs => $3), failures = 0, window_start = now()
        WHERE card_hash = $1 AND failures >= $2 AND (locked_until IS NULL OR locked_until <= now())`,
      [cardHash, maxFailures, lockoutSeconds],
    );
  }

  async giveBack(cardHash: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE card_lockout SET failures = greatest(failures - 1, 0) WHERE card_hash = $1 AND (locked_until IS NULL OR locked_until <= now())`,
      [cardHash],
    );
  }

  async lockedSeconds(cardHash: string): Promise<number | null> {
    const [row] = await this.dataSource.query(
      `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS seconds FROM card_lockout
        WHERE card_hash = $1 AND locked_until > now()`,
      [cardHash],
    );
    return row ? Number(row.seconds) : null;
  }

  async clear(tx: EntityManager | undefined, cardHash: string): Promise<void> {
    await (tx ?? this.dataSource).query(`DELETE FROM card_lockout WHERE card_hash = $1 AND (locked_until IS NULL OR locked_until < now())`, [cardHash]);
  }
}
