import { GIFT_CARD_PROVIDER, GiftCardProvider, maskSensitiveText, ProviderDeclinedError, ProviderError } from '@gcpa/gift-card-provider';
import { parseAmount } from '@gcpa/money';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CardVault, ProtectedCard } from '../card-data/card-vault';
import { LeaseFence } from '../common/lease-fence';
import { RowLease } from '../common/row-lease';
import { businessRule, DomainError, notFound, providerFailure, providerUnavailable, validationFailed } from '../common/domain-errors';
import { HistoryService } from '../history/history.service';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { differences, FulfillmentStep, LineRequest, nextStep } from './fulfillment-steps';
import { FulfillmentChanges, FulfillmentsRepository } from './fulfillments.repository';
import { FulfillmentKind, GiftCardFulfillment } from './gift-card-fulfillment.entity';

export const FULFILLMENT_CARD_SET_ID = 'FULFILLMENT_CARD_SET_ID';

export interface FulfillmentRequest {
  orderId: string;
  lineId: string;
  kind: FulfillmentKind;
  cardSetId?: string;
  cardNumber?: string;
  pin?: string;
  amount: string;
  currency: string;
  /** Set by a refund to a new card (never by the fulfillment API): the card's value is issued as return-related. */
  returnRelated?: boolean;
}

/** Secrets shown once: in the first answer that shows the completed card (never replayed, the PIN then erased). */
export interface Revealed {
  cardNumber?: string;
  pin?: string;
}

export interface FulfillmentResult {
  fulfillment: GiftCardFulfillment;
  revealed: Revealed;
}

type StepEvent = 'ALLOCATED' | 'ACTIVATED' | 'ISSUED';

/** The columns a line's request sets: what a first request stores, and what a corrected retry of a declined one replaces. */
function requestedColumns(line: LineRequest, card: ProtectedCard | null) {
  return {
    kind: line.kind,
    cardSetId: line.cardSetId,
    cardHash: card?.hash ?? null,
    cardEncrypted: card?.encrypted ?? null,
    cardLast4: card?.last4 ?? null,
    currency: line.currency,
    amountMinor: line.amountMinor,
  };
}

/**
 * Rule 6: a gift card order line becomes a live card with value through a resumable sequence of provider
 * calls (electronic: allocate, activate, issue; physical: activate, issue). Each call is recorded as an
 * intent before it is made (provider_call), and each step that succeeded on the fulfillment row in the commit
 * that records its answer; a retry, a replay, a restart or the recovery sweep continues after the last step
 * that succeeded.
 * One fulfillment per (orderId, lineId): a card is never allocated twice for a line, value never issued twice.
 */
@Injectable()
export class FulfillmentsService {
  constructor(
    private readonly fulfillments: FulfillmentsRepository,
    private readonly vault: CardVault,
    private readonly calls: ProviderCallsService,
    private readonly history: HistoryService,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    @Inject(FULFILLMENT_CARD_SET_ID) private readonly defaultCardSetId: string,
    private readonly lease: RowLease,
    private readonly fence: LeaseFence,
  ) {}

  /**
   * Creates the line's fulfillment, or continues the existing one. The same line asked again (another
   * Idempotency-Key) with the same request continues it, or returns it when it is complete; with a
   * different request it is a 409, except for a FAILED fulfillment that never reached the provider, which
   * starts over with the new request (e.g. a corrected card number).
   */
  async fulfill(request: FulfillmentRequest, actor: string, idempotencyKey?: string): Promise<FulfillmentResult> {
    checkShape(request);
    const amount = parseAmount(request.amount, request.currency);
    const card = request.kind === 'PHYSICAL' ? this.vault.protect(request.cardNumber!) : null;
    const line: LineRequest = {
      kind: request.kind,
      cardSetId: request.kind === 'ELECTRONIC' ? (request.cardSetId ?? this.defaultCardSetId) : null,
      cardHash: card?.hash ?? null,
      currency: amount.currency,
      amountMinor: amount.minor,
      returnRelated: request.returnRelated ?? false,
    };
    const { id } = await this.findOrCreate(request, line, card, actor, idempotencyKey);

    return this.withLease(id, async () => {
      const fulfillment = await this.get(id);
      const differing = differences(fulfillment, line);
      const reachedProvider = fulfillment.allocatedAt !== null || fulfillment.activatedAt !== null;
      // A refund's card is never taken over by a fulfillment request, nor the other way round.
      if (differing.length > 0 && (differing.includes('returnRelated') || !(fulfillment.status === 'FAILED' && !reachedProvider))) {
        throw new DomainError(
          HttpStatus.CONFLICT,
          'FULFILLMENT_CONFLICT',
          `Order ${fulfillment.orderId} line ${fulfillment.lineId} is already fulfilled by another request (${differing.join(', ')} differ)`,
          { fulfillmentId: fulfillment.id, differingFields: differing },
        );
      }
      if (fulfillment.status === 'FAILED') await this.restart(fulfillment, line, card, actor);
      if (fulfillment.status !== 'COMPLETED') await this.advance(fulfillment, request.pin, actor);
      return { fulfillment, revealed: await this.revealOnce(fulfillment) };
    });
  }

  /**
   * For a recovery sweep: continues an unfinished fulfillment (no PIN check: the PIN is not stored). Nothing is
   * revealed: the card's number and PIN wait, encrypted, for the next request for the line (the OMS's retry).
   */
  async resume(id: string, actor: string): Promise<GiftCardFulfillment> {
    return this.withLease(id, async () => {
      const fulfillment = await this.get(id);
      if (fulfillment.status === 'PENDING') await this.advance(fulfillment, undefined, actor);
      return fulfillment;
    });
  }

  /** Unfinished fulfillments nobody has touched for `idleMs`: what a recovery sweep should resume. */
  unfinished(idleMs: number, limit = 100): Promise<string[]> {
    return this.fulfillments.unfinished(idleMs, limit);
  }

  async get(id: string): Promise<GiftCardFulfillment> {
    const fulfillment = await this.fulfillments.findById(id);
    if (!fulfillment) throw notFound('gift card fulfillment', id);
    return fulfillment;
  }

  private async findOrCreate(
    request: FulfillmentRequest,
    line: LineRequest,
    card: ProtectedCard | null,
    actor: string,
    idempotencyKey?: string,
  ): Promise<GiftCardFulfillment> {
    return this.fulfillments.transaction(async (manager) => {
      const now = new Date();
      const id = randomUUID();
      await this.fulfillments.insertIfAbsent(manager, {
        id,
        orderId: request.orderId,
        lineId: request.lineId,
        idempotencyKey: idempotencyKey ?? null,
        ...requestedColumns(line, card),
        returnRelated: line.returnRelated ?? false,
        status: 'PENDING',
        createdAt: now,
        updatedAt: now,
      });
      // The unique (order_id, line_id) decides between concurrent first requests for one line.
      const fulfillment = await this.fulfillments.findByLineOrFail(manager, request.orderId, request.lineId);
      if (fulfillment.id === id) await this.append(manager, fulfillment, 'CREATED', null, actor, { detail: { kind: line.kind, cardSetId: line.cardSetId } });
      return fulfillment;
    });
  }

  /** A FAILED fulfillment asked again: a decline applied nothing, so it continues from the step that failed. */
  private async restart(fulfillment: GiftCardFulfillment, line: LineRequest, card: ProtectedCard | null, actor: string): Promise<void> {
    const changes: FulfillmentChanges = { status: 'PENDING', failureReason: null, failureMessage: null };
    if (differences(fulfillment, line).length > 0) {
      // Nothing reached the provider: take the corrected request.
      Object.assign(changes, requestedColumns(line, card));
    }
    await this.update(fulfillment, changes, 'RETRIED', actor, { detail: { previousFailure: fulfillment.failureReason } });
  }

  private async advance(fulfillment: GiftCardFulfillment, pin: string | undefined, actor: string): Promise<void> {
    for (let step = nextStep(fulfillment); step; step = nextStep(fulfillment)) {
      if (step === 'ALLOCATE') await this.allocate(fulfillment, actor);
      else if (step === 'ACTIVATE') await this.activate(fulfillment, pin, actor);
      else await this.issue(fulfillment, actor);
    }
  }

  /**
   * The full number and PIN of a completed electronic card, for the one answer that shows them: marked
   * shown and the PIN erased in one statement, so concurrent requests never both get them. Empty after.
   */
  private async revealOnce(fulfillment: GiftCardFulfillment): Promise<Revealed> {
    if (fulfillment.kind !== 'ELECTRONIC' || fulfillment.status !== 'COMPLETED' || fulfillment.revealedAt !== null) return {};
    const shown = await this.fulfillments.markRevealed(fulfillment.id);
    fulfillment.revealedAt = new Date();
    fulfillment.pinEncrypted = null;
    if (!shown) return {};
    const revealed: Revealed = { cardNumber: this.vault.decrypt(fulfillment.cardEncrypted!) };
    if (shown.pinEncrypted) revealed.pin = this.vault.decrypt(shown.pinEncrypted);
    return revealed;
  }

  /**
   * Takes a card from the card set. Nothing suggests the provider answers a repeated allocation with the
   * same card, and nothing names the card a lost allocation took; but no value is ever put on a card before
   * its allocation was answered, so a lost one is recorded as lost (an empty card nobody knows) and the
   * next attempt allocates again. A line still gets one card with value.
   */
  private async allocate(fulfillment: GiftCardFulfillment, actor: string): Promise<void> {
    const unallocated = { ...fulfillment };
    const result = await this.calls.run(
      { operation: 'ALLOCATE', orderId: fulfillment.orderId, fulfillmentId: fulfillment.id },
      (requestId) => this.provider.allocate({ requestId, cardSetId: fulfillment.cardSetId! }),
      () => ({}),
      // The card (and its PIN, encrypted until shown) is kept in the commit of the answer: a crash must not lose it.
      async (m, value, call) => {
        await this.settleRepeatedCalls(m, fulfillment.id, 'ALLOCATE', actor);
        const card = this.vault.protect(value.cardNumber);
        await this.update(
          fulfillment,
          {
            cardHash: card.hash,
            cardEncrypted: card.encrypted,
            cardLast4: card.last4,
            pinEncrypted: value.pin ? this.vault.encrypt(value.pin) : null,
            allocatedAt: new Date(),
            allocateReference: null,
          },
          'ALLOCATED',
          actor,
          { providerCallId: call.id },
          m,
        );
      },
    );
    if (!result.ok) {
      Object.assign(fulfillment, unallocated);
      throw await this.stepFailed(fulfillment, 'ALLOCATE', result.error, result.call.id, actor);
    }
  }

  /**
   * Activation is made again after an unknown or failed attempt: the sandbox answers a repeat with success
   * ([unknown] at Clutch, listed in the README), and a repeat moves no value.
   */
  private async activate(fulfillment: GiftCardFulfillment, pin: string | undefined, actor: string): Promise<void> {
    const cardNumber = this.vault.decrypt(fulfillment.cardEncrypted!);
    if (fulfillment.kind === 'PHYSICAL') await this.checkShippedCard(fulfillment, cardNumber, pin, actor);
    const result = await this.calls.run(
      { ...this.intentFor(fulfillment, 'ACTIVATE'), amountMinor: undefined },
      (requestId) => this.provider.activate({ requestId, cardNumber }),
      () => ({}),
      async (m, _value, call) => {
        await this.settleRepeatedCalls(m, fulfillment.id, 'ACTIVATE', actor);
        // Clutch's activation answer names no transaction.
        await this.update(fulfillment, { activatedAt: new Date(), activateReference: null }, 'ACTIVATED', actor, { providerCallId: call.id, providerTransactionId: null }, m);
      },
    );
    if (!result.ok) {
      fulfillment.activatedAt = null;
      throw await this.stepFailed(fulfillment, 'ACTIVATE', result.error, result.call.id, actor);
    }
  }

  /**
   * The shipped card must exist in the fulfillment's currency, and match its PIN when one was given: checked
   * with a balance read before activating, so a mistyped card fails before anything changes at the provider.
   */
  private async checkShippedCard(fulfillment: GiftCardFulfillment, cardNumber: string, pin: string | undefined, actor: string): Promise<void> {
    try {
      await this.provider.balance({ requestId: randomUUID(), card: { cardNumber, pin }, currency: fulfillment.currency });
    } catch (thrown) {
      const error = thrown instanceof ProviderError ? thrown : null;
      if (!error) throw thrown;
      throw await this.stepFailed(fulfillment, 'ACTIVATE', error, null, actor);
    }
  }

  /** Issues the value once: an earlier issue whose answer was lost is looked up at the provider first. */
  private async issue(fulfillment: GiftCardFulfillment, actor: string): Promise<void> {
    const earlier = await this.fulfillments.issueCallsOf(fulfillment.id);
    for (const call of earlier) {
      let applied = call.outcome === 'SUCCEEDED' || call.outcome === 'APPLIED';
      if (call.outcome === 'PENDING' || call.outcome === 'UNKNOWN') {
        const resolution = await this.calls.resolve(call, { onApplied: (m, found) => this.issued(fulfillment, call.id, found.transactionId, actor, m) });
        if (resolution.applied === 'unknown') {
          throw providerUnavailable('An earlier issue of this fulfillment is still being confirmed with the provider; retry later with the same Idempotency-Key', 'UNKNOWN');
        }
        if (resolution.applied) return;
      }
      if (applied) {
        await this.issued(fulfillment, call.id, call.providerTransactionId, actor);
        return;
      }
    }
    const cardNumber = this.vault.decrypt(fulfillment.cardEncrypted!);
    const result = await this.calls.run(
      this.intentFor(fulfillment, 'ISSUE'),
      (requestId) =>
        this.provider.issue({ requestId, cardNumber, amount: { minor: fulfillment.amountMinor, currency: fulfillment.currency }, returnRelated: fulfillment.returnRelated }),
      (value) => ({ transactionId: value.transactionId, resultMinor: fulfillment.amountMinor }),
      (m, value, call) => this.issued(fulfillment, call.id, value.transactionId, actor, m),
    );
    if (result.ok) return;
    Object.assign(fulfillment, { issuedAt: null, issueReference: null, status: 'PENDING' });
    if (result.error.kind === 'OUTCOME_UNKNOWN') {
      // Looked up at once: a lost answer whose issue the card's history already shows completes the line now.
      const resolution = await this.calls.resolve(result.call, {
        onApplied: (m, found) => this.issued(fulfillment, result.call.id, found.transactionId, actor, m),
      });
      if (resolution.applied === true) return;
    }
    throw await this.stepFailed(fulfillment, 'ISSUE', result.error, result.call.id, actor);
  }

  private issued(fulfillment: GiftCardFulfillment, callId: string, transactionId: string | null, actor: string, manager?: EntityManager): Promise<void> {
    return this.update(
      fulfillment,
      { issuedAt: new Date(), issueReference: transactionId, status: 'COMPLETED' },
      'ISSUED',
      actor,
      { providerCallId: callId, providerTransactionId: transactionId },
      manager,
    );
  }

  /**
   * What the client is told when a step's provider call failed. A decline applied nothing and will not
   * change by itself: the fulfillment is FAILED (422). Anything else leaves it PENDING, to be continued.
   */
  private async stepFailed(
    fulfillment: GiftCardFulfillment,
    step: FulfillmentStep,
    error: ProviderError,
    providerCallId: string | null,
    actor: string,
  ): Promise<DomainError> {
    const providerMessage = error.providerMessage ? maskSensitiveText(error.providerMessage) : undefined;
    if (error instanceof ProviderDeclinedError) {
      await this.update(fulfillment, { status: 'FAILED', failureReason: error.reason, failureMessage: providerMessage ?? null }, 'FAILED', actor, {
        providerCallId: providerCallId ?? undefined,
        providerMessage: providerMessage ?? null,
        detail: { step, reason: error.reason },
      });
      return businessRule('FULFILLMENT_DECLINED', `The provider declined the ${step.toLowerCase()} step: ${error.reason}`, {
        fulfillmentId: fulfillment.id,
        step,
        reason: error.reason,
        ...(providerMessage ? { providerMessage } : {}),
      });
    }
    if (error.kind === 'UNAVAILABLE') {
      return providerUnavailable(`The ${step.toLowerCase()} step could not be run now; retry with the same Idempotency-Key`, 'NOT_APPLIED', providerMessage);
    }
    if (error.kind === 'OUTCOME_UNKNOWN') {
      return providerUnavailable(
        `The provider's answer to the ${step.toLowerCase()} step was lost; a retry with the same Idempotency-Key learns its outcome first`,
        'UNKNOWN',
        providerMessage,
      );
    }
    return providerFailure(`The provider refused the ${step.toLowerCase()} step`, providerMessage);
  }

  /**
   * Earlier unanswered attempts of a step that has now succeeded need no look-up: a repeated activation is the
   * same activation (APPLIED); a lost allocation took a card nobody knows, with nothing on it (NOT_APPLIED for
   * this line, noted as a lost card). Marked so that no sweep chases them; one the sweep had given up on (the
   * OMS was told `transaction.unknown`) is announced resolved in the same commit, as every resolution is.
   */
  private async settleRepeatedCalls(m: EntityManager, fulfillmentId: string, operation: 'ALLOCATE' | 'ACTIVATE', actor: string): Promise<void> {
    const [outcome, note] =
      operation === 'ACTIVATE'
        ? (['APPLIED', 'settled by a later repeat of the activation'] as const)
        : (['NOT_APPLIED', 'lost allocation: an empty card nobody knows may exist at the provider'] as const);
    const settled = await this.fulfillments.settleUnansweredCalls(m, fulfillmentId, operation, outcome, note);
    for (const row of settled.filter((r) => r.givenUp)) {
      const call = await this.fulfillments.providerCallOrFail(m, row.id);
      await this.calls.announceResolved(m, call, row.was, outcome, null, null, note, actor);
    }
  }

  private intentFor(fulfillment: GiftCardFulfillment, operation: 'ACTIVATE' | 'ISSUE') {
    return {
      operation,
      orderId: fulfillment.orderId,
      fulfillmentId: fulfillment.id,
      cardHash: fulfillment.cardHash!,
      cardEncrypted: fulfillment.cardEncrypted!,
      currency: fulfillment.currency,
      amountMinor: fulfillment.amountMinor,
    };
  }

  /**
   * Applies changes to the fulfillment and records the event, in one transaction: the caller's when given, else
   * its own, fenced by the fulfillment's lease (never the lease columns).
   */
  private async update(
    fulfillment: GiftCardFulfillment,
    changes: FulfillmentChanges,
    event: StepEvent | 'FAILED' | 'RETRIED',
    actor: string,
    extra: { providerCallId?: string; providerTransactionId?: string | null; providerMessage?: string | null; detail?: Record<string, unknown> } = {},
    manager?: EntityManager,
  ): Promise<void> {
    const from = fulfillment.status;
    Object.assign(fulfillment, changes, { updatedAt: new Date() });
    const work = async (m: EntityManager) => {
      await this.fulfillments.update(m, fulfillment.id, { ...changes, updatedAt: fulfillment.updatedAt });
      await this.append(m, fulfillment, event, from, actor, extra);
    };
    await (manager ? work(manager) : this.fence.transaction(work));
  }

  private append(
    manager: EntityManager,
    fulfillment: GiftCardFulfillment,
    event: string,
    from: string | null,
    actor: string,
    extra: { providerCallId?: string; providerTransactionId?: string | null; providerMessage?: string | null; detail?: Record<string, unknown> } = {},
  ): Promise<void> {
    return this.history.append(manager, {
      orderId: fulfillment.orderId,
      fulfillmentId: fulfillment.id,
      type: `FULFILLMENT_${event}`,
      fromState: from,
      toState: fulfillment.status,
      amountMinor: fulfillment.amountMinor,
      currency: fulfillment.currency,
      actor,
      providerCallId: extra.providerCallId ?? null,
      providerTransactionId: extra.providerTransactionId ?? null,
      providerMessage: extra.providerMessage ?? null,
      detail: extra.detail ?? null,
    });
  }

  /** One process at a time runs a fulfillment's steps, so each step's intent commits before its call. */
  private withLease<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.lease.run('gift_card_fulfillment', id, 'FULFILLMENT_BUSY', work);
  }
}

/** Which fields each kind needs and refuses; every problem named (rule 7). */
function checkShape(request: FulfillmentRequest): void {
  const fields: Array<{ field: string; problems: string[] }> = [];
  if (request.kind === 'PHYSICAL') {
    if (request.cardNumber === undefined) fields.push({ field: 'cardNumber', problems: ['cardNumber is required for a PHYSICAL card (the shipped card)'] });
    if (request.cardSetId !== undefined) fields.push({ field: 'cardSetId', problems: ['cardSetId is only for ELECTRONIC cards'] });
  } else {
    if (request.cardNumber !== undefined) fields.push({ field: 'cardNumber', problems: ['cardNumber is only for PHYSICAL cards: an ELECTRONIC card is allocated'] });
    if (request.pin !== undefined) fields.push({ field: 'pin', problems: ['pin is only for PHYSICAL cards: an ELECTRONIC card gets its PIN from the provider'] });
  }
  if (fields.length > 0) throw validationFailed(fields);
}
