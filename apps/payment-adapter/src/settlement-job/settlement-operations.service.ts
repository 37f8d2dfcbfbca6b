import { Injectable } from '@nestjs/common';
import { businessRule, notFound } from '../common/domain-errors';
import { Settlement } from '../settlements/settlement.entity';
import { SettlementsRepository } from '../settlements/settlements.repository';
import { SettlementsService } from '../settlements/settlements.service';
import { ListSettlementsQuery } from './dto/settlement-list.dto';

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** What an operator does about the job's work: list settlements by status, put a failed one back. */
@Injectable()
export class SettlementOperations {
  constructor(
    private readonly repository: SettlementsRepository,
    private readonly settlements: SettlementsService,
  ) {}

  /** Keyset paging in creation order; the cursor is the last settlement id of the previous page. */
  async list(query: ListSettlementsQuery): Promise<Page<Settlement>> {
    const limit = query.limit ?? 50;
    // One row more than the page tells whether another page follows.
    const rows = await this.repository.page({ status: query.status, mode: query.mode, orderId: query.orderId, cursor: query.cursor }, limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /**
   * FAILED -> OPEN with its attempts reset, due now: the job takes it on its next run. Only batch settlements
   * (a sync one's outcome was the OMS's answer; the OMS settles again with a new request).
   */
  async retry(id: string, actor: string): Promise<Settlement> {
    const settlement = await this.repository.settlement(id);
    if (!settlement) throw notFound('settlement', id);
    if (settlement.status !== 'FAILED') {
      throw businessRule('SETTLEMENT_NOT_FAILED', `Settlement ${id} is ${settlement.status}; only a FAILED settlement can be retried`, { status: settlement.status });
    }
    if (settlement.mode !== 'batch') {
      throw businessRule('SETTLEMENT_NOT_BATCH', `Settlement ${id} was settled synchronously; the OMS settles again with a new request`);
    }
    await this.settlements.move(settlement, 'REOPENED', { attempts: 0, nextAttemptAt: new Date(), failureReason: null }, actor, {
      providerMessage: `reopened (was ${settlement.failureReason ?? 'FAILED'})`,
    });
    return settlement;
  }
}
