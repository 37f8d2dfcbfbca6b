import { KnownOnCard } from '@gcpa/gift-card-provider';
import { EntityManager } from 'typeorm';
import { ProviderCall } from './provider-call.entity';
import { CallAnswer, CallSettlement, ProviderCallsRepository } from './provider-calls.repository';

/** A hold an authorization owns on a card, as `knownOnCard` reads it from `authorization_hold`. */
export interface OwnedHold {
  cardHash: string;
  providerHoldId: string | null;
}

/** The backoff of a look-up that could not be made, as the SQL computes it: 5 s doubled per attempt, at most 300 s. */
const backoffMs = (attempts: number) => Math.min(300, 5 * 2 ** attempts) * 1000;

/**
 * `ProviderCallsRepository` in a map, for unit tests. `tx` is ignored. Rows go in and come out as copies, as from
 * the table; `put` stores one as a test needs it (given up, with an operator's decision), `get` reads it back.
 * The holds authorizations own, which `knownOnCard` also reads, are filled in by the test (`ownedHolds`).
 */
export class InMemoryProviderCallsRepository extends ProviderCallsRepository {
  private readonly calls = new Map<string, ProviderCall>();
  readonly ownedHolds: OwnedHold[] = [];

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  /** Stores the call as it is (a test's starting point). */
  put(call: ProviderCall): void {
    this.calls.set(call.id, copy(call));
  }

  /** The stored call, or undefined. */
  get(id: string): ProviderCall | undefined {
    const call = this.calls.get(id);
    return call && copy(call);
  }

  /** Every stored call, in the order they went in. */
  all(): ProviderCall[] {
    return [...this.calls.values()].map(copy);
  }

  async insert(_tx: EntityManager, call: ProviderCall): Promise<void> {
    if (this.calls.has(call.id)) throw new Error(`duplicate key: provider call ${call.id}`);
    this.put(call);
  }

  async answer(_tx: EntityManager, id: string, answer: CallAnswer): Promise<void> {
    const call = this.calls.get(id);
    if (call) Object.assign(call, answer);
  }

  async unresolvedFor(authorizationId: string): Promise<ProviderCall[]> {
    return [...this.calls.values()]
      .filter((c) => c.authorizationId === authorizationId && (c.outcome === 'UNKNOWN' || c.outcome === 'PENDING'))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map(copy);
  }

  async keepUndecided(id: string, candidates: ProviderCall['candidates'], note: string): Promise<void> {
    const call = this.calls.get(id);
    if (call) Object.assign(call, { candidates: candidates && candidates.map((c) => ({ ...c })), resolutionNote: note });
  }

  async knownOnCard(cardHash: string, exceptCallId: string): Promise<KnownOnCard> {
    const holdIds = new Set<string>();
    const transactionIds = new Set<string>();
    const answeredBefore = new Set<string>();
    const began = this.calls.get(exceptCallId)?.createdAt.getTime();
    for (const call of this.calls.values()) {
      if (call.cardHash !== cardHash || call.id === exceptCallId || call.providerTransactionId === null) continue;
      (call.operation === 'HOLD' ? holdIds : transactionIds).add(call.providerTransactionId);
      if (began !== undefined && call.completedAt !== null && call.completedAt.getTime() < began) answeredBefore.add(call.providerTransactionId);
    }
    for (const hold of this.ownedHolds) {
      if (hold.cardHash === cardHash && hold.providerHoldId !== null) holdIds.add(hold.providerHoldId);
    }
    return { holdIds, transactionIds, answeredBefore };
  }

  async checkLater(id: string, note: string): Promise<void> {
    const call = this.calls.get(id);
    if (!call) return;
    const backoffEnd = this.now() + backoffMs(call.checkAttempts);
    // least() of PostgreSQL ignores a NULL: a call with no check planned gets the backoff.
    const planned = call.nextCheckAt?.getTime() ?? Infinity;
    Object.assign(call, { checkAttempts: call.checkAttempts + 1, resolutionNote: note, nextCheckAt: new Date(Math.min(planned, backoffEnd)) });
  }

  async settle(_tx: EntityManager, id: string, s: CallSettlement): Promise<boolean> {
    const call = this.calls.get(id);
    if (!call) return false;
    Object.assign(call, {
      outcome: s.outcome,
      providerTransactionId: s.providerTransactionId,
      resultMinor: s.resultMinor,
      resolutionNote: s.resolutionNote,
      candidates: null,
      operatorDecision: null,
      completedAt: s.completedAt,
      nextCheckAt: null,
    });
    return call.givenUpAt !== null && call.givenUpAt !== undefined;
  }
}

/** A copy as a read of the row gives: its jsonb columns are copies too (dates are never changed in place). */
function copy(call: ProviderCall): ProviderCall {
  return Object.assign(new ProviderCall(), call, {
    candidates: call.candidates && call.candidates.map((c) => ({ ...c })),
    operatorDecision: call.operatorDecision && { ...call.operatorDecision },
  });
}
