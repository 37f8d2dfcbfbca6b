import { businessRule } from '../common/domain-errors';
import { UnitOfWork } from '../database/unit-of-work.module';
import { Settlement } from '../settlements/settlement.entity';
import { InMemorySettlementsRepository } from '../settlements/settlements.repository.fake';
import { ProcessOutcome, SettlementsService } from '../settlements/settlements.service';
import { FAKE_TX } from '../testing/doubles';
import { InMemorySettlementClaims } from './settlement-claims.repository.fake';
import { SettlementJobMetrics } from './settlement-job.metrics';
import { SETTLEMENT_JOB_ACTOR, SettlementJob } from './settlement-job.service';
import { SettlementJobSettings } from './settlement-job.settings';
import { newSettlement } from '../settlements/new-settlement';

const NOW = Date.UTC(2026, 11, 1, 12);
const BACKOFF = { baseMs: 2000, maxMs: 300_000 };
const MAX_ATTEMPTS = 3;

/** What `process` does with a settlement: writes its outcome to the stored row and answers it, or throws. */
type Script = (stored: Settlement) => ProcessOutcome | Promise<ProcessOutcome>;

/**
 * SettlementsService as the job sees it: `process` follows the test's script for each settlement (SETTLED when
 * none), `move` records the transition and writes its status.
 */
class ScriptedSettlements {
  readonly scripts = new Map<string, Script>();
  readonly processed: string[] = [];
  readonly moves: Array<{ id: string; event: string; changes: Partial<Settlement>; actor: string; providerMessage?: string }> = [];

  constructor(private readonly repository: InMemorySettlementsRepository) {}

  async process(id: string, actor: string): Promise<ProcessOutcome> {
    expect(actor).toBe(SETTLEMENT_JOB_ACTOR);
    this.processed.push(id);
    const stored = this.repository.settlements.get(id)!;
    const script = this.scripts.get(id) ?? settles;
    return script(stored);
  }

  async move(settlement: Settlement, event: string, changes: Partial<Settlement>, actor: string, extra: { providerMessage?: string } = {}): Promise<void> {
    this.moves.push({ id: settlement.id, event, changes, actor, providerMessage: extra.providerMessage });
    await this.repository.update(FAKE_TX, settlement.id, { ...changes, status: event === 'FAILED' ? 'FAILED' : settlement.status });
  }

  asService(): SettlementsService {
    return this as unknown as SettlementsService;
  }
}

const settles: Script = (stored) => {
  Object.assign(stored, { status: 'SETTLED', leaseOwner: null, leaseUntil: null });
  return { kind: 'SETTLED', settlement: { ...stored } };
};

/** The provider was unavailable: the attempt is counted, and the settlement stays PROCESSING for its retry. */
const unavailable = (unknown = false): Script => (stored) => {
  Object.assign(stored, { status: 'PROCESSING', attempts: stored.attempts + 1 });
  return { kind: 'RETRY', settlement: { ...stored }, unknown, message: 'provider unavailable' };
};

/** A unit of work that only counts: the job must run each settlement in one of its own. */
class CountedUnits extends UnitOfWork {
  runs = 0;
  open = 0;

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.runs++;
    this.open++;
    try {
      return await work();
    } finally {
      this.open--;
    }
  }
}

function world(options: { batchSize?: number; concurrency?: number } = {}) {
  const repository = new InMemorySettlementsRepository();
  let now = NOW;
  const claims = new InMemorySettlementClaims(repository, () => now);
  const settlements = new ScriptedSettlements(repository);
  const units = new CountedUnits();
  const metrics = new SettlementJobMetrics();
  const settings = new SettlementJobSettings(true, '0 * * * * *', options.concurrency ?? 1, options.batchSize ?? 10, MAX_ATTEMPTS, 60, BACKOFF);
  const job = new SettlementJob(settlements.asService(), claims, settings, metrics, units);

  let n = 0;
  function batch(rootAuthorizationId: string, fields: Partial<Settlement> = {}): Settlement {
    n++;
    const s = Object.assign(
      newSettlement({ id: rootAuthorizationId, rootId: rootAuthorizationId, orderId: 'ORD-1', currency: 'USD' }, { invoiceId: `INV-${n}`, amountMinor: 1000n, final: false, mode: 'batch' }),
      {
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        nextAttemptAt: new Date(NOW - 1000),
        createdAt: new Date(NOW - 60_000 + n),
        updatedAt: new Date(NOW - 60_000 + n),
      },
      fields,
    );
    repository.putSettlement(s);
    return s;
  }
  const stored = (s: Settlement) => repository.settlements.get(s.id)!;
  return { repository, claims, settlements, units, metrics, job, batch, stored, advance: (ms: number) => (now += ms) };
}

describe('SettlementJob', () => {
  it('settles every due batch settlement, each in a unit of work of its own, and records the run', async () => {
    const w = world({ batchSize: 2 });
    const [a, b, c] = [w.batch('A-1'), w.batch('A-2'), w.batch('A-3')];

    const report = await w.job.run();

    expect(report).toMatchObject({ claimed: 3, settled: 3, retried: 0, failed: 0, backlog: 0 });
    expect(w.settlements.processed).toEqual([a.id, b.id, c.id]);
    expect([a, b, c].map((s) => w.stored(s).status)).toEqual(['SETTLED', 'SETTLED', 'SETTLED']);
    expect(w.units.runs).toBe(3);
    expect(w.metrics.snapshot()).toMatchObject({ runs: 1, claimed: 3, settled: 3, lastBacklog: 0, runErrors: 0 });
  });

  it('settles a chain oldest first, one at a time, and leaves a chain locked by someone else for a later run', async () => {
    const w = world();
    const [first, second] = [w.batch('A-1'), w.batch('A-1')];
    const locked = w.batch('A-2');
    const notDue = w.batch('A-3', { nextAttemptAt: new Date(NOW + 60_000) });
    w.claims.lockedChains.add('A-2');

    const report = await w.job.run();

    // The second of the chain became claimable only once the first was done: a second batch of the same run.
    expect(w.settlements.processed).toEqual([first.id, second.id]);
    expect(report).toMatchObject({ claimed: 2, settled: 2, backlog: 2 });
    expect(w.stored(locked)).toMatchObject({ status: 'OPEN', leaseOwner: null });
    expect(w.stored(notDue)).toMatchObject({ status: 'OPEN', leaseOwner: null });
  });

  it('gives a settlement whose provider was unavailable back with a jittered backoff, for a later run', async () => {
    const w = world();
    const s = w.batch('A-1', { attempts: 1 });
    w.settlements.scripts.set(s.id, unavailable());

    const report = await w.job.run();

    expect(report).toMatchObject({ claimed: 1, settled: 0, retried: 1, failed: 0, backlog: 1 });
    const row = w.stored(s);
    expect(row).toMatchObject({ status: 'PROCESSING', attempts: 2, leaseOwner: null, leaseUntil: null });
    // Second attempt: the ceiling is twice the base, and the delay at least half of it.
    const delay = row.nextAttemptAt.getTime() - NOW;
    expect(delay).toBeGreaterThanOrEqual(2000);
    expect(delay).toBeLessThanOrEqual(4000);
    expect(w.settlements.moves).toEqual([]);

    // Not due before its time; tried again after it.
    expect((await w.job.run()).claimed).toBe(0);
    w.advance(delay);
    w.settlements.scripts.delete(s.id);
    expect(await w.job.run()).toMatchObject({ claimed: 1, settled: 1, backlog: 0 });
  });

  it('fails a settlement after its last attempt, with the reason and how many attempts were made', async () => {
    const w = world();
    const s = w.batch('A-1', { status: 'PROCESSING', attempts: MAX_ATTEMPTS - 1 });
    w.settlements.scripts.set(s.id, unavailable());

    const report = await w.job.run();

    expect(report).toMatchObject({ claimed: 1, retried: 0, failed: 1, backlog: 0 });
    expect(w.settlements.moves).toEqual([
      { id: s.id, event: 'FAILED', changes: { failureReason: 'PROVIDER_UNAVAILABLE' }, actor: SETTLEMENT_JOB_ACTOR, providerMessage: `gave up after ${MAX_ATTEMPTS} attempts: provider unavailable` },
    ]);
    expect(w.stored(s)).toMatchObject({ status: 'FAILED', failureReason: 'PROVIDER_UNAVAILABLE' });
  });

  it('never gives up on an unknown outcome: past the last attempt it still waits, with the capped backoff', async () => {
    const w = world();
    const s = w.batch('A-1', { status: 'PROCESSING', attempts: 40 });
    w.settlements.scripts.set(s.id, unavailable(true));

    const report = await w.job.run();

    expect(report).toMatchObject({ retried: 1, failed: 0, backlog: 1 });
    expect(w.settlements.moves).toEqual([]);
    const delay = w.stored(s).nextAttemptAt.getTime() - NOW;
    expect(delay).toBeGreaterThanOrEqual(BACKOFF.maxMs / 2);
    expect(delay).toBeLessThanOrEqual(BACKOFF.maxMs);
  });

  it('tries a chain busy with another operation again shortly, and backs off after any other failure', async () => {
    const w = world();
    const busy = w.batch('A-1', { attempts: 4 });
    const broken = w.batch('A-2', { attempts: 4 });
    w.settlements.scripts.set(busy.id, () => {
      throw businessRule('AUTHORIZATION_BUSY', 'the chain is locked');
    });
    w.settlements.scripts.set(broken.id, () => {
      throw new Error('connection reset');
    });

    const report = await w.job.run();

    expect(report).toMatchObject({ claimed: 2, retried: 2, settled: 0, failed: 0, backlog: 2 });
    expect(w.stored(busy)).toMatchObject({ status: 'OPEN', attempts: 4, leaseOwner: null });
    expect(w.stored(busy).nextAttemptAt.getTime()).toBe(NOW + 1000);
    const delay = w.stored(broken).nextAttemptAt.getTime() - NOW;
    expect(delay).toBeGreaterThanOrEqual(8000);
    expect(delay).toBeLessThanOrEqual(16000);
  });

  it('skips an item whose lease was lost while it waited in the queue: another instance has it', async () => {
    const w = world();
    const [first, second] = [w.batch('A-1'), w.batch('A-2')];
    w.settlements.scripts.set(first.id, (stored) => {
      // Meanwhile our lease on the second ran out and another instance claimed it.
      Object.assign(w.stored(second), { leaseOwner: 'another-instance' });
      return settles(stored);
    });

    const report = await w.job.run();

    expect(w.settlements.processed).toEqual([first.id]);
    expect(report).toMatchObject({ claimed: 2, settled: 1, retried: 0, failed: 0 });
    expect(w.stored(second)).toMatchObject({ status: 'OPEN', leaseOwner: 'another-instance' });
  });

  it('counts a run that could not finish, and lets its error through', async () => {
    const w = world();
    w.batch('A-1');
    jest.spyOn(w.claims, 'claim').mockRejectedValueOnce(new Error('database unreachable'));

    await expect(w.job.run()).rejects.toThrow('database unreachable');

    expect(w.metrics.snapshot()).toMatchObject({ runs: 0, runErrors: 1, lastRun: null });
    expect(w.settlements.processed).toEqual([]);
  });
});
