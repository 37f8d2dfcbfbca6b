import { GIFT_CARD_PROVIDER, GiftCardProvider, ProviderError, ProviderOutcomeUnknownError, ProviderTransaction } from '@gcpa/gift-card-provider';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { CardVault } from '../card-data/card-vault';
import { Metrics } from '../observability/metrics';
import { ProviderCall, ProviderCallOutcome, ProviderOperation } from './provider-call.entity';

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
}

export type CallResult<T> =
  | { ok: true; value: T; call: ProviderCall }
  | { ok: false; error: ProviderError; call: ProviderCall };

/** What the provider's look-up said about an unknown call, once it can be said for sure. */
export type Resolution = { applied: true; transaction: ProviderTransaction } | { applied: false } | { applied: 'unknown' };

const OUTCOME_OF: Record<ProviderError['kind'], ProviderCallOutcome> = {
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

  constructor(
    private readonly dataSource: DataSource,
    @Inject(GIFT_CARD_PROVIDER) readonly provider: GiftCardProvider,
    private readonly vault: CardVault,
    @Inject('UNKNOWN_OUTCOME_GRACE_MS') graceMs: number,
    private readonly metrics: Metrics,
  ) {
    this.settleDelayMs = graceMs;
  }

  /**
   * `applySuccess`, when given, records what the success means for the caller's own rows in the transaction
   * that marks the call SUCCEEDED: a crash between the two cannot leave a call answered but unapplied (which
   * no look-up would ever revisit); it leaves the call PENDING, and the recovery sweep looks it up.
   */
  async run<T>(
    intent: CallIntent,
    call: (requestId: string) => Promise<T>,
    describe: (value: T) => { transactionId?: string; resultMinor?: bigint },
    applySuccess?: (manager: EntityManager, value: T, record: ProviderCall) => Promise<void>,
  ): Promise<CallResult<T>> {
    const record = await this.record(intent);
    const timer = this.metrics.providerCalls.startTimer({ operation: intent.operation });
    try {
      const value = await call(record.id);
      timer({ outcome: 'SUCCEEDED' });
      const { transactionId, resultMinor } = describe(value);
      await this.dataSource.transaction(async (manager) => {
        await this.finish(record, 'SUCCEEDED', { providerTransactionId: transactionId ?? null, resultMinor: resultMinor ?? null }, manager);
        if (applySuccess) await applySuccess(manager, value, record);
      });
      return { ok: true, value, call: record };
    } catch (thrown) {
      const error =
        thrown instanceof ProviderError ? thrown : new ProviderOutcomeUnknownError(`unexpected failure: ${(thrown as Error)?.message}`);
      timer({ outcome: OUTCOME_OF[error.kind] });
      await this.finish(record, OUTCOME_OF[error.kind], {
        providerMessage: error.providerMessage ?? error.message,
        errorKind: error.kind === 'DECLINED' ? `DECLINED:${(error as { reason?: string }).reason}` : error.kind,
        nextCheckAt: error.kind === 'OUTCOME_UNKNOWN' ? new Date(Date.now() + this.settleDelayMs) : null,
      });
      return { ok: false, error, call: record };
    }
  }

  async record(intent: CallIntent): Promise<ProviderCall> {
    const row = this.dataSource.getRepository(ProviderCall).create({
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
    await this.dataSource.getRepository(ProviderCall).insert(row);
    return row;
  }

  private async finish(record: ProviderCall, outcome: ProviderCallOutcome, fields: Partial<ProviderCall>, manager?: EntityManager): Promise<void> {
    Object.assign(record, { outcome, completedAt: new Date(), nextCheckAt: null, ...fields });
    await (manager ?? this.dataSource.manager).getRepository(ProviderCall).update(record.id, {
      outcome,
      completedAt: record.completedAt,
      nextCheckAt: record.nextCheckAt,
      providerTransactionId: record.providerTransactionId ?? null,
      resultMinor: record.resultMinor ?? null,
      providerMessage: record.providerMessage ?? null,
      errorKind: record.errorKind ?? null,
    });
  }

  /** Unresolved calls (PENDING or UNKNOWN) that touched an authorization. */
  unresolvedFor(authorizationId: string): Promise<ProviderCall[]> {
    return this.dataSource.getRepository(ProviderCall).find({
      where: [
        { authorizationId, outcome: 'UNKNOWN' },
        { authorizationId, outcome: 'PENDING' },
      ],
      order: { createdAt: 'ASC' },
    });
  }

  /**
   * Asks the provider whether an unanswered call applied. "Not there" is only believed once the call is older
   * than the grace period, since a slow request might still land.
   */
  async resolve(call: ProviderCall): Promise<Resolution> {
    if (!call.cardEncrypted || !call.currency) return { applied: 'unknown' };
    let transaction: ProviderTransaction | null;
    try {
      transaction = await this.provider.findTransaction({
        requestId: randomUUID(),
        cardNumber: this.vault.decrypt(call.cardEncrypted),
        reference: call.id,
        currency: call.currency,
      });
    } catch {
      await this.dataSource.query(
        `UPDATE provider_call SET check_attempts = check_attempts + 1,
           next_check_at = now() + make_interval(secs => least(300, 5 * power(2, check_attempts)))
         WHERE id = $1`,
        [call.id],
      );
      return { applied: 'unknown' };
    }
    if (transaction && !transaction.voided) {
      await this.settleOutcome(call, 'APPLIED', transaction.transactionId, transaction.amount.minor);
      return { applied: true, transaction };
    }
    // Counted from when we stopped waiting for the answer: a request can still land just after our timeout.
    const gaveUpAt = new Date(call.completedAt ?? call.createdAt).getTime();
    const old = Date.now() - gaveUpAt >= this.settleDelayMs;
    if (transaction?.voided || old) {
      await this.settleOutcome(call, 'NOT_APPLIED', transaction?.transactionId ?? null, null);
      return { applied: false };
    }
    return { applied: 'unknown' };
  }

  /**
   * Puts a resolved call back in the sweep's queue: its effect was found but could not be undone yet
   * (a lost hold whose release failed), so the next check tries again.
   */
  async reopen(call: ProviderCall): Promise<void> {
    call.outcome = 'UNKNOWN';
    await this.dataSource.getRepository(ProviderCall).update(call.id, {
      outcome: 'UNKNOWN',
      nextCheckAt: new Date(Date.now() + this.settleDelayMs),
    });
  }

  private async settleOutcome(call: ProviderCall, outcome: 'APPLIED' | 'NOT_APPLIED', transactionId: string | null, resultMinor: bigint | null) {
    call.outcome = outcome;
    call.providerTransactionId = transactionId;
    call.resultMinor = resultMinor;
    await this.dataSource.getRepository(ProviderCall).update(call.id, {
      outcome,
      providerTransactionId: transactionId,
      resultMinor,
      completedAt: new Date(),
      nextCheckAt: null,
    });
  }
}
