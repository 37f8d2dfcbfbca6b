import {
  ActivateInput,
  ActivateResult,
  AllocateInput,
  AllocatedCard,
  BalanceInput,
  BalanceResult,
  FindTransactionInput,
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
  ProviderTransaction,
  ProviderTransactionKind,
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
import {
  AllocateRequest,
  AllocateResponse,
  CardHistoryRequest,
  CardHistoryResponse,
  CardHistoryTransaction,
  ClutchErrorMessages,
  ClutchMethod,
  SearchRequest,
  SearchResponse,
  UpdateBalanceRequest,
  UpdateBalanceResponse,
  VoidRequest,
  VoidResponse,
} from '../protocol';
import { fromClutchNumber, historyCurrency, summariseBalances, toClutchAmount } from './clutch-amounts';
import { ClutchClientOptions, ResolvedClutchClientOptions, resolveClutchClientOptions } from './clutch-client-options';
import {
  CallContext,
  CallKind,
  failureFromNetworkError,
  failureFromResponse,
  unreadableResponse,
} from './clutch-failure-mapping';
import { ClutchHttp, ClutchNetworkFailure } from './clutch-http';

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

/**
 * The Clutch merchant API behind the `GiftCardProvider` interface. Mutating calls (updateBalance, allocate,
 * void) are sent once: a lost answer is `ProviderOutcomeUnknownError`, resolved later with
 * `findTransaction`. Reads (search, cardHistory) are retried with backoff. A consecutive-failure circuit
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

  async balance(input: BalanceInput): Promise<BalanceResult> {
    const body: SearchRequest = {
      filters: { cardNumber: input.card.cardNumber },
      returnFields: { balances: true, active: true },
      ...pinFields(input.card.pin),
    };
    return this.call({
      operation: 'balance',
      method: 'search',
      kind: 'read',
      requestId: input.requestId,
      cardNumber: input.card.cardNumber,
      body,
      decode: (answer) => {
        const card = (answer as unknown as SearchResponse).cards?.[0];
        if (!card) throw new ProviderDeclinedError('CARD_NOT_FOUND', ClutchErrorMessages.cardNotFound);
        const summary = summariseBalances(card.balances, input.currency);
        if ('decline' in summary) throw new ProviderDeclinedError(summary.decline);
        return { available: summary.available, held: summary.held, active: card.active !== false };
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
        const heldAmount = amountOr(response.amountHeld, input.amount);
        // A hold of nothing reserves nothing: the card had no funds (Clutch normally says so itself).
        if (heldAmount.minor === 0n) throw new ProviderDeclinedError('INSUFFICIENT_FUNDS');
        return { holdId: transactionIdOf(response), heldAmount };
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

  async redeem(input: RedeemInput): Promise<RedeemResult> {
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
        return { transactionId: transactionIdOf(response), redeemedAmount: amountOr(response.amountRedeemed, input.amount) };
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
      decode: (answer) => {
        const transactionId = (answer as unknown as AllocateResponse).transactionId;
        return typeof transactionId === 'string' && transactionId !== '' ? { transactionId } : {};
      },
    });
  }

  async void(input: VoidInput): Promise<VoidResult> {
    const body: VoidRequest = { transactionId: input.transactionId };
    return this.call({
      operation: 'void',
      method: 'void',
      kind: 'mutating',
      requestId: input.requestId,
      cardNumber: input.cardNumber,
      body,
      decode: (answer) => ({ transactionId: transactionIdOf(answer as unknown as VoidResponse) }),
    });
  }

  async findTransaction(input: FindTransactionInput): Promise<ProviderTransaction | null> {
    const body: CardHistoryRequest = { cardNumber: input.cardNumber };
    return this.call({
      operation: 'findTransaction',
      method: 'cardHistory',
      kind: 'read',
      requestId: input.requestId,
      cardNumber: input.cardNumber,
      body,
      decode: (answer) => {
        const transactions = (answer as unknown as CardHistoryResponse).transactions;
        if (!Array.isArray(transactions)) throw new TypeError('no transactions list');
        // Newest first: a reference used twice names its latest call.
        const match = transactions.find((t) => t.customRequestId === input.reference);
        return match ? toProviderTransaction(match, input.currency) : null;
      },
    });
  }

  /**
   * One authenticated look-up of a card that cannot exist: "not found" proves Clutch answers and accepts
   * our credentials. Rejects with the typed failure otherwise (invalid request for wrong credentials).
   */
  async checkHealth(): Promise<void> {
    const body: SearchRequest = { filters: { cardNumber: HEALTH_PROBE_CARD_NUMBER }, returnFields: { balances: false } };
    try {
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
    } catch (error) {
      if (error instanceof ProviderDeclinedError && error.reason === 'CARD_NOT_FOUND') return;
      throw error;
    }
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
        return { transactionId: transactionIdOf(response), redeemedAmount: amountOr(response.amountRedeemed, amount) };
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
    const failure = failureFromResponse(answer.status, answer.body, call);
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

/** The amount Clutch reports it moved, or what we asked for when it does not say. */
function amountOr(value: number | undefined, requested: Money): Money {
  return value === undefined || value === null ? requested : fromClutchNumber(value, requested.currency);
}

function toProviderTransaction(entry: CardHistoryTransaction, currency: string): ProviderTransaction {
  const amount = entry.amount ? fromClutchNumber(entry.amount.amount, historyCurrency(entry.amount, currency)) : zero(currency);
  const kind = transactionKind(entry, amount);
  const transaction: ProviderTransaction = { transactionId: entry.transactionId, kind, amount, voided: entry.voided === true };
  if (entry.relatedTransactionId) transaction.relatedTransactionId = entry.relatedTransactionId;
  return transaction;
}

function transactionKind(entry: CardHistoryTransaction, amount: Money): ProviderTransactionKind {
  switch (entry.action) {
    case 'hold':
      return 'HOLD';
    case 'redeem':
      return amount.minor === 0n && entry.relatedTransactionId ? 'RELEASE' : 'REDEEM';
    case 'issue':
      return 'ISSUE';
    case 'void':
      return 'VOID';
    case 'allocate':
      return 'ALLOCATE';
    case 'activate':
      return 'ACTIVATE';
    default:
      throw new TypeError(`unknown history action ${JSON.stringify(entry.action)}`);
  }
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

/** A hold or a plain redeem: the card (PIN checked when given), the amount, and what the card has when short. */
function chargeBody(action: 'hold' | 'redeem', input: HoldInput | RedeemInput): UpdateBalanceRequest {
  return {
    cardNumber: input.card.cardNumber,
    action,
    amount: toClutchAmount(input.amount),
    ...pinFields(input.card.pin),
    ...(input.allowPartial ? { redeemMaxOnOverdraw: true } : {}),
    returnBalances: true,
  };
}
