import { formatAmount } from '@gcpa/money';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CardVault, maskLast4 } from '../card-data/card-vault';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ListTransactionsQuery } from './dto/transaction-list.dto';

/** Provider calls whose outcome is not known, as an operator sees them: no card number, only its last 4. */
@Injectable()
export class UnresolvedTransactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly vault: CardVault,
  ) {}

  async list(query: ListTransactionsQuery) {
    const limit = query.limit ?? 50;
    const builder = this.dataSource
      .getRepository(ProviderCall)
      .createQueryBuilder('c')
      .where("c.outcome IN ('PENDING', 'UNKNOWN')")
      .andWhere(query.outcome === 'CHECKING' ? 'c.given_up_at IS NULL' : 'c.given_up_at IS NOT NULL')
      .orderBy('c.created_at', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .limit(limit + 1);
    if (query.cursor) {
      builder.andWhere('(c.created_at, c.id) > (SELECT p.created_at, p.id FROM provider_call p WHERE p.id = :cursor)', { cursor: query.cursor });
    }
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    return { items: items.map((c) => this.view(c)), nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  view(c: ProviderCall) {
    return {
      /** Our reference, sent to the provider with the call (Clutch `customRequestId`). */
      transactionId: c.id,
      operation: c.operation,
      outcome: c.givenUpAt !== null ? 'UNKNOWN' : 'CHECKING',
      recordedOutcome: c.outcome,
      orderId: c.orderId,
      authorizationId: c.authorizationId,
      settlementId: c.settlementId,
      refundId: c.refundId,
      fulfillmentId: c.fulfillmentId,
      maskedCardNumber: c.cardEncrypted ? maskLast4(this.vault.decrypt(c.cardEncrypted).slice(-4)) : null,
      currency: c.currency,
      amount: c.amountMinor !== null && c.currency ? formatAmount({ minor: c.amountMinor, currency: c.currency }) : null,
      providerHoldId: c.providerHoldId,
      providerMessage: c.providerMessage,
      errorKind: c.errorKind,
      /** What a look-up found that may be this call, when it could not decide (for the operator's decision). */
      candidates: c.candidates ?? null,
      resolutionNote: c.resolutionNote ?? null,
      checkAttempts: c.checkAttempts,
      nextCheckAt: c.nextCheckAt,
      createdAt: c.createdAt,
      completedAt: c.completedAt,
    };
  }
}
