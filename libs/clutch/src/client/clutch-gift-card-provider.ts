import {
  ActivateInput,
  ActivateResult,
  AllocateInput,
  AllocatedCard,
  BalanceInput,
  BalanceResult,
  CardActivity,
  CardActivityInput,
  DeclineReason,
  GiftCardProvider,
  HoldInput,
  HoldResult,
  IssueInput,
  IssueResult,
  ProviderCallLogEntry,
  ProviderDeclinedError,
  ProviderError,
  ProviderInvalidRequestError,
  ProviderLogger,
  ProviderOutcomeUnknownError,
  LostAnswerStrategy,
  LostCallFinding,
  LostCallInput,
  LostCallOperation,
  ProviderUnavailableError,
  RedeemFromHoldInput,
  RedeemInput,
  RedeemResult,
  ReleaseHoldInput,
  ReleaseResult,
  VoidInput,
  VoidResult,
  maskCardNumber,
  silentProviderLogger,
} from '@gcpa/gift-card-provider';
import { Money, zero } from '@gcpa/money';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  RetryPolicy,
  circuitBreaker,
  handleType,
  handleWhen,
  retry,
} from 'cockatiel';
import { CLUTCH_ERRORS } from '../errors';
import {
  AllocateRequest,
  AllocateResponse,
  CardHistoryEntry,
  CardHistoryRequest,
  CardHistoryResponse,
  ClutchCard,
  ClutchMethod,
  SearchRequest,
  SearchResponse,
  UpdateBalanceRequest,
  UpdateBalanceResponse,
  VoidTransactionRequest,
  VoidTransactionResponse,
} from '../protocol';
import { fromClutchNumber, summariseBalances, toClutchAmount } from './clutch-amounts';
import { ClutchClientOptions, ResolvedClutchClientOptions, resolveClutchClientOptions } from './clutch-client-options';
import {
  CallContext,
  CallKind,
  failureFromNetworkError,
  failureFromResponse,
  unreadableResponse,
} from './clutch-failure-mapping';
import { ClutchHttp, ClutchNetworkFailure } from './clutch-http';
import { holdEntries, holdShown, resolveLostActivation, resolveLostHold, resolveLostHoldUse, resolveLostMovement } from './clutch-lost-answers';

export type ClutchCircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/** A card number no Clutch account can hold: the health probe looks it up and expects "not found". */
export const HEALTH_PROBE_CARD_NUMBER = '0000000000000000000';

interface Call<R> extends CallContext {
  requestId: string;
  cardNumber?: string;
  body: object;
  /** Reads the success answer; may throw a decline (e.g. a card in another currency). */
  decode: (body: Record<string, unknown>) => R;
  timeoutMs?: number;
  /** Reads are retried unless this is false (the health probe answers at once). */
  retry?: boolean;
}

/** Declines and invalid requests are answers, not outages: they pass the breaker as successes. */
type Exchange<R> = { value: R; requestRef?: string } | { refused: ProviderError };

const CIRCUIT_STATES: Record<CircuitState, ClutchCircuitState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** History pages read while resolving a lost answer; entries older than the call end the reading sooner. */
const HISTORY_PAGE = 50;
const HISTORY_MAX_PAGES = 20;

/**
 * The Clutch merchant API behind the `GiftCardProvider` interface, in the wire format of recorded traffic.
 * Mutating calls (updateBalance, allocate, voidTransaction) are sent once: a lost answer (timeout, broken
 * connection, any 5xx) is `ProviderOutcomeUnknownError`, resolved later from the card's state by
 * `resolveLostCall`. Reads (search, cardHistory) are retried with backoff. A consecutive-failure circuit
 * breaker fails fast while Clutch is down.
 */
export class ClutchGiftCardProvider implements GiftCardProvider {
  readonly name = 'clutch';
  private readonly options: ResolvedClutchClientOptions;
  private readonly http: ClutchHttp;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly readRetry: RetryPolicy;

  constructor(
    options: ClutchClientOptions,
    private readonly logger: ProviderLogger = silentProviderLogger,
  ) {
    this.options = resolveClutchClientOptions(options);
    this.http = new ClutchHttp(this.options);
    this.breaker = circuitBreaker(handleType(ProviderUnavailableError).orType(ProviderOutcomeUnknownError), {
      halfOpenAfter: this.options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.options.consecutiveFailures),
    });
    this.readRetry = retry(
      handleWhen((error) => error instanceof ProviderUnavailableError && !error.details?.circuitOpen),
      {
        maxAttempts: this.options.readRetries,
        backoff: new ExponentialBackoff({ initialDelay: this.options.readRetryInitialDelayMs, maxDelay: 2000 }),
      },
    );
  }

  /** The circuit breaker's state, for metrics and the health check. */
  get circuitState(): ClutchCircuitState {
    return CIRCUIT_STATES[this.breaker.state];
  }

  /** Subscribes to circuit state changes (metrics); returns a disposer. */
  onCircuitStateChange(listener: (state: ClutchCircuitState) => void): () => void {
    const subscription = this.breaker.onStateChange((state) => listener(CIRCUIT_STATES[state]));
    return () => subscription.dispose();
  }

  async close(): Promise<void> {
    this.http.close();
  }

  private declined(reason: DeclineReason, operation: string, method: ClutchMethod, providerMessage?: string): ProviderDeclinedError {
    const error = new ProviderDeclinedError(reason, providerMessage);
    error.details = { provider: 'clutch', operation, providerMethod: method };
    return error;
  }

  async balance(input: BalanceInput): Promise<BalanceResult> {
    const card = await this.search('balance', input.requestId, input.card.cardNumber, input.card.pin);
    if (!card) throw this.declined('CARD_NOT_FOUND', 'balance', 'search', CLUTCH_ERRORS.cardNotFound.message);
    const summary = summariseBalances(card.balances, input.currency);
    if ('decline' in summary) throw this.declined(summary.decline, 'balance', 'search');
    return { available: summary.available, held: summary.held, active: isActive(card) };
  }

  /** The card as `search` shows it (inactive ones included), or null when Clutch does not know it. */
  private async search(operation: string, requestId: string, cardNumber: string, pin?: string): Promise<ClutchCard | null> {
    const body: SearchRequest = {
      filters: { cardNumber },
      returnFields: { balances: true, activationDate: true },
      includeInactive: true,
      ...pinFields(pin),
    };
    return this.call({
      operation,
      method: 'search',
      kind: 'read',
      requestId,
      cardNumber,
      body,
      decode: (answer) => {
        const cards = (answer as unknown as SearchResponse).cards;
        if (!Array.isArray(cards)) throw new TypeError('no cards list');
        return cards.find((c) => c.cardNumber === cardNumber) ?? cards[0] ?? null;
      },
    });
  }

  async hold(input: HoldInput): Promise<HoldResult> {
    const body = chargeBody('hold', input);
    return this.call({
      operation: 'hold',
      method: 'updateBalance',
      kind: 'mutating',
      requestId: input.requestId,
      cardNumber: input.card.cardNumber,
      body,
      decode: (answer) => {
        const response = answer as unknown as UpdateBalanceResponse;
        const holdId = transactionIdOf(response);
        // No amount field: what is held is what was asked, unless the hold's own balance entry says less.
        const entry = holdEntries(response.balances, input.amount.currency).find((h) => h.holdId === holdId);
        const heldAmount = entry ? entry.amount : input.amount;
        if (heldAmount.minor === 0n) throw new ProviderDeclinedError('INSUFFICIENT_FUNDS');
        return { holdId, heldAmount };
      },
    });
  }

  async redeemFromHold(input: RedeemFromHoldInput): Promise<RedeemResult> {
    return this.redeemHold('redeemFromHold', input.requestId, input.cardNumber, input.holdId, input.amount);
  }

  async releaseHold(input: ReleaseHoldInput): Promise<ReleaseResult> {
    const { transactionId } = await this.redeemHold(
      'releaseHold',
      input.requestId,
      input.cardNumber,
      input.holdId,
      zero(input.currency),
    );
    return { transactionId };
  }

  /**
   * With `allowPartial` a short card gives what it has (`redeemMaxOnOverdraw`); Clutch then says only
   * `didOverdraw`, so what it took is the available balance read just before, less what is left after.
   */
  async redeem(input: RedeemInput): Promise<RedeemResult> {
    const before = input.allowPartial ? await this.balance({ requestId: input.requestId, card: input.card, currency: input.amount.currency }) : null;
    const body = chargeBody('redeem', input);
    return this.call({
      operation: 'redeem',
      method: 'updateBalance',
      kind: 'mutating',
      requestId: input.requestId,
      cardNumber: input.card.cardNumber,
      body,
      decode: (answer) => {
        const response = answer as unknown as UpdateBalanceResponse;
        const transactionId = transactionIdOf(response);
        if (response.didOverdraw !== true) return { transactionId, redeemedAmount: input.amount };
        // Without the balances after, what was taken cannot be read (summarising a missing list would say "all of it").
        if (!before || !Array.isArray(response.balances)) throw new TypeError('didOverdraw without balances to read what was taken');
        const after = summariseBalances(response.balances, input.amount.currency);
        if ('decline' in after) throw new TypeError('didOverdraw with balances in another currency');
        return { transactionId, redeemedAmount: { minor: before.available.minor - after.available.minor, currency: input.amount.currency } };
      },
    });
  }

  async issue(input: IssueInput): Promise<IssueResult> {
    const body: UpdateBalanceRequest = {
      cardNumber: input.cardNumber,
      action: 'issue',
      amount: toClutchAmount(input.amount),
      ...(input.returnRelated ? { isReturnRelated: true } : {}),
      returnBalances: true,
    };
    return this.call({
      operation: 'issue',
      method: 'updateBalance',
      kind: 'mutating',
      requestId: input.requestId,
      cardNumber: input.cardNumber,
      body,
      decode: (answer) => ({ transactionId: transactionIdOf(answer as unknown as UpdateBalanceResponse) }),
    });
  }

  async allocate(input: AllocateInput): Promise<AllocatedCard> {
    const body: AllocateRequest = { cardSetId: input.cardSetId };
    return this.call({
      operation: 'allocate',
      method: 'allocate',
      kind: 'mutating',
      requestId: input.requestId,
      body,
      decode: (answer) => {
        const response = answer as unknown as AllocateResponse;
        if (typeof response.cardNumber !== 'string' || response.cardNumber === '') throw new TypeError('no cardNumber');
        return typeof response.pin === 'string' && response.pin !== ''
          ? { cardNumber: response.cardNumber, pin: response.pin }
          : { cardNumber: response.cardNumber };
      },
    });
  }

  async activate(input: ActivateInput): Promise<ActivateResult> {
    const body: AllocateRequest = { cardNumber: input.cardNumber };
    return this.call({
      operation: 'activate',
      method: 'allocate',
      kind: 'mutating',
      requestId: input.requestId,
      cardNumber: input.cardNumber,
      body,
      decode: () => ({}),
    });
  }

  async void(input: VoidInput): Promise<VoidResult> {
    const body: VoidTransactionRequest = { transactionId: input.transactionId };
    return this.call({
      operation: 'void',
      method: 'voidTransaction',
      kind: 'mutating',
      requestId: input.requestId,
      cardNumber: input.cardNumber,
      body,
      decode: (answer) => ({ transactionId: transactionIdOf(answer as unknown as VoidTransactionResponse) }),
    });
  }

  /** Clutch's history cannot be searched by our reference: every lost answer is resolved from state. */
  lostAnswerStrategy(_operation: LostCallOperation): LostAnswerStrategy {
    return 'state';
  }

  async resolveLostCall(input: LostCallInput): Promise<LostCallFinding> {
    const cardNumber = input.cardNumber;
    if (input.operation === 'ALLOCATE') {
      // Nothing names the card a lost allocation took, and no value is on it: allocate again, record the loss.
      return { outcome: 'NOT_APPLIED', note: 'a lost allocation leaves an empty card nobody knows; allocate again' };
    }
    if (cardNumber === undefined) return { outcome: 'UNDECIDED', note: 'no card to look at', candidates: [] };
    switch (input.operation) {
      case 'HOLD':
        return resolveLostHold(await this.search('resolveLostCall', input.requestId, cardNumber), input);
      case 'REDEEM_FROM_HOLD':
      case 'RELEASE_HOLD': {
        const card = await this.search('resolveLostCall', input.requestId, cardNumber);
        const gone = !holdShown(card, input);
        const history = gone && input.amount.minor > 0n ? await this.historySince(input.requestId, cardNumber, input.startedAt) : [];
        return resolveLostHoldUse(card, history, input);
      }
      case 'ISSUE':
        return resolveLostMovement(await this.historySince(input.requestId, cardNumber, input.startedAt), input.amount.minor, input);
      case 'REDEEM':
        return resolveLostMovement(await this.historySince(input.requestId, cardNumber, input.startedAt), -input.amount.minor, input);
      case 'ACTIVATE':
        return resolveLostActivation(await this.search('resolveLostCall', input.requestId, cardNumber), input);
      case 'VOID':
        return { outcome: 'UNDECIDED', note: 'a lost void cannot be told from the card; an operator decides', candidates: [] };
    }
  }

  /**
   * Reconciliation's read of a card: the hold entries `search` shows (`holdingTransactionId`), and the paged
   * `cardHistory` since `since`. A hold's own history entry (0.00) tells when it was placed; entries that move
   * no value are left out of `entries`.
   */
  async cardActivity(input: CardActivityInput): Promise<CardActivity> {
    const { cardNumber, currency } = input;
    const card = await this.search('cardActivity', input.requestId, cardNumber);
    if (!card) throw this.declined('CARD_NOT_FOUND', 'cardActivity', 'search', CLUTCH_ERRORS.cardNotFound.message);
    const history = await this.historySince(input.requestId, cardNumber, input.since, 'cardActivity');
    const placedAt = new Map(history.map((e) => [e.transactionId, new Date(e.transactionTime)]));
    const holds = holdEntries(card.balances, currency).map((hold) => {
      const at = placedAt.get(hold.holdId);
      return at ? { ...hold, placedAt: at } : hold;
    });
    const entries = [];
    for (const entry of history) {
      let minor = 0n;
      for (const update of entry.balanceUpdates ?? []) {
        if (update.balanceType === 'Currency' && update.balanceCode === currency) minor += fromClutchNumber(update.amount, currency).minor;
      }
      if (minor !== 0n) entries.push({ transactionId: entry.transactionId, amount: { minor, currency }, at: new Date(entry.transactionTime) });
    }
    return { holds, entries };
  }

  /** The card's history entries from `since` (less the allowed clock skew) on, newest first. */
  private async historySince(requestId: string, cardNumber: string, since: Date, operation = 'resolveLostCall'): Promise<CardHistoryEntry[]> {
    const from = since.getTime() - this.options.clockSkewMs;
    const entries: CardHistoryEntry[] = [];
    for (let page = 0; page < HISTORY_MAX_PAGES; page++) {
      const body: CardHistoryRequest = { cardNumber, limit: HISTORY_PAGE, offset: page * HISTORY_PAGE };
      const transactions = await this.call({
        operation,
        method: 'cardHistory',
        kind: 'read',
        requestId,
        cardNumber,
        body,
        decode: (answer) => {
          const list = (answer as unknown as CardHistoryResponse).transactions;
          if (!Array.isArray(list)) throw new TypeError('no transactions list');
          // An entry whose time we cannot read is unreadable, never "older than the call": that would end the
          // reading early and let "nothing found" pass for "not applied".
          if (list.some((e) => typeof e?.transactionTime !== 'number' || !Number.isFinite(e.transactionTime))) {
            throw new TypeError('a history entry without an epoch-millisecond transactionTime');
          }
          return list;
        },
      });
      for (const entry of transactions) {
        if (entry.transactionTime < from) return entries;
        entries.push(entry);
      }
      if (transactions.length < HISTORY_PAGE) return entries;
    }
    // More history since the call than we read: what we did not read could hold the answer.
    throw new ProviderUnavailableError(`card history since ${since.toISOString()} is longer than ${HISTORY_PAGE * HISTORY_MAX_PAGES} entries`);
  }

  /**
   * One authenticated look-up of a card that cannot exist: a success (`cards: []`) proves Clutch answers
   * and accepts our credentials. Rejects with the typed failure otherwise (invalid request for wrong credentials).
   */
  async checkHealth(): Promise<void> {
    const body: SearchRequest = { filters: { cardNumber: HEALTH_PROBE_CARD_NUMBER }, returnFields: { balances: false } };
    await this.call({
      operation: 'checkHealth',
      method: 'search',
      kind: 'read',
      requestId: 'health-check',
      body,
      timeoutMs: this.options.healthTimeoutMs,
      retry: false,
      decode: () => undefined,
    });
  }

  private async redeemHold(operation: string, requestId: string, cardNumber: string, holdId: string, amount: Money): Promise<RedeemResult> {
    const body: UpdateBalanceRequest = {
      cardNumber,
      action: 'redeem',
      amount: toClutchAmount(amount),
      redeemFromHoldTransactionId: holdId,
      releaseHoldRemainder: true,
      returnBalances: true,
    };
    return this.call({
      operation,
      method: 'updateBalance',
      kind: 'mutating',
      requestId,
      cardNumber,
      body,
      decode: (answer) => {
        const response = answer as unknown as UpdateBalanceResponse;
        // No amount field: a redeem from a hold takes what was asked (we never ask for more than it holds).
        return { transactionId: transactionIdOf(response), redeemedAmount: amount };
      },
    });
  }

  private call<R>(call: Call<R>): Promise<R> {
    if (call.kind === 'read' && call.retry !== false) {
      return this.readRetry.execute(({ attempt }) => this.attempt(call, attempt + 1));
    }
    return this.attempt(call, 1);
  }

  /** One call through the breaker, logged. */
  private async attempt<R>(call: Call<R>, attempt: number): Promise<R> {
    const started = performance.now();
    let outcome: Exchange<R>;
    try {
      outcome = await this.breaker.execute(() => this.exchange(call));
    } catch (error) {
      const failure = asProviderFailure(error, call);
      this.log(call, attempt, started, failure);
      throw failure;
    }
    if ('refused' in outcome) {
      this.log(call, attempt, started, outcome.refused);
      throw outcome.refused;
    }
    this.log(call, attempt, started, undefined, outcome.requestRef);
    return outcome.value;
  }

  private async exchange<R>(call: Call<R>): Promise<Exchange<R>> {
    let answer;
    try {
      answer = await this.http.post(call.method, call.body, call.requestId, call.timeoutMs);
    } catch (error) {
      if (error instanceof ClutchNetworkFailure) throw failureFromNetworkError(error, call);
      throw error;
    }
    const failure = failureFromResponse(answer.status, answer.body, call, this.options.errorCodes);
    if (failure) {
      if (failure instanceof ProviderDeclinedError || failure instanceof ProviderInvalidRequestError) return { refused: failure };
      throw failure;
    }
    const body = answer.body as Record<string, unknown>;
    const requestRef = typeof body.requestRef === 'string' ? body.requestRef : undefined;
    try {
      return { value: call.decode(body), requestRef };
    } catch (error) {
      if (error instanceof ProviderDeclinedError) {
        error.details = { provider: 'clutch', operation: call.operation, providerMethod: call.method, httpStatus: answer.status, requestRef };
        return { refused: error };
      }
      throw unreadableResponse(call, error instanceof Error ? error.message : String(error), { httpStatus: answer.status, requestRef });
    }
  }

  private log(call: Call<unknown>, attempt: number, started: number, failure?: ProviderError, requestRef?: string): void {
    const entry: ProviderCallLogEntry = {
      msg: `clutch ${call.operation}`,
      provider: 'clutch',
      operation: call.operation,
      providerMethod: call.method,
      requestId: call.requestId,
      requestRef: requestRef ?? failure?.details?.requestRef,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      outcome: failure ? failure.kind : 'ok',
    };
    if (call.cardNumber !== undefined) entry.card = maskCardNumber(call.cardNumber);
    if (attempt > 1) entry.attempt = attempt;
    if (failure instanceof ProviderDeclinedError) entry.reason = failure.reason;
    if (failure && !(failure instanceof ProviderDeclinedError)) entry.detail = failure.message;
    if (failure?.details?.errorCode !== undefined) entry.errorCode = failure.details.errorCode;
    if (failure?.details?.unrecognised) {
      // An operator extends the table (CLUTCH_ERROR_CODES) from this line.
      entry.providerMessage = failure.providerMessage;
      this.logger.warn({ ...entry, msg: `clutch ${call.operation}: failure not in the error table` });
      return;
    }
    if (failure && failure.kind !== 'DECLINED') this.logger.warn(entry);
    else this.logger.debug(entry);
  }
}

function pinFields(pin: string | undefined): Pick<SearchRequest, 'forcePinValidation' | 'pin'> {
  return pin === undefined || pin === '' ? {} : { forcePinValidation: true, pin };
}

function transactionIdOf(response: { transactionId?: unknown }): string {
  if (typeof response.transactionId !== 'string' || response.transactionId === '') throw new TypeError('no transactionId');
  return response.transactionId;
}

/** A card is active once it was allocated or activated: Clutch then shows its activation date. */
function isActive(card: ClutchCard): boolean {
  return typeof card.activationDate === 'string' && card.activationDate !== '';
}

/** Whatever escaped the breaker, as a typed failure; the breaker's own refusal is "circuit open". */
function asProviderFailure(error: unknown, call: CallContext): ProviderError {
  if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
    const open = new ProviderUnavailableError('circuit open');
    open.details = { provider: 'clutch', operation: call.operation, providerMethod: call.method, circuitOpen: true };
    return open;
  }
  if (error instanceof ProviderError) return error;
  // A bug of ours (never a raw axios error: the transport wraps those). Keep the call's outcome honest.
  return unreadableResponse(call, error instanceof Error ? error.message : String(error));
}

/**
 * A hold or a plain redeem: the card (PIN checked when given), the amount, and, for a partial redeem only, what
 * the card has when short. A hold is always for exactly the amount (a caller's stale `allowPartial` is ignored).
 */
function chargeBody(action: 'hold' | 'redeem', input: HoldInput | RedeemInput): UpdateBalanceRequest {
  return {
    cardNumber: input.card.cardNumber,
    action,
    amount: toClutchAmount(input.amount),
    ...pinFields(input.card.pin),
    ...(action === 'redeem' && 'allowPartial' in input && input.allowPartial ? { redeemMaxOnOverdraw: true } : {}),
    returnBalances: true,
  };
}
