import {
  GIFT_CARD_PROVIDER,
  GiftCardProvider,
  LostCallFinding,
  ProviderError,
  ProviderOutcomeUnknownError,
  ProviderUnavailableError,
} from '@gcpa/gift-card-provider';
import { Money } from '@gcpa/money';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CardVault } from '../card-data/card-vault';
import { LeaseFence, LeaseLostError } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { eventRefsOf } from '../history/call-refs';
import { Metrics } from '../observability/metrics';
import { CardLease, HeldCardLease } from './card-lease';
import { ProviderCall, ProviderCallOutcome, ProviderOperation } from './provider-call.entity';
import { ProviderCallsRepository } from './provider-calls.repository';

export interface CallIntent {
  operation: ProviderOperation;
  orderId?: string;
  authorizationId?: string;
  settlementId?: string;
  refundId?: string;
  fulfillmentId?: string;
  cardHash?: string;
  cardEncrypted?: string;
  currency?: string;
  amountMinor?: bigint;
  providerHoldId?: string;
  /** The caller already holds the card's lease (reconciliation reads and releases under one): not taken again. */
  cardLeaseHeld?: boolean;
}

export type CallResult<T> =
  | { ok: true; value: T; call: ProviderCall }
  | { ok: false; error: ProviderError; call: ProviderCall };

/** What the provider shows an unanswered call did. */
export interface FoundTransaction {
  transactionId: string | null;
  amount: Money;
}

/** What became of an unknown call, once the provider's state proves it; `unknown` until then. */
export type Resolution = { applied: true; transaction: FoundTransaction } | { applied: false } | { applied: 'unknown' };

export interface ResolveOptions {
  /** What an APPLIED finding means for the caller's own rows: committed in the transaction that records the finding. */
  onApplied?: (manager: EntityManager, transaction: FoundTransaction) => Promise<void>;
  /**
   * False: an APPLIED finding is answered but not recorded, and the call stays in the recovery sweep's queue until
   * the caller records it (`recordApplied`) with the follow-up it depends on, such as the release of a found hold
   * nobody owns. A crash in between leaves the call to be found again, never a known outcome nobody acts on.
   */
  record?: boolean;
  /** What a NOT_APPLIED finding means for the caller's own rows: committed with it, likewise. */
  onNotApplied?: (manager: EntityManager) => Promise<void>;
}

/** The actor of a history event a look-up of a lost answer records (whoever asked: the sweep, an OMS retry). */
const LOOK_UP_ACTOR = 'lost-answer-look-up';

/** Calls that change money on a card: serialised per card so that a look-up of the card's state finds only ours. */
const MONEY_MOVING: ReadonlySet<ProviderOperation> = new Set(['HOLD', 'REDEEM_FROM_HOLD', 'RELEASE_HOLD', 'REDEEM', 'ISSUE', 'ACTIVATE', 'VOID']);

/** The outcome a failure of each kind records: only a lost answer stays open (UNKNOWN) for a look-up. */
export const OUTCOME_OF: Record<ProviderError['kind'], ProviderCallOutcome> = {
  DECLINED: 'DECLINED',
  INVALID_REQUEST: 'FAILED',
  UNAVAILABLE: 'FAILED',
  UNSUPPORTED: 'FAILED',
  OUTCOME_UNKNOWN: 'UNKNOWN',
};

/**
 * Every provider call goes through here (rule 5): the intent is committed before the call, the outcome after.
 * A call whose answer was lost stays UNKNOWN until `resolve` learns from the provider whether it applied.
 */
@Injectable()
export class ProviderCallsService {
  /** A look-up sooner than this after the call may miss a request still in flight at the provider. */
  readonly settleDelayMs: number;
  private readonly logger = new Logger('ProviderCalls');

  constructor(
    private readonly calls: ProviderCallsRepository,
    @Inject(GIFT_CARD_PROVIDER) readonly provider: GiftCardProvider,
    private readonly vault: CardVault,
    @Inject('UNKNOWN_OUTCOME_GRACE_MS') graceMs: number,
    private readonly metrics: Metrics,
    private readonly cards: CardLease,
    @Inject('CARD_LEASE_WAIT_MS') private readonly cardWaitMs: number,
    private readonly fence: LeaseFence,
    private readonly history: HistoryService,
    /** A lost ISSUE waits longer before "not applied" (UNKNOWN_ISSUE_GRACE_MS): issued twice cannot be undone once spent. */
    @Optional() @Inject('UNKNOWN_ISSUE_GRACE_MS') private readonly issueGraceMs: number = graceMs,
  ) {
    this.settleDelayMs = graceMs;
  }

  /**
   * `applySuccess`, when given, records what the success means for the caller's own rows in the transaction
   * that marks the call SUCCEEDED: a crash between the two cannot leave a call answered but unapplied (which
   * no look-up would ever revisit); it leaves the call PENDING, and the recovery sweep looks it up.
   * Every write is fenced by the caller's row lease: a worker that lost it sends nothing, or records nothing of
   * what it was answered (LeaseLostError), and the call is left PENDING for whoever holds the row now.
   */
  async run<T>(
    intent: CallIntent,
    call: (requestId: string) => Promise<T>,
    describe: (value: T) => { transactionId?: string; resultMinor?: bigint },
    applySuccess?: (manager: EntityManager, value: T, record: ProviderCall) => Promise<void>,
  ): Promise<CallResult<T>> {
    // The card's lease is taken in the intent's commit when it is free (one commit, not two); when another call
    // has it, the intent is committed alone and the lease waited for as before.
    const { record, lease: taken } = await this.recordTakingCardLease(intent);
    const lease = taken !== undefined ? taken : await this.cardLeaseFor(intent);
    if (lease === undefined) {
      const busy = new ProviderUnavailableError('another call on this card is still in flight; nothing was sent');
      await this.finish(record, 'FAILED', { providerMessage: busy.message, errorKind: busy.kind });
      return { ok: false, error: busy, call: record };
    }
    // Released in the commit that records the outcome; by itself only when that commit did not happen.
    const release = { lease, done: false };
    try {
      return await this.send(record, intent, call, describe, applySuccess, release);
    } finally {
      if (lease && !release.done) await lease.release();
    }
  }

  /** Money-moving calls on a card wait for the card's lease; undefined when it stayed busy. */
  private async cardLeaseFor(intent: CallIntent): Promise<HeldCardLease | null | undefined> {
    if (!this.needsCardLease(intent)) return null;
    return this.cards.acquire(intent.cardHash!, this.cardWaitMs);
  }

  private needsCardLease(intent: CallIntent): boolean {
    return !!intent.cardHash && MONEY_MOVING.has(intent.operation) && !intent.cardLeaseHeld;
  }

  private async send<T>(
    record: ProviderCall,
    intent: CallIntent,
    call: (requestId: string) => Promise<T>,
    describe: (value: T) => { transactionId?: string; resultMinor?: bigint },
    applySuccess: ((manager: EntityManager, value: T, record: ProviderCall) => Promise<void>) | undefined,
    release: { lease: HeldCardLease | null; done: boolean },
  ): Promise<CallResult<T>> {
    const releaseWith = async (manager: EntityManager) => {
      if (release.lease) await release.lease.releaseWith(manager);
    };
    const timer = this.metrics.providerCalls.startTimer({ operation: intent.operation });
    try {
      const value = await call(record.id);
      timer({ outcome: 'SUCCEEDED' });
      const { transactionId, resultMinor } = describe(value);
      await this.fence.transaction(async (manager) => {
        await this.finish(record, 'SUCCEEDED', { providerTransactionId: transactionId ?? null, resultMinor: resultMinor ?? null }, manager);
        if (applySuccess) await applySuccess(manager, value, record);
        await releaseWith(manager);
      });
      release.done = true;
      return { ok: true, value, call: record };
    } catch (thrown) {
      if (thrown instanceof LeaseLostError) throw thrown;
      const error =
        thrown instanceof ProviderError ? thrown : new ProviderOutcomeUnknownError(`unexpected failure: ${(thrown as Error)?.message}`);
      timer({ outcome: OUTCOME_OF[error.kind] });
      const fields = {
        providerMessage: error.providerMessage ?? error.message,
        errorKind: error.kind === 'DECLINED' ? `DECLINED:${(error as { reason?: string }).reason}` : error.kind,
        nextCheckAt: error.kind === 'OUTCOME_UNKNOWN' ? new Date(Date.now() + this.settleDelayMs) : null,
      };
      await this.fence.transaction(async (manager) => {
        await this.finish(record, OUTCOME_OF[error.kind], fields, manager);
        await releaseWith(manager);
      });
      release.done = true;
      return { ok: false, error, call: record };
    }
  }

  async record(intent: CallIntent): Promise<ProviderCall> {
    const row = this.intentRow(intent);
    await this.fence.transaction((manager) => this.calls.insert(manager, row));
    return row;
  }

  /** The intent, and the card's lease when the call needs it and it is free, in one commit. */
  private async recordTakingCardLease(intent: CallIntent): Promise<{ record: ProviderCall; lease: HeldCardLease | null | undefined }> {
    const row = this.intentRow(intent);
    const lease = await this.fence.transaction(async (manager) => {
      await this.calls.insert(manager, row);
      return this.needsCardLease(intent) ? this.cards.tryTakeWith(manager, intent.cardHash!) : null;
    });
    return { record: row, lease };
  }

  private intentRow(intent: CallIntent): ProviderCall {
    return Object.assign(new ProviderCall(), {
      id: randomUUID(),
      operation: intent.operation,
      orderId: intent.orderId ?? null,
      authorizationId: intent.authorizationId ?? null,
      settlementId: intent.settlementId ?? null,
      refundId: intent.refundId ?? null,
      fulfillmentId: intent.fulfillmentId ?? null,
      cardHash: intent.cardHash ?? null,
      cardEncrypted: intent.cardEncrypted ?? null,
      currency: intent.currency ?? null,
      amountMinor: intent.amountMinor ?? null,
      providerHoldId: intent.providerHoldId ?? null,
      outcome: 'PENDING',
      // A PENDING call still unanswered after this was interrupted (crash); the recovery sweep looks it up.
      nextCheckAt: new Date(Date.now() + this.settleDelayMs * 3),
      checkAttempts: 0,
      createdAt: new Date(),
    });
  }

  private async finish(record: ProviderCall, outcome: ProviderCallOutcome, fields: Partial<ProviderCall>, manager?: EntityManager): Promise<void> {
    Object.assign(record, { outcome, completedAt: new Date(), nextCheckAt: null, ...fields });
    const write = (m: EntityManager) =>
      this.calls.answer(m, record.id, {
        outcome,
        completedAt: record.completedAt,
        nextCheckAt: record.nextCheckAt,
        providerTransactionId: record.providerTransactionId ?? null,
        resultMinor: record.resultMinor ?? null,
        providerMessage: record.providerMessage ?? null,
        errorKind: record.errorKind ?? null,
      });
    await (manager ? write(manager) : this.fence.transaction(write));
  }

  /** Unresolved calls (PENDING or UNKNOWN) that touched an authorization. */
  unresolvedFor(authorizationId: string): Promise<ProviderCall[]> {
    return this.calls.unresolvedFor(authorizationId);
  }

  /**
   * Learns from the provider whether an unanswered call applied: from the card's state (what the provider
   * shows, under the card's lease, against what we have recorded on the card), or by a look-up of our
   * reference where the provider has one. "Nothing found" counts as "not applied" only where the provider
   * says the state proves it, which for most operations means once the grace period has passed. What cannot
   * be decided stays UNKNOWN with the candidates found, for the sweep and for operators. What a finding means for
   * the caller's rows commits with it (`options.onApplied`), as an answered call's does.
   */
  async resolve(call: ProviderCall, options: ResolveOptions = {}): Promise<Resolution> {
    const decided = call.operatorDecision ? decisionAsFinding(call) : undefined;
    const finding = decided ?? (await this.lookUp(call));
    if (finding === undefined) return { applied: 'unknown' };
    if (finding.outcome === 'APPLIED') {
      const transaction: FoundTransaction = { transactionId: finding.transactionId, amount: finding.amount };
      if (options.record === false) {
        call.resolutionNote = finding.note;
        return { applied: true, transaction };
      }
      await this.fence.transaction(async (manager) => {
        await this.recordApplied(manager, call, transaction, finding.note);
        if (options.onApplied) await options.onApplied(manager, transaction);
      });
      return { applied: true, transaction };
    }
    if (finding.outcome === 'NOT_APPLIED') {
      await this.fence.transaction(async (manager) => {
        await this.settleOutcome(manager, call, 'NOT_APPLIED', null, null, finding.note);
        if (options.onNotApplied) await options.onNotApplied(manager);
      });
      return { applied: false };
    }
    call.candidates = finding.candidates.length ? finding.candidates : null;
    call.resolutionNote = finding.note;
    await this.calls.keepUndecided(call.id, call.candidates, finding.note);
    if (finding.candidates.length > 1) this.logger.warn(`provider call ${call.id} (${call.operation}) stays UNKNOWN: ${finding.note}`);
    return { applied: 'unknown' };
  }

  /** What the provider's state shows of the call, under the card's lease; undefined when it could not be looked at now. */
  private async lookUp(call: ProviderCall): Promise<LostCallFinding | undefined> {
    if (!call.currency && call.operation !== 'ALLOCATE') return undefined;
    const currency = call.currency ?? 'XXX';
    const lease = call.cardHash ? await this.cards.acquire(call.cardHash, Math.min(this.cardWaitMs, 2000)) : null;
    if (lease === undefined) {
      await this.checkLater(call, 'the card is busy with another call');
      return undefined;
    }
    try {
      // Counted from when we stopped waiting for the answer: a request can still land just after our timeout.
      const gaveUpAt = new Date(call.completedAt ?? call.createdAt).getTime();
      const strategy = this.provider.lostAnswerStrategy(call.operation);
      return await this.provider.resolveLostCall({
        requestId: randomUUID(),
        operation: call.operation,
        reference: call.id,
        cardNumber: call.cardEncrypted ? this.vault.decrypt(call.cardEncrypted) : undefined,
        amount: { minor: call.amountMinor ?? 0n, currency },
        holdId: call.providerHoldId ?? undefined,
        startedAt: new Date(call.createdAt),
        graceElapsed: Date.now() - gaveUpAt >= (call.operation === 'ISSUE' ? this.issueGraceMs : this.settleDelayMs),
        known: strategy === 'state' && call.cardHash ? await this.calls.knownOnCard(call.cardHash, call.id) : { holdIds: new Set(), transactionIds: new Set() },
      });
    } catch (error) {
      await this.checkLater(call, `look-up failed: ${(error as Error).message}`);
      return undefined;
    } finally {
      await lease?.release();
    }
  }

  /**
   * The look-up could not be made now: the call stays unresolved and is checked again after a backoff. A
   * look-up made for an OMS retry never postpones a check the recovery sweep already has planned sooner.
   */
  private async checkLater(call: ProviderCall, why: string): Promise<void> {
    await this.calls.checkLater(call.id, why);
  }

  /** Records a finding answered with `record: false`, in the caller's transaction (with what it did about it). */
  recordApplied(manager: EntityManager, call: ProviderCall, transaction: FoundTransaction, note = call.resolutionNote ?? 'found at the provider'): Promise<void> {
    return this.settleOutcome(manager, call, 'APPLIED', transaction.transactionId, transaction.amount.minor, note);
  }

  /**
   * Records what a look-up proved, in the caller's transaction. A call the sweep had given up on (the OMS was told
   * `transaction.unknown`) gets its history event TRANSACTION_RESOLVED (which tells the OMS: `transaction.resolved`)
   * in the same commit.
   */
  private async settleOutcome(
    manager: EntityManager,
    call: ProviderCall,
    outcome: 'APPLIED' | 'NOT_APPLIED',
    transactionId: string | null,
    resultMinor: bigint | null,
    note: string,
  ): Promise<void> {
    const from = call.outcome;
    const givenUp = await this.calls.settle(manager, call.id, {
      outcome,
      providerTransactionId: transactionId,
      resultMinor,
      resolutionNote: note,
      completedAt: new Date(),
    });
    if (givenUp) await this.announceResolved(manager, call, from, outcome, transactionId, resultMinor, note);
    Object.assign(call, { outcome, providerTransactionId: transactionId, resultMinor, resolutionNote: note, operatorDecision: null });
  }

  /**
   * The history event of a given-up call (the OMS was told `transaction.unknown`) that is now decided:
   * TRANSACTION_RESOLVED, which tells the OMS `transaction.resolved`. In the caller's transaction, the one that
   * records the outcome; every way a given-up call gets its outcome writes it (a look-up here, the repeat of a
   * fulfillment's step in FulfillmentsService).
   */
  async announceResolved(
    manager: EntityManager,
    call: ProviderCall,
    from: string,
    outcome: 'APPLIED' | 'NOT_APPLIED',
    transactionId: string | null,
    resultMinor: bigint | null,
    note: string,
    actor = LOOK_UP_ACTOR,
  ): Promise<void> {
    await this.history.append(manager, {
      ...eventRefsOf(call),
      type: 'TRANSACTION_RESOLVED',
      fromState: from,
      toState: outcome,
      amountMinor: resultMinor ?? call.amountMinor,
      currency: call.currency,
      actor,
      providerCallId: call.id,
      providerTransactionId: transactionId,
      providerMessage: note,
      detail: { operation: call.operation, applied: outcome === 'APPLIED' },
    });
  }
}

/** An operator's decision on a call, as the finding a look-up would have made (the amount asked, the id they gave). */
function decisionAsFinding(call: ProviderCall): LostCallFinding {
  const decision = call.operatorDecision!;
  const note = `operator ${decision.actor}: ${decision.reason}`;
  if (!decision.applied) return { outcome: 'NOT_APPLIED', note };
  return { outcome: 'APPLIED', transactionId: decision.transactionId, amount: { minor: call.amountMinor ?? 0n, currency: call.currency ?? 'XXX' }, note };
}
