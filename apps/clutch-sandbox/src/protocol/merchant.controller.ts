import { CLUTCH_METHODS, ClutchMethod } from '@gcpa/clutch';
import { Body, Controller, Headers, HttpCode, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FaultInterceptor } from '../faults/fault.interceptor';
import { CallContext, LedgerService } from '../ledger/ledger.service';
import { ClutchAuthGuard } from './clutch-auth.guard';
import { ClutchError } from './clutch-error';
import { major, presentBalances, presentCard, presentHistoryEntry } from './presenters';
import { parseAllocate, parseCardHistory, parseSearch, parseUpdateBalance, parseVoid } from './requests';

/** The Clutch merchant API: `POST /merchant/{method}` with a JSON body. */
@Controller('merchant')
@UseGuards(ClutchAuthGuard)
@UseInterceptors(FaultInterceptor)
export class MerchantController {
  constructor(private readonly ledger: LedgerService) {}

  @Post(':method')
  @HttpCode(200)
  async call(
    @Param('method') method: string,
    @Body() body: unknown,
    @Headers('customrequestid') customRequestId: string | undefined,
  ): Promise<Record<string, unknown>> {
    if (!(CLUTCH_METHODS as readonly string[]).includes(method)) {
      throw new ClutchError(404, `Invalid request: unknown method ${method}`);
    }
    const context: CallContext = { customRequestId: customRequestId ? customRequestId : null };
    const result = await this.dispatch(method as ClutchMethod, body, context);
    return { success: true, requestRef: randomUUID(), ...result };
  }

  private async dispatch(method: ClutchMethod, body: unknown, context: CallContext): Promise<object> {
    switch (method) {
      case 'search': {
        const view = await this.ledger.search(parseSearch(body));
        return { cards: [presentCard(view)] };
      }
      case 'updateBalance': {
        const command = parseUpdateBalance(body);
        const currency = command.amount.currency;
        switch (command.action) {
          case 'hold': {
            const change = await this.ledger.hold(command, context);
            return {
              transactionId: change.transactionId,
              amountHeld: major(change.amountMinor, currency),
              balances: presentBalances(change.view),
            };
          }
          case 'redeem':
          case 'redeemFromHold': {
            const change =
              command.action === 'redeem'
                ? await this.ledger.redeem(command, context)
                : await this.ledger.redeemFromHold(command, context);
            return {
              transactionId: change.transactionId,
              amountRedeemed: major(change.amountMinor, currency),
              balances: presentBalances(change.view),
            };
          }
          case 'issue': {
            const change = await this.ledger.issue(command, context);
            return { transactionId: change.transactionId, balances: presentBalances(change.view) };
          }
        }
        break;
      }
      case 'allocate': {
        const allocation = await this.ledger.allocate(parseAllocate(body), context);
        return {
          cardNumber: allocation.cardNumber,
          ...(allocation.pin !== null ? { pin: allocation.pin } : {}),
          ...(allocation.transactionId ? { transactionId: allocation.transactionId } : {}),
        };
      }
      case 'void':
        return this.ledger.void(parseVoid(body).transactionId, context);
      case 'cardHistory': {
        const { transactions } = await this.ledger.history(parseCardHistory(body).cardNumber);
        return { transactions: transactions.map(presentHistoryEntry) };
      }
    }
  }
}
