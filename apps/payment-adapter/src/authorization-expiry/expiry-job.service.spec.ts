import { ProviderDeclinedError, ProviderUnavailableError } from '@gcpa/gift-card-provider';
import { randomBytes } from 'node:crypto';
import { Authorization } from '../authorizations/authorization.entity';
import { InMemoryAuthorizationsRepository } from '../authorizations/authorizations.repository.fake';
import { ScriptedCalls, ScriptedProvider } from '../authorizations/collaborators.fake';
import { HoldsService } from '../authorizations/holds.service';
import { newAuthorization } from '../authorizations/new-authorization';
import { CardVault } from '../card-data/card-vault';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { DomainError } from '../common/domain-errors';
import { Metrics } from '../observability/metrics';
import { FreeChainLock, PassThroughFence, RecordedHistory } from '../testing/doubles';
import { EXPIRY_JOB_ACTOR, ExpiryJob } from './expiry-job.service';
import { InMemoryExpiryRepository } from './expiry.repository.fake';
import { ExpirySettings } from './expiry.settings';

const HOUR = 3600_000;
const HOLD_TTL_MS = 7 * 24 * HOUR;
const REAUTHORIZE_BEFORE_MS = 24 * HOUR;
const CARD = '6006491234567890';
const money = (minor: bigint) => ({ minor, currency: 'USD' });
const balance = (minor: bigint) => ({ available: money(minor), held: money(0n), active: true });

/** A chain repair with nothing to repair, unless a test says the chain's resolution is not finished. */
class StubRepair {
  resolved = true;
  readonly asked: string[] = [];

  async resolveChain(rootId: string, actor: string): Promise<boolean> {
    expect(actor).toBe(EXPIRY_JOB_ACTOR);
    this.asked.push(rootId);
    return this.resolved;
  }
}

function world() {
  const authorizations = new InMemoryAuthorizationsRepository();
  const calls = new ScriptedCalls();
  const provider = new ScriptedProvider();
  const history = new RecordedHistory();
  const vault = new CardVault(randomBytes(32).toString('base64'));
  const holds = new HoldsService(authorizations, calls.asService(), vault, history, provider.provider, HOLD_TTL_MS, new PassThroughFence());
  const repository = new InMemoryExpiryRepository(authorizations, { hasCalls: (id) => calls.intents.some((i) => i.authorizationId === id) });
  const repair = new StubRepair();
  const lock = new FreeChainLock();
  const metrics = new Metrics();
  const settings = new ExpirySettings(true, '0 * * * * *', 10, REAUTHORIZE_BEFORE_MS, 60);
  const job = new ExpiryJob(lock, repair as unknown as ChainRepair, holds, repository, vault, settings, metrics, provider.provider);

  /** An OPEN link holding `heldMinor` under hold H-1, expiring `hoursLeft` from now; stored. */
  function open(heldMinor: bigint, hoursLeft: number): Authorization {
    const link = Object.assign(newAuthorization({ orderId: 'ORD-1', card: vault.protect(CARD), currency: 'USD', requestedMinor: heldMinor, allowPartial: false }), {
      state: 'OPEN',
      decision: 'APPROVED',
      approvedMinor: heldMinor,
      heldMinor,
      providerHoldId: 'H-1',
      expiresAt: new Date(Date.now() + hoursLeft * HOUR),
      createdAt: new Date(Date.now() - HOLD_TTL_MS),
    } satisfies Partial<Authorization>);
    authorizations.add(link);
    return link;
  }
  const successorOf = (link: Authorization) => authorizations.all().find((l) => l.previousId === link.id);
  const metric = async (name: 'gcpa_reauthorizations_total' | 'gcpa_authorization_expiries_total') =>
    (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value]);
  return { authorizations, calls, provider, history, repository, repair, lock, job, open, successorOf, metric };
}

describe('ExpiryJob', () => {
  it('closes a hold past its expiry EXPIRED, then releases it, and leaves the chain unclaimed', async () => {
    const w = world();
    const link = w.open(3000n, -1);
    w.provider.releases.push({ transactionId: 'R-1' });

    const report = await w.job.run();

    expect(report).toMatchObject({ claimed: 1, expired: 1, reauthorized: 0, retried: 0 });
    expect(w.authorizations.stored(link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'EXPIRED', heldMinor: 0n });
    expect(w.provider.asked).toEqual([{ operation: 'releaseHold', holdId: 'H-1' }]);
    expect(w.history.types()).toEqual(['AUTHORIZATION_EXPIRED']);
    expect(w.lock.ran).toEqual([link.rootId]);
    expect(w.repository.claims.size).toBe(0);
    expect(await w.metric('gcpa_authorization_expiries_total')).toEqual([[{ release: 'RELEASED' }, 1]]);
  });

  it('leaves a hold alone while it is further from its expiry than REAUTHORIZE_BEFORE_HOURS', async () => {
    const w = world();
    const link = w.open(3000n, 25);

    expect(await w.job.run()).toMatchObject({ claimed: 0 });

    expect(w.authorizations.stored(link.id)).toMatchObject({ state: 'OPEN', heldMinor: 3000n });
    expect(w.provider.asked).toEqual([]);
    expect(w.authorizations.all()).toHaveLength(1);
  });

  it('re-authorizes a hold near its expiry as a new link, held first, and releases the old hold after', async () => {
    const w = world();
    const link = w.open(3000n, 2);
    w.provider.balances.push(balance(5000n), balance(5000n));
    w.provider.holds.push({ holdId: 'H-2', heldAmount: money(3000n) });
    w.provider.releases.push({ transactionId: 'R-1' });

    const report = await w.job.run();

    expect(report).toMatchObject({ claimed: 1, reauthorized: 1, short: 0 });
    const next = w.successorOf(link)!;
    expect(next).toMatchObject({ rootId: link.rootId, state: 'OPEN', providerHoldId: 'H-2', requestedMinor: 3000n, heldMinor: 3000n });
    expect(w.authorizations.stored(link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'REAUTHORIZED', heldMinor: 0n, nextId: next.id });
    // The value stays reserved throughout: the new hold is placed before the old one goes.
    expect(w.provider.asked.map((a) => a.operation)).toEqual(['balance', 'balance', 'hold', 'releaseHold']);
    expect(w.provider.asked[3]).toEqual({ operation: 'releaseHold', holdId: 'H-1' });
    expect(w.repository.transactions).toBe(0);
    expect(await w.metric('gcpa_reauthorizations_total')).toEqual([[{ outcome: 'REAUTHORIZED' }, 1]]);
  });

  it('releases the old hold first when the card cannot carry both, closing it with the new link in one transaction', async () => {
    const w = world();
    const link = w.open(3000n, 2);
    w.provider.balances.push(balance(0n), balance(3000n));
    w.provider.releases.push({ transactionId: 'R-1' });
    w.provider.holds.push({ holdId: 'H-2', heldAmount: money(3000n) });

    const report = await w.job.run();

    expect(report).toMatchObject({ reauthorized: 1 });
    expect(w.provider.asked.map((a) => a.operation)).toEqual(['balance', 'releaseHold', 'balance', 'hold']);
    expect(w.repository.transactions).toBe(1);
    const next = w.successorOf(link)!;
    expect(w.authorizations.stored(link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'REAUTHORIZED', nextId: next.id });
    expect(next).toMatchObject({ state: 'OPEN', heldMinor: 3000n });
    expect(w.history.events[0]).toMatchObject({ type: 'AUTHORIZATION_REAUTHORIZED', detail: { nextAuthorizationId: next.id, order: 'RELEASE_FIRST', availableMinor: '0' } });
  });

  it('tells the OMS the shortfall of a short re-hold, and still moves the chain to the new link', async () => {
    const w = world();
    const link = w.open(3000n, 2);
    w.provider.balances.push(balance(3000n), balance(1200n));
    w.provider.holds.push({ holdId: 'H-2', heldAmount: money(1200n) });
    w.provider.releases.push({ transactionId: 'R-1' });

    const report = await w.job.run();

    expect(report).toMatchObject({ short: 1, reauthorized: 0 });
    expect(w.successorOf(link)).toMatchObject({ state: 'OPEN', requestedMinor: 3000n, heldMinor: 1200n });
    expect(w.authorizations.stored(link.id)).toMatchObject({ state: 'CLOSED', closedReason: 'REAUTHORIZED' });
    expect(w.history.events.find((e) => e.type === 'AUTHORIZATION_EXPIRING')).toMatchObject({ amountMinor: 1800n });
  });

  it('keeps the old hold when the re-hold is declined, tells the OMS, and does not try again', async () => {
    const w = world();
    const link = w.open(3000n, 2);
    w.provider.balances.push(balance(3000n), balance(3000n));
    w.provider.holds.push(new ProviderDeclinedError('CARD_INACTIVE'));

    expect(await w.job.run()).toMatchObject({ claimed: 1, declined: 1 });

    expect(w.successorOf(link)).toMatchObject({ state: 'CLOSED', closedReason: 'DECLINED' });
    expect(w.authorizations.stored(link.id)).toMatchObject({ state: 'OPEN', heldMinor: 3000n, providerHoldId: 'H-1' });
    expect(w.provider.asked.map((a) => a.operation)).not.toContain('releaseHold');
    expect(w.history.types()).toContain('AUTHORIZATION_EXPIRING');

    expect(await w.job.run()).toMatchObject({ claimed: 0 });
    expect(w.provider.asked).toHaveLength(3);
  });

  it('leaves the chain as it was for the next run when the provider cannot be asked', async () => {
    const w = world();
    const link = w.open(3000n, 2);
    w.provider.balances.push(new ProviderUnavailableError('503 from the provider'));

    expect(await w.job.run()).toMatchObject({ claimed: 1, retried: 1 });

    expect(w.authorizations.all()).toEqual([w.authorizations.stored(link.id)]);
    expect(w.authorizations.stored(link.id)).toMatchObject({ state: 'OPEN', heldMinor: 3000n });
    expect(w.history.events).toEqual([]);
    expect(w.repository.claims.size).toBe(0);
  });

  it('does nothing on a chain whose earlier calls are unresolved, nor on one busy with another operation, each once per run', async () => {
    const w = world();
    const unresolved = w.open(3000n, -1);
    const busy = w.open(3000n, -1);
    w.repair.resolved = false;
    const run = w.lock.run.bind(w.lock);
    w.lock.run = (rootId, work) => (rootId === busy.rootId ? Promise.reject(new DomainError(409, 'AUTHORIZATION_BUSY', 'busy')) : run(rootId, work));

    expect(await w.job.run()).toMatchObject({ claimed: 2, retried: 2, expired: 0 });

    expect(w.repair.asked).toEqual([unresolved.rootId]);
    expect(w.provider.asked).toEqual([]);
    expect([unresolved, busy].map((l) => w.authorizations.stored(l.id)!.state)).toEqual(['OPEN', 'OPEN']);
    expect(w.repository.claims.size).toBe(0);
  });
});
