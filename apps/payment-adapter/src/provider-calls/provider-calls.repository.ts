import { KnownOnCard } from '@gcpa/gift-card-provider';
import { returnedRows } from '@gcpa/database';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ProviderCall } from './provider-call.entity';

/** What an answered call (or one nothing was sent for) records: its outcome and what the provider said. */
export type CallAnswer = Pick<ProviderCall, 'outcome' | 'completedAt' | 'nextCheckAt' | 'providerTransactionId' | 'resultMinor' | 'providerMessage' | 'errorKind'>;

/** What a look-up (or an operator) proved of an unanswered call. */
export interface CallSettlement {
  outcome: 'APPLIED' | 'NOT_APPLIED';
  providerTransactionId: string | null;
  resultMinor: bigint | null;
  resolutionNote: string;
  completedAt: Date;
}

/**
 * Every statement of the provider calls (table `provider_call`, and the holds `authorization_hold` owns on a
 * card): the intent before a call, its outcome after, and what a look-up of a lost answer reads and writes.
 * Writes that commit with the caller's own rows take the caller's transaction (`tx`), a fenced one of
 * `LeaseFence`. The abstract class is the Nest token; `PgProviderCallsRepository` holds the SQL,
 * `InMemoryProviderCallsRepository` the fake.
 */
export abstract class ProviderCallsRepository {
  /** Inserts a call's intent (a PENDING row). */
  abstract insert(tx: EntityManager, call: ProviderCall): Promise<void>;

  /** Updates a call with its answer: its outcome, the provider's transaction and message, when to check it again. */
  abstract answer(tx: EntityManager, id: string, answer: CallAnswer): Promise<void>;

  /** Reads the calls on an authorization still PENDING or UNKNOWN, oldest first. */
  abstract unresolvedFor(authorizationId: string): Promise<ProviderCall[]>;

  /** Updates an undecided call with what its look-up found (the candidates, null for none) and why it stays UNKNOWN. */
  abstract keepUndecided(id: string, candidates: ProviderCall['candidates'], note: string): Promise<void>;

  /**
   * Reads the provider references our records explain on the card: the holds and transactions of every call on
   * it but `exceptCallId`, and the holds its authorizations own. One statement.
   */
  abstract knownOnCard(cardHash: string, exceptCallId: string): Promise<KnownOnCard>;

  /**
   * Updates a call whose look-up could not be made now: one more attempt, the note, and its next check after a
   * backoff, never later than one already planned.
   */
  abstract checkLater(id: string, note: string): Promise<void>;

  /**
   * Updates a call with what a look-up proved, clearing its candidates and any operator decision; returns whether
   * the recovery sweep had given it up (false when there is no such call).
   */
  abstract settle(tx: EntityManager, id: string, settlement: CallSettlement): Promise<boolean>;
}

/** The provider calls in PostgreSQL (table `provider_call`; a read of `authorization_hold`). */
@Injectable()
export class PgProviderCallsRepository extends ProviderCallsRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insert(tx: EntityManager, call: ProviderCall): Promise<void> {
    await tx.getRepository(ProviderCall).insert(call);
  }

  async answer(tx: EntityManager, id: string, answer: CallAnswer): Promise<void> {
    await tx.getRepository(ProviderCall).update(id, answer);
  }

  unresolvedFor(authorizationId: string): Promise<ProviderCall[]> {
    return this.dataSource.getRepository(ProviderCall).find({
      where: [
        { authorizationId, outcome: 'UNKNOWN' },
        { authorizationId, outcome: 'PENDING' },
      ],
      order: { createdAt: 'ASC' },
    });
  }

  async keepUndecided(id: string, candidates: ProviderCall['candidates'], note: string): Promise<void> {
    await this.dataSource.query(`UPDATE provider_call SET candidates = $2::jsonb, resolution_note = $3 WHERE id = $1`, [
      id,
      candidates === null ? null : JSON.stringify(candidates),
      note,
    ]);
  }

  async knownOnCard(cardHash: string, exceptCallId: string): Promise<KnownOnCard> {
    const rows: Array<{ id: string | null; hold: boolean; before: boolean }> = await this.dataSource.query(
      `SELECT provider_transaction_id AS id, operation = 'HOLD' AS hold,
              coalesce(completed_at < (SELECT created_at FROM provider_call WHERE id = $2), false) AS before
         FROM provider_call WHERE card_hash = $1 AND id <> $2 AND provider_transaction_id IS NOT NULL
       UNION SELECT provider_hold_id, true, false FROM authorization_hold WHERE card_hash = $1 AND provider_hold_id IS NOT NULL`,
      [cardHash, exceptCallId],
    );
    const holdIds = new Set<string>();
    const transactionIds = new Set<string>();
    const answeredBefore = new Set<string>();
    for (const row of rows) {
      if (row.id === null) continue;
      (row.hold ? holdIds : transactionIds).add(row.id);
      if (row.before) answeredBefore.add(row.id);
    }
    return { holdIds, transactionIds, answeredBefore };
  }

  async checkLater(id: string, note: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE provider_call SET check_attempts = check_attempts + 1, resolution_note = $2,
         next_check_at = least(next_check_at, now() + make_interval(secs => least(300, 5 * power(2, check_attempts))))
       WHERE id = $1`,
      [id, note],
    );
  }

  async settle(tx: EntityManager, id: string, s: CallSettlement): Promise<boolean> {
    const [row] = returnedRows<{ given_up: boolean }>(
      await tx.query(
        `UPDATE provider_call SET outcome = $2, provider_transaction_id = $3, result_minor = $4, resolution_note = $5,
                candidates = NULL, operator_decision = NULL, completed_at = $6, next_check_at = NULL
          WHERE id = $1 RETURNING given_up_at IS NOT NULL AS given_up`,
        [id, s.outcome, s.providerTransactionId, s.resultMinor === null ? null : s.resultMinor.toString(), s.resolutionNote, s.completedAt],
      ),
    );
    return row?.given_up === true;
  }
}
