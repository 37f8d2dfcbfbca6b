import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { ChainLock } from '../authorizations/chain-lock';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { businessRule, DomainError, notFound } from '../common/domain-errors';
import { FulfillmentsService } from '../fulfillments/fulfillments.service';
import { HistoryService } from '../history/history.service';
import { eventRefsOf } from '../history/call-refs';
import { OperatorDecision, ProviderCall } from '../provider-calls/provider-call.entity';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { RefundsService } from '../refunds/refunds.service';
import { CreateResolutionDto } from './dto/resolution.dto';
import { RecoveryRepository } from './recovery.repository';
import { UnresolvedTransactions } from './unresolved-transactions';

/** Operations whose meaning needs the provider's id when they happened (a hold is released or adopted by it). */
const NEEDS_TRANSACTION_ID = new Set(['HOLD']);

/**
 * An operator's decision on an unresolved provider call (the console's "resolve as applied / not applied").
 * The decision is kept on the call (and in the order's payment history) in one commit, and stands in for the
 * provider's answer at the call's next look-up: the same code the recovery sweep runs (`resolveChain` under the
 * chain lock, `resolvePending`, `resume`) records it with what it means, in one commit, so a hold found is
 * adopted or released, a redeem recorded as settled or re-queued, a refund or fulfillment finished. It runs at
 * once; if that cannot finish now, the call is due in the sweep's queue.
 */
@Injectable()
export class OperatorResolutions {
  private readonly logger = new Logger('OperatorResolutions');

  constructor(
    private readonly repository: RecoveryRepository,
    private readonly history: HistoryService,
    private readonly repair: ChainRepair,
    private readonly refunds: RefundsService,
    private readonly fulfillments: FulfillmentsService,
    private readonly lock: ChainLock,
    private readonly transactions: UnresolvedTransactions,
    private readonly calls: ProviderCallsService,
  ) {}

  async resolve(id: string, decision: CreateResolutionDto, actor: string) {
    const call = await this.repository.findCall(id);
    if (!call) throw notFound('transaction', id);
    if (call.outcome !== 'PENDING' && call.outcome !== 'UNKNOWN') {
      throw businessRule('TRANSACTION_NOT_UNKNOWN', `Transaction ${id} is already resolved (outcome ${call.outcome})`);
    }
    if (decision.applied && NEEDS_TRANSACTION_ID.has(call.operation) && !decision.transactionId) {
      throw businessRule('TRANSACTION_ID_REQUIRED', `A ${call.operation} that happened is released or adopted by its provider id: give transactionId (one of the candidates, or what the provider shows)`);
    }
    const outcome = decision.applied ? 'APPLIED' : 'NOT_APPLIED';
    const transactionId = decision.applied ? (decision.transactionId ?? call.providerTransactionId ?? null) : null;
    const kept: OperatorDecision = { applied: decision.applied, transactionId, actor, reason: decision.reason };
    await this.repository.transaction(async (tx) => {
      if (!(await this.repository.recordDecision(tx, id, kept))) {
        throw new DomainError(HttpStatus.CONFLICT, 'TRANSACTION_BUSY', `Transaction ${id} was resolved meanwhile; read it again`);
      }
      await this.history.append(tx, {
        ...eventRefsOf(call),
        type: 'TRANSACTION_RESOLVED_BY_OPERATOR',
        fromState: 'UNKNOWN',
        toState: outcome,
        amountMinor: call.amountMinor,
        currency: call.currency,
        actor,
        providerCallId: id,
        providerTransactionId: transactionId,
        providerMessage: decision.reason,
        detail: { operation: call.operation, applied: decision.applied, reason: decision.reason, transactionId, candidates: call.candidates ?? null },
      });
    });
    const completed = await this.complete(call, actor);
    const after = (await this.repository.findCall(id))!;
    return { ...this.transactions.view(after), decision: { applied: decision.applied, reason: decision.reason, transactionId, actor }, completed };
  }

  /** An operator's request to check a given-up call again from scratch (attempts reset, due now); the call as it is then. */
  async recheck(id: string) {
    const call = await this.repository.findCall(id);
    if (!call) throw notFound('transaction', id);
    if (!(await this.repository.rearm(id))) {
      throw businessRule('TRANSACTION_NOT_UNKNOWN', `Transaction ${id} is not waiting for an operator (outcome ${call.outcome})`);
    }
    return this.transactions.view((await this.repository.findCall(id))!);
  }

  /** The sweep's completion of a call whose outcome is known. False when its chain was busy: the sweep finishes it. */
  private async complete(call: ProviderCall, actor: string): Promise<boolean> {
    try {
      if (call.authorizationId) {
        const rootId = await this.repository.rootOf(call.authorizationId);
        if (rootId) await this.lock.run(rootId, () => this.repair.resolveChain(rootId, actor));
      } else if (call.refundId) {
        await this.refunds.resolvePending(call.refundId, actor);
      } else if (call.fulfillmentId) {
        await this.fulfillments.resume(call.fulfillmentId, actor);
      } else {
        // A call of nobody's (a reconciliation's release): the decision is all there is to record.
        await this.calls.resolve(await this.repository.getCall(call.id));
      }
      const after = await this.repository.getCall(call.id);
      return after.outcome !== 'PENDING' && after.outcome !== 'UNKNOWN';
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'AUTHORIZATION_BUSY' || error.code === 'FULFILLMENT_BUSY')) return false;
      this.logger.warn(`transaction ${call.id} resolved by ${actor}, completion left to the sweep: ${(error as Error).message}`);
      return false;
    }
  }
}
