import { EntityManager } from 'typeorm';
import { OperatorDecision, ProviderCall } from '../provider-calls/provider-call.entity';
import { FAKE_TX, providerCallRow } from '../testing/doubles';
import { CallState, DueCall, GivenUpCall, RecoveryRepository, UnresolvedPage } from './recovery.repository';

const unresolved = (c: ProviderCall) => c.outcome === 'PENDING' || c.outcome === 'UNKNOWN';
const copy = (c: ProviderCall) => Object.assign(new ProviderCall(), c);

/**
 * `RecoveryRepository` in maps, for unit tests. `tx` is ignored; `transaction` hands `FAKE_TX` to the work and,
 * when it throws, puts the calls back as they were. Time is `now`, which a test moves. What the sweep reads of
 * settlements and expired chains (two statements of conditions on other tables) is whatever the test puts in
 * `abandonedSettlements` and `unreleasedChains`.
 */
export class InMemoryRecoveryRepository extends RecoveryRepository {
  now = new Date('2030-01-01T00:00:00Z');
  readonly calls = new Map<string, ProviderCall>();
  /** The root of each authorization's chain, by the authorization's id. */
  readonly roots = new Map<string, string>();
  /** Roots of the chains a live request holds (their lock has not run out). */
  readonly leasedRoots = new Set<string>();
  abandonedSettlements: string[] = [];
  unreleasedChains: string[] = [];

  /** Adds a provider call: unresolved, due now, with nothing given up or decided unless `fields` say so. */
  add(fields: Partial<ProviderCall> & { id: string }): ProviderCall {
    const call = providerCallRow({ outcome: 'UNKNOWN', nextCheckAt: this.now, createdAt: this.now, ...fields });
    this.calls.set(call.id, call);
    return call;
  }

  async transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    const saved = new Map([...this.calls].map(([id, c]) => [id, copy(c)]));
    try {
      return await work(FAKE_TX);
    } catch (error) {
      this.calls.clear();
      saved.forEach((c, id) => this.calls.set(id, c));
      throw error;
    }
  }

  async claimDue(limit: number, claimSeconds: number): Promise<DueCall[]> {
    const due = [...this.calls.values()]
      .filter((c) => unresolved(c) && c.nextCheckAt !== null && c.nextCheckAt <= this.now)
      .filter((c) => c.authorizationId !== null || c.refundId !== null || c.fulfillmentId !== null)
      .filter((c) => !(c.authorizationId && this.leasedRoots.has(this.roots.get(c.authorizationId) ?? '')))
      .sort((a, b) => a.nextCheckAt!.getTime() - b.nextCheckAt!.getTime())
      .slice(0, limit);
    return due.map((c) => {
      c.nextCheckAt = this.later(claimSeconds * 1000);
      return {
        id: c.id,
        authorizationId: c.authorizationId,
        refundId: c.refundId,
        fulfillmentId: c.fulfillmentId,
        rootAuthorizationId: c.authorizationId ? (this.roots.get(c.authorizationId) ?? null) : null,
        checkAttempts: c.checkAttempts,
        createdAt: c.createdAt,
        givenUp: c.givenUpAt !== null,
      };
    });
  }

  async currentStates(ids: string[]): Promise<Map<string, CallState>> {
    const found = ids.map((id) => this.calls.get(id)).filter((c): c is ProviderCall => c !== undefined);
    return new Map(found.map((c) => [c.id, { outcome: c.outcome, checkAttempts: c.checkAttempts }]));
  }

  async checkLater(id: string, attempts: number, delayMs: number): Promise<void> {
    const call = this.calls.get(id);
    if (!call || !unresolved(call)) return;
    Object.assign(call, { checkAttempts: attempts, nextCheckAt: this.later(delayMs) });
  }

  async giveUp(_tx: EntityManager, id: string, attempts: number, recheckMs: number): Promise<GivenUpCall | undefined> {
    const call = this.calls.get(id);
    if (!call || !unresolved(call)) return undefined;
    Object.assign(call, {
      outcome: 'UNKNOWN',
      checkAttempts: attempts,
      givenUpAt: this.now,
      nextCheckAt: this.later(recheckMs),
      providerMessage: `${call.providerMessage === null ? '' : `${call.providerMessage}; `}unresolved after ${attempts} checks`,
    });
    const { orderId, authorizationId, settlementId, refundId, fulfillmentId, operation, amountMinor, currency, providerMessage } = call;
    return { id, operation, orderId, authorizationId, settlementId, refundId, fulfillmentId, amountMinor, currency, providerMessage };
  }

  async rearm(id: string): Promise<boolean> {
    const call = this.calls.get(id);
    if (!call || !unresolved(call) || call.givenUpAt === null) return false;
    Object.assign(call, { checkAttempts: 0, nextCheckAt: this.now, givenUpAt: null });
    return true;
  }

  async unresolvedCount(): Promise<number> {
    return [...this.calls.values()].filter((c) => unresolved(c) && c.givenUpAt !== null).length;
  }

  async abandonedSyncSettlements(limit: number): Promise<string[]> {
    return this.abandonedSettlements.slice(0, limit);
  }

  async chainsWithUnreleasedClosedHolds(limit: number): Promise<string[]> {
    return this.unreleasedChains.slice(0, limit);
  }

  async unresolvedPage(page: UnresolvedPage): Promise<ProviderCall[]> {
    const order = (a: ProviderCall, b: ProviderCall) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);
    const after = page.cursor ? this.calls.get(page.cursor) : undefined;
    return [...this.calls.values()]
      .filter((c) => unresolved(c) && (c.givenUpAt !== null) === page.givenUp)
      .filter((c) => !page.cursor || (after !== undefined && order(c, after) > 0))
      .sort(order)
      .slice(0, page.limit)
      .map(copy);
  }

  async findCall(id: string): Promise<ProviderCall | null> {
    const call = this.calls.get(id);
    return call ? copy(call) : null;
  }

  async getCall(id: string): Promise<ProviderCall> {
    const call = this.calls.get(id);
    if (!call) throw new Error(`no provider call ${id}`);
    return copy(call);
  }

  async recordDecision(_tx: EntityManager, id: string, decision: OperatorDecision): Promise<boolean> {
    const call = this.calls.get(id);
    if (!call || !unresolved(call) || call.operatorDecision !== null) return false;
    Object.assign(call, { operatorDecision: { ...decision }, nextCheckAt: this.now, givenUpAt: null });
    return true;
  }

  async rootOf(authorizationId: string): Promise<string | null> {
    return this.roots.get(authorizationId) ?? null;
  }

  private later(ms: number): Date {
    return new Date(this.now.getTime() + ms);
  }
}
