import { returnedRows } from '@gcpa/database';
import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ChainLock } from '../authorizations/chain-lock';
import { businessRule, DomainError, notFound } from '../common/domain-errors';
import { FulfillmentsService } from '../fulfillments/fulfillments.service';
import { HistoryService } from '../history/history.service';
import { eventRefsOf } from '../history/call-refs';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { RefundsService } from '../refunds/refunds.service';
import { SettlementsService } from '../settlements/settlements.service';
import { CreateResolutionDto } from './dto/resolution.dto';
import { UnresolvedTransactions } from './unresolved-transactions';

/** Operations whose meaning needs the provider's id when they happened (a hold is released or adopted by it). */
const NEEDS_TRANSACTION_ID = new Set(['HOLD']);

/**
 * An operator's decision on an unresolved provider call (the console's "resolve as applied / not applied").
 * The decision is recorded on the call and in the order's payment history in one commit, exactly as a look-up
 * would have recorded what it found; then the call is completed by the same code the recovery sweep runs after
 * a look-up (`resolveChain` under the chain lock, `resolvePending`, `resume`), so a hold found is adopted or
 * released, a redeem recorded as settled or re-queued, a refund or fulfillment finished.
 */
@Injectable()
export class OperatorResolutions {
  private readonly logger = new Logger('OperatorResolutions');

  constructor(
    private readonly dataSource: DataSource,
    private readonly history: HistoryService,
    private readonly settlements: SettlementsService,
    private readonly refunds: RefundsService,
    private readonly fulfillments: FulfillmentsService,
    private readonly lock: ChainLock,
    private readonly transactions: UnresolvedTransactions,
  ) {}

  async resolve(id: string, decision: CreateResolutionDto, actor: string) {
    const call = await this.dataSource.getRepository(ProviderCall).findOneBy({ id });
    if (!call) throw notFound('transaction', id);
    if (call.outcome !== 'PENDING' && call.outcome !== 'UNKNOWN') {
      throw businessRule('TRANSACTION_NOT_UNKNOWN', `Transaction ${id} is already resolved (outcome ${call.outcome})`);
    }
    if (decision.applied && NEEDS_TRANSACTION_ID.has(call.operation) && !decision.transactionId) {
      throw businessRule('TRANSACTION_ID_REQUIRED', `A ${call.operation} that happened is released or adopted by its provider id: give transactionId (one of the candidates, or what the provider shows)`);
    }
    const outcome = decision.applied ? 'APPLIED' : 'NOT_APPLIED';
    const transactionId = decision.applied ? (decision.transactionId ?? null) : null;
    await this.dataSource.transaction(async (manager) => {
      const updated = returnedRows(
        await manager.query(
          `UPDATE provider_call SET outcome = $2, provider_transaction_id = coalesce($3, provider_transaction_id),
                  result_minor = CASE WHEN $2 = 'APPLIED' THEN amount_minor ELSE NULL END,
                  resolution_note = $4, candidates = NULL, completed_at = now(), next_check_at = NULL
            WHERE id = $1 AND outcome IN ('PENDING', 'UNKNOWN') RETURNING id`,
          [id, outcome, transactionId, `operator ${actor}: ${decision.reason}`],
        ),
      );
      if (updated.length === 0) {
        throw new DomainError(HttpStatus.CONFLICT, 'TRANSACTION_BUSY', `Transaction ${id} was resolved meanwhile; read it again`);
      }
      await this.history.append(manager, {
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
    const after = (await this.dataSource.getRepository(ProviderCall).findOneBy({ id }))!;
    return { ...this.transactions.view(after), decision: { applied: decision.applied, reason: decision.reason, transactionId, actor }, completed };
  }

  /** The sweep's completion of a call whose outcome is known. False when its chain was busy: the sweep finishes it. */
  private async complete(call: ProviderCall, actor: string): Promise<boolean> {
    try {
      if (call.authorizationId) {
        const [row] = await this.dataSource.query(`SELECT root_id FROM authorization_hold WHERE id = $1`, [call.authorizationId]);
        if (row) await this.lock.run(row.root_id, () => this.settlements.resolveChain(row.root_id, actor));
      } else if (call.refundId) {
        await this.refunds.resolvePending(call.refundId, actor);
      } else if (call.fulfillmentId) {
        await this.fulfillments.resume(call.fulfillmentId, actor);
      }
      return true;
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'AUTHORIZATION_BUSY' || error.code === 'FULFILLMENT_BUSY')) return false;
      this.logger.warn(`transaction ${call.id} resolved by ${actor}, completion left to the sweep: ${(error as Error).message}`);
      return false;
    }
  }
}
