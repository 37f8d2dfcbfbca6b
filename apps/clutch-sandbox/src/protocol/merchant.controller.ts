import { CLUTCH_METHODS, ClutchMethod } from '@gcpa/clutch';
import { Body, Controller, Headers, HttpCode, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FaultInterceptor } from '../faults/fault.interceptor';
import { BalanceChange, CallContext, LedgerService } from '../ledger/ledger.service';
import { ClutchAuthGuard } from './clutch-auth.guard';
import { ClutchError } from './clutch-error';
import { presentBalances, presentCard, presentHistoryEntry } from './presenters';
import { parseAllocate, parseCardHistory, parseSearch, parseUpdateBalance, parseVoid } from './requests';

/** The Clutch merchant API: `POST /merchant/{method}` with a JSON body, answered in the recorded wire shapes. */
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
    @Headers('externaltransactionid') externalTransactionId: string | undefined,
  ): Promise<Record<string, unknown>> {
    if (!(CLUTCH_METHODS as readonly string[]).includes(method)) {
      throw new ClutchError(404, `Invalid request: unknown method ${method}`);
    }
    const requestRef = randomUUID();
    const context: CallContext = { customRequestId: customRequestId || null, externalTransactionId: externalTransactionId || null, requestRef };
    const result = await this.dispatch(method as ClutchMethod, body, context);
    return { success: true, ...result, requestRef };
  }

  private async dispatch(method: ClutchMethod, body: unknown, context: CallContext): Promise<object> {
    switch (method) {
      case 'search': {
        // An unknown card is a success with no cards, not a failure.
        const view = await this.ledger.search(parseSearch(body));
        return { cards: view ? [presentCard(view)] : [], usedCache: false };
      }
      case 'updateBalance': {
        const command = parseUpdateBalance(body);
        const returnBalances = (body as { returnBalances?: unknown }).returnBalances === true;
        let change: BalanceChange;
        switch (command.action) {
          case 'hold':
            change = await this.ledger.hold(command, context);
            break;
          case 'redeem':
            change = await this.ledger.redeem(command, context);
            break;
          case 'redeemFromHold':
            change = await this.ledger.redeemFromHold(command, context);
            break;
          case 'issue':
            change = await this.ledger.issue(command, context);
            break;
        }
        // No amount field: what moved is what was asked, unless didOverdraw.
        return {
          transactionId: change.transactionId,
          cardNumber: command.cardNumber,
          didOverdraw: change.didOverdraw,
          ...(returnBalances ? { balances: presentBalances(change.view) } : {}),
        };
      }
      case 'allocate': {
        const allocation = await this.ledger.allocate(parseAllocate(body), context);
        return { cardNumber: allocation.cardNumber, ...(allocation.pin !== null ? { pin: allocation.pin } : {}) };
      }
      case 'voidTransaction':
        return this.ledger.void(parseVoid(body).transactionId, context);
      case 'cardHistory': {
        const { rows, total, oldest, newest } = await this.ledger.history(parseCardHistory(body));
        // The card's oldest and newest transaction, whatever page was asked for.
        return {
          transactions: rows.map(presentHistoryEntry),
          transactionCount: total,
          matchCount: total,
          oldestTransaction: oldest?.getTime() ?? null,
          newestTransaction: newest?.getTime() ?? null,
        };
      }
    }
  }
}
