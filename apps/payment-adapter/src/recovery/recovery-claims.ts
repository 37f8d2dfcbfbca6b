import { Injectable } from '@nestjs/common';
import { eventRefsOf } from '../history/call-refs';
import { HistoryService } from '../history/history.service';
import { backoffCeilingMs } from '../settlement-job/backoff';
import { DueCall, RecoveryRepository } from './recovery.repository';

export type { DueCall } from './recovery.repository';

/** How long a sweep holds the calls it claimed (pushed-out `next_check_at`); a crashed sweep's come back after it. */
const CLAIM_SECONDS = 60;
/** Backoff between checks of one call: 5 s, doubled per attempt, at most 5 min (as ProviderCallsService.resolve). */
export const CHECK_BACKOFF = { baseMs: 5000, maxMs: 300_000 };

/**
 * The sweep's queue is `provider_call` itself: calls still PENDING or UNKNOWN whose `next_check_at` has
 * passed (a PENDING one that old was interrupted: a crash between the call and its commit). A claim pushes
 * `next_check_at` out, under `FOR UPDATE SKIP LOCKED`, so concurrent sweeps split the work.
 */
@Injectable()
export class RecoveryClaims {
  constructor(
    private readonly repository: RecoveryRepository,
    private readonly history: HistoryService,
  ) {}

  claim(limit: number): Promise<DueCall[]> {
    return this.repository.claimDue(limit, CLAIM_SECONDS);
  }

  current(ids: string[]): Promise<Map<string, { outcome: string; checkAttempts: number }>> {
    return this.repository.currentStates(ids);
  }

  /** Checked again later: `attempts` counted so far, the next check after the backoff. */
  checkLater(id: string, attempts: number, delayMs = backoffCeilingMs(attempts, CHECK_BACKOFF)): Promise<void> {
    return this.repository.checkLater(id, attempts, delayMs);
  }

  /**
   * Given up: UNKNOWN, listed for an operator, and still checked every `recheckMs` (a provider that answers
   * again days later still gets its calls resolved without anyone asking). Recorded in the order's history
   * (TRANSACTION_GIVEN_UP, which tells the OMS: `transaction.unknown`) in the same commit.
   */
  async giveUp(id: string, attempts: number, recheckMs: number, actor: string): Promise<void> {
    await this.repository.transaction(async (tx) => {
      const call = await this.repository.giveUp(tx, id, attempts, recheckMs);
      if (!call) return;
      await this.history.append(tx, {
        ...eventRefsOf(call),
        type: 'TRANSACTION_GIVEN_UP',
        fromState: 'UNKNOWN',
        toState: 'UNKNOWN',
        amountMinor: call.amountMinor,
        currency: call.currency,
        actor,
        providerCallId: call.id,
        providerMessage: call.providerMessage,
        detail: { operation: call.operation, checks: attempts },
      });
    });
  }

  unresolvedCount(): Promise<number> {
    return this.repository.unresolvedCount();
  }

  /**
   * Sync settlements a process left PROCESSING when it died between claiming them and recording the intent of
   * their redeem: no call of theirs is unresolved or answered (so no look-up will ever find them), their chain is
   * not leased by anyone (a live request holds it from the claim to the end), and they have not changed for
   * `quietMs`. A batch settlement in that state goes back to the job when its lease runs out; a sync one had no one.
   */
  abandonedSyncSettlements(limit: number, quietMs: number): Promise<string[]> {
    return this.repository.abandonedSyncSettlements(limit, quietMs);
  }

  /**
   * Chains with a link the expiry job closed (re-authorized, expired) whose hold no release or redeem has ended:
   * the close commits with the new hold's approval (or the decision to expire), and the release follows as its
   * own call, so a crash in between leaves a hold nobody owns and no call in the sweep's queue. Only links closed
   * that way in the last 30 days (a partial index), and not in the last `settledSeconds` (a job still working).
   */
  chainsWithUnreleasedClosedHolds(limit: number, settledSeconds = 60): Promise<string[]> {
    return this.repository.chainsWithUnreleasedClosedHolds(limit, settledSeconds);
  }
}
