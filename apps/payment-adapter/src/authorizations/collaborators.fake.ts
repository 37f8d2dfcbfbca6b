import { BalanceResult, GiftCardProvider, HoldResult, ProviderError, ReleaseResult } from '@gcpa/gift-card-provider';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { FAKE_TX, PassThroughFence, RecordedHistory } from '../testing/doubles';
import { CardVault } from '../card-data/card-vault';
import { InMemoryAuthorizationsRepository } from './authorizations.repository.fake';
import { HoldsService } from './holds.service';
import { CallIntent, CallResult, FoundTransaction, ProviderCallsService, Resolution, ResolveOptions } from '../provider-calls/provider-calls.service';

/**
 * Hand-written doubles of what the authorization services call besides their repository, for unit tests
 * against `InMemoryAuthorizationsRepository`. Each does the least its caller relies on, and keeps what it was asked.
 */

type Answer<T> = T | ProviderError;

/** A provider answering each call from its queue, in order; an error in the queue is thrown. */
export class ScriptedProvider {
  readonly holds: Array<Answer<HoldResult>> = [];
  readonly balances: Array<Answer<BalanceResult>> = [];
  readonly releases: Array<Answer<ReleaseResult>> = [];
  /** What each call was asked: the amounts of holds and balance reads, the hold ids of releases. */
  readonly asked: Array<{ operation: 'hold' | 'balance' | 'releaseHold'; amountMinor?: bigint; holdId?: string; pin?: string }> = [];

  readonly provider = {
    name: 'scripted',
    hold: async (input: Parameters<GiftCardProvider['hold']>[0]) => {
      this.asked.push({ operation: 'hold', amountMinor: input.amount.minor, pin: input.card.pin });
      return this.next(this.holds, 'hold');
    },
    balance: async (input: Parameters<GiftCardProvider['balance']>[0]) => {
      this.asked.push({ operation: 'balance', pin: input.card.pin });
      return this.next(this.balances, 'balance');
    },
    releaseHold: async (input: Parameters<GiftCardProvider['releaseHold']>[0]) => {
      this.asked.push({ operation: 'releaseHold', holdId: input.holdId });
      return this.next(this.releases, 'releaseHold');
    },
  } as unknown as GiftCardProvider;

  private next<T>(queue: Array<Answer<T>>, operation: string): T {
    const answer = queue.shift();
    if (answer === undefined) throw new Error(`the test gave no answer for ${operation}`);
    if (answer instanceof ProviderError) throw answer;
    return answer;
  }
}

/**
 * The provider calls' bookkeeping without a database: `run` sends the call and applies a success in the same
 * (pretend) commit; `resolve` answers the look-up of a lost call from its queue.
 */
export class ScriptedCalls {
  readonly intents: Array<CallIntent & { id: string }> = [];
  readonly resolutions: Resolution[] = [];
  /** The ids of calls recorded APPLIED after a look-up (`recordApplied`). */
  readonly recordedApplied: string[] = [];

  async run<T>(
    intent: CallIntent,
    call: (requestId: string) => Promise<T>,
    _describe: (value: T) => unknown,
    applySuccess?: (manager: EntityManager, value: T, record: ProviderCall) => Promise<void>,
  ): Promise<CallResult<T>> {
    const id = `call-${this.intents.length + 1}`;
    this.intents.push({ ...intent, id });
    const record = { id, ...intent } as unknown as ProviderCall;
    try {
      const value = await call(`request-${id}`);
      if (applySuccess) await applySuccess(FAKE_TX, value, record);
      return { ok: true, value, call: record };
    } catch (error) {
      if (error instanceof ProviderError) return { ok: false, error, call: record };
      throw error;
    }
  }

  async resolve(_call: ProviderCall, options: ResolveOptions = {}): Promise<Resolution> {
    const resolution = this.resolutions.shift() ?? { applied: 'unknown' };
    if (resolution.applied === true && options.onApplied) await options.onApplied(FAKE_TX, resolution.transaction);
    if (resolution.applied === false && options.onNotApplied) await options.onNotApplied(FAKE_TX);
    return resolution;
  }

  async recordApplied(_manager: EntityManager, call: ProviderCall, _found: FoundTransaction): Promise<void> {
    this.recordedApplied.push(call.id);
  }

  operations(): string[] {
    return this.intents.map((i) => i.operation);
  }

  asService(): ProviderCallsService {
    return this as unknown as ProviderCallsService;
  }
}

/** The hold lifetime the unit tests place holds with. */
export const HOLD_TTL_MS = 7 * 24 * 3600_000;

/** A HoldsService over the in-memory repository and the doubles above, each kept for the test to script and read. */
export function holdsWorld() {
  const repository = new InMemoryAuthorizationsRepository();
  const history = new RecordedHistory();
  const calls = new ScriptedCalls();
  const provider = new ScriptedProvider();
  const fence = new PassThroughFence();
  const vault = new CardVault(randomBytes(32).toString('base64'));
  const holds = new HoldsService(repository, calls.asService(), vault, history, provider.provider, HOLD_TTL_MS, fence);
  return { repository, history, calls, provider, fence, vault, holds };
}
