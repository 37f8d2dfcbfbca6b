import { DomainError } from '../common/domain-errors';
import { Settlement } from '../settlements/settlement.entity';
import { InMemorySettlementsRepository } from '../settlements/settlements.repository.fake';
import { SettlementsService } from '../settlements/settlements.service';
import { ListSettlementsQuery } from './dto/settlement-list.dto';
import { SettlementOperations } from './settlement-operations.service';
import { FAKE_TX } from '../testing/doubles';
import { newSettlement } from '../settlements/new-settlement';

/** The transitions SettlementsService.move would write, applied to the repository's rows (the recorder's own tests cover how). */
function movesInto(repository: InMemorySettlementsRepository) {
  const moves: Array<{ id: string; event: string; changes: Partial<Settlement> }> = [];
  const settlements = {
    moves,
    async move(settlement: Settlement, event: string, changes: Partial<Settlement>) {
      moves.push({ id: settlement.id, event, changes });
      Object.assign(settlement, changes, { status: 'OPEN' });
      await repository.update(FAKE_TX, settlement.id, { ...changes, status: 'OPEN' });
    },
  };
  return settlements;
}

function world() {
  const repository = new InMemorySettlementsRepository();
  const settlements = movesInto(repository);
  const operations = new SettlementOperations(repository, settlements as unknown as SettlementsService);
  let n = 0;
  function stored(fields: Partial<Settlement> = {}): Settlement {
    n++;
    const s = Object.assign(
      newSettlement({ id: 'A-1', rootId: 'A-1', orderId: 'ORD-1', currency: 'USD' }, { invoiceId: `INV-${n}`, amountMinor: 1000n, final: false, mode: 'batch' }),
      {
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        status: 'FAILED',
        failureReason: 'PROVIDER_UNAVAILABLE',
        attempts: 5,
        nextAttemptAt: new Date(0),
        createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)),
        updatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)),
      } satisfies Partial<Settlement>,
      fields,
    );
    repository.putSettlement(s);
    return s;
  }
  return { repository, settlements, operations, stored };
}

const query = (fields: Partial<ListSettlementsQuery>) => Object.assign(new ListSettlementsQuery(), fields);

describe('SettlementOperations', () => {
  it('pages the settlements of a status in creation order, with a cursor while more follow', async () => {
    const w = world();
    const [a, , c, d] = [w.stored(), w.stored({ status: 'SETTLED', failureReason: null }), w.stored(), w.stored()];

    const first = await w.operations.list(query({ status: 'FAILED', limit: 2 }));
    expect(first.items.map((s) => s.id)).toEqual([a.id, c.id]);
    expect(first.nextCursor).toBe(c.id);

    const last = await w.operations.list(query({ status: 'FAILED', limit: 2, cursor: first.nextCursor! }));
    expect(last.items.map((s) => s.id)).toEqual([d.id]);
    expect(last.nextCursor).toBeNull();
  });

  it('puts a failed batch settlement back OPEN, due now, with its attempts reset', async () => {
    const w = world();
    const failed = w.stored();
    const before = Date.now();

    const reopened = await w.operations.retry(failed.id, 'operator');

    expect(reopened.status).toBe('OPEN');
    expect(w.settlements.moves).toEqual([{ id: failed.id, event: 'REOPENED', changes: expect.objectContaining({ attempts: 0, failureReason: null }) }]);
    const row = w.repository.settlements.get(failed.id)!;
    expect(row).toMatchObject({ status: 'OPEN', attempts: 0, failureReason: null });
    expect(row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('refuses a settlement that did not fail, a sync one, and an unknown id, changing nothing', async () => {
    const w = world();
    const settled = w.stored({ status: 'SETTLED', failureReason: null });
    const sync = w.stored({ mode: 'sync' });

    const codes = await Promise.all(
      [settled.id, sync.id, '00000000-0000-4000-8000-999999999999'].map((id) =>
        w.operations.retry(id, 'operator').then(
          () => 'retried',
          (e: DomainError) => e.code,
        ),
      ),
    );

    expect(codes).toEqual(['SETTLEMENT_NOT_FAILED', 'SETTLEMENT_NOT_BATCH', 'NOT_FOUND']);
    expect(w.settlements.moves).toEqual([]);
    expect(w.repository.settlements.get(sync.id)).toMatchObject({ status: 'FAILED', attempts: 5 });
  });
});
