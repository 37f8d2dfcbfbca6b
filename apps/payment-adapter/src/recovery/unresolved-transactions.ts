import { formatAmount } from '@gcpa/money';
import { Injectable } from '@nestjs/common';
import { CardVault, maskLast4 } from '../card-data/card-vault';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { ListTransactionsQuery } from './dto/transaction-list.dto';
import { RecoveryRepository } from './recovery.repository';

/** Provider calls whose outcome is not known, as an operator sees them: no card number, only its last 4. */
@Injectable()
export class UnresolvedTransactions {
  constructor(
    private readonly repository: RecoveryRepository,
    private readonly vault: CardVault,
  ) {}

  async list(query: ListTransactionsQuery) {
    const limit = query.limit ?? 50;
    // One row past the page says whether there is a next one.
    const rows = await this.repository.unresolvedPage({ givenUp: query.outcome !== 'CHECKING', limit: limit + 1, cursor: query.cursor });
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
