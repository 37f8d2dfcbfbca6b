import { GIFT_CARD_PROVIDER, GiftCardProvider, HoldResult, ProviderDeclinedError, ProviderError } from '@gcpa/gift-card-provider';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CardVault } from '../card-data/card-vault';
import { LeaseFence } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { FoundTransaction, ProviderCallsService } from '../provider-calls/provider-calls.service';
import { Authorization } from './authorization.entity';
import { AuthorizationsRepository } from './authorizations.repository';
import { formatAmount } from '@gcpa/money';
import { shortfallOf } from '../authorization-expiry/expiry-rules';
import { AuthorizationEvent, decisionFor, nextAuthorizationState } from './authorization-state';

export type HoldOutcome = 'APPROVED' | 'DECLINED' | 'NOT_PROCESSED' | 'UNKNOWN';

/**
 * Placing and releasing holds at the provider for one authorization, and recording each change.
 * No chain locking here: callers hold the lock when the chain already exists.
 */
@Injectable()
export class HoldsService {
  constructor(
    private readonly authorizations: AuthorizationsRepository,
    private readonly calls: ProviderCallsService,
    private readonly vault: CardVault,
    private readonly history: HistoryService,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    @Inject('HOLD_TTL_MS') private readonly holdTtlMs: number,
    private readonly fence: LeaseFence,
  ) {}

  /** Applies an event to an authorization and records it, in one transaction (the caller's, when given; fenced). */
  async transition(
    authorization: Authorization,
    event: AuthorizationEvent,
    changes: Partial<Authorization>,
    actor: string,
    extra: { providerCallId?: string; providerTransactionId?: string | null; providerMessage?: string | null; detail?: Record<string, unknown> } = {},
    manager?: EntityManager,
  ): Promise<void> {
    const from = authorization.state;
    const { state, closedReason } = nextAuthorizationState(from, event);
    // Only what this event changes is written: never a stale copy of other columns (such as ChainLock's lease).
    const columns: Partial<Authorization> = { ...changes, state, updatedAt: new Date(), ...(closedReason ? { closedReason } : {}) };
    Object.assign(authorization, columns);
    const work = async (m: EntityManager) => {
      await this.authorizations.update(m, authorization.id, columns);
      await this.history.append(m, {
        orderId: authorization.orderId,
        authorizationId: authorization.id,
        type: `AUTHORIZATION_${event}`,
        fromState: from,
        toState: closedReason ? `${state}/${closedReason}` : state,
        amountMinor: authorization.heldMinor,
        currency: authorization.currency,
        actor,
        providerCallId: extra.providerCallId ?? null,
        providerTransactionId: extra.providerTransactionId ?? null,
        providerMessage: extra.providerMessage ?? null,
        detail: extra.detail ?? null,
      });
    };
    await (manager ? work(manager) : this.fence.transaction(work));
  }

  /**
   * Holds `requestedMinor` for a PENDING authorization and records the answer. With partial approval the
   * card's available balance is read first and min(requested, available) is held: no provider's amount
   * field is trusted, and what is reported is exactly what is held. A hold refused for funds (another
   * channel spent the card meanwhile) is read and tried once more. A hold whose answer was lost is looked
   * up: if it exists it is kept when `adoptLostHold` (the caller is about to report it) and released
   * otherwise (nobody will ever be told about it). `onApproved` adds the caller's own writes to the commit that
   * records an answered approval (not to an adopted lost hold's).
   */
  async place(
    authorization: Authorization,
    pin: string | undefined,
    actor: string,
    adoptLostHold: boolean,
    onApproved?: (manager: EntityManager) => Promise<void>,
  ): Promise<HoldOutcome> {
    const cardNumber = this.vault.decrypt(authorization.cardEncrypted);
    const unplaced = { ...authorization };
    for (let attempt = 1; ; attempt++) {
      let asked = authorization.requestedMinor;
      if (authorization.allowPartial) {
        const read = await this.availableOn(authorization, cardNumber, pin);
        if ('error' in read) return this.notPlaced(authorization, read.error, actor);
        asked = read.available < asked ? read.available : asked;
        if (asked <= 0n) return this.notPlaced(authorization, new ProviderDeclinedError('INSUFFICIENT_FUNDS'), actor);
      }
      const result = await this.calls.run(
        { ...this.intentFor(authorization, 'HOLD'), amountMinor: asked },
        (requestId) =>
          this.provider.hold({ requestId, card: { cardNumber, pin }, amount: { minor: asked, currency: authorization.currency } }),
        (value: HoldResult) => ({ transactionId: value.holdId, resultMinor: value.heldAmount.minor }),
        // Approved in the commit that records the answer: a crash in between must not leave the hold unowned.
        async (manager, value, call) => {
          await this.approve(authorization, value.holdId, value.heldAmount.minor, actor, call.id, manager);
          if (onApproved) await onApproved(manager);
        },
      );
      if (result.ok) return 'APPROVED';
      // A success whose commit failed (handled as a lost answer below) changed nothing but this copy.
      Object.assign(authorization, unplaced);
      const { error, call } = result;
      const spentMeanwhile = error instanceof ProviderDeclinedError && error.reason === 'INSUFFICIENT_FUNDS';
      if (spentMeanwhile && authorization.allowPartial && attempt === 1) continue;
      if (error.kind === 'OUTCOME_UNKNOWN') {
        // A lost hold that is found is adopted in the commit that records the finding, or (when nobody is to be
        // told of it) recorded only with its release.
        const resolution = await this.calls.resolve(
          call,
          adoptLostHold
            ? { onApplied: (m, found) => this.approve(authorization, found.transactionId!, found.amount.minor, actor, call.id, m) }
            : { record: false },
        );
        if (resolution.applied === true) {
          if (adoptLostHold) return 'APPROVED';
          await this.releaseFound(authorization, call, resolution.transaction, actor);
        }
        if (resolution.applied === 'unknown' && adoptLostHold) return 'UNKNOWN';
      }
      return this.notPlaced(authorization, error, actor, call.id);
    }
  }

  /** The card's available balance, read (and its PIN checked) before a partial hold; or why it could not be read. */
  private async availableOn(authorization: Authorization, cardNumber: string, pin: string | undefined): Promise<{ available: bigint } | { error: ProviderError }> {
    try {
      const balance = await this.provider.balance({ requestId: randomUUID(), card: { cardNumber, pin }, currency: authorization.currency });
      if (!balance.active) return { error: new ProviderDeclinedError('CARD_INACTIVE') };
      return { available: balance.available.minor };
    } catch (error) {
      if (error instanceof ProviderError) return { error };
      throw error;
    }
  }

  /** Records a hold that was declined, or not placed (nothing applied, or an outcome still unknown). */
  private async notPlaced(authorization: Authorization, error: ProviderError, actor: string, providerCallId?: string): Promise<HoldOutcome> {
    if (error instanceof ProviderDeclinedError) {
      await this.authorizations.transaction(async (m) => {
        await this.transition(authorization, 'HOLD_DECLINED', { decision: 'DECLINED', declineReason: error.reason }, actor, {
          providerCallId,
          providerMessage: error.providerMessage ?? null,
        }, m);
        await this.completeReauthorization(authorization, actor, providerCallId, m);
      });
      return 'DECLINED';
    }
    await this.transition(authorization, 'HOLD_NOT_PROCESSED', {}, actor, {
      providerCallId,
      providerMessage: error.providerMessage ?? error.message,
      detail: { errorKind: error.kind },
    });
    return error.kind === 'OUTCOME_UNKNOWN' ? 'UNKNOWN' : 'NOT_PROCESSED';
  }

  /**
   * Records an approved hold. When the link re-authorizes an open one (the expiry job's new link), the old link
   * closes REAUTHORIZED in the same commit, and a short re-hold is told to the OMS (AUTHORIZATION_EXPIRING).
   */
  async approve(authorization: Authorization, holdId: string, heldMinor: bigint, actor: string, providerCallId: string, manager?: EntityManager): Promise<void> {
    const work = async (m: EntityManager) => {
      await this.transition(
        authorization,
        'HOLD_APPROVED',
        {
          providerHoldId: holdId,
          approvedMinor: heldMinor,
          heldMinor,
          decision: decisionFor(authorization.requestedMinor, heldMinor),
          expiresAt: new Date(Date.now() + this.holdTtlMs),
        },
        actor,
        { providerCallId, providerTransactionId: holdId },
        m,
      );
      await this.completeReauthorization(authorization, actor, providerCallId, m);
    };
    await (manager ? work(manager) : this.authorizations.transaction(work));
  }

  /**
   * The new link of a re-authorization was decided (approved, in part, or declined): an old link still OPEN is
   * closed REAUTHORIZED when the new one holds something (a declined re-hold leaves it to its expiry), and what the
   * new hold did not get is told to the OMS as AUTHORIZATION_EXPIRING with the shortfall. Nothing for any other
   * link (an advanced hold's previous link is SUPERSEDED before it is placed).
   */
  private async completeReauthorization(link: Authorization, actor: string, providerCallId: string | undefined, m: EntityManager): Promise<void> {
    if (!link.previousId) return;
    const previous = await this.authorizations.findByIdIn(m, link.previousId);
    if (!previous || (previous.state !== 'OPEN' && previous.closedReason !== 'REAUTHORIZED')) return;
    if (previous.state === 'OPEN' && link.state === 'OPEN') {
      await this.transition(previous, 'REAUTHORIZED', { heldMinor: 0n, nextId: link.id }, actor, { providerCallId, detail: { nextAuthorizationId: link.id } }, m);
    }
    const shortfall = shortfallOf(link.requestedMinor, link.heldMinor);
    if (shortfall === 0n) return;
    const amount = (minor: bigint) => formatAmount({ minor, currency: link.currency });
    await this.history.append(m, {
      orderId: link.orderId,
      authorizationId: link.id,
      type: 'AUTHORIZATION_EXPIRING',
      fromState: previous.state,
      toState: link.state,
      amountMinor: shortfall,
      currency: link.currency,
      actor,
      providerCallId: providerCallId ?? null,
      providerMessage: `the hold was placed again for ${amount(link.heldMinor)} of ${amount(link.requestedMinor)}: ${amount(shortfall)} is no longer held`,
      detail: {
        previousAuthorizationId: previous.id,
        requestedAmount: amount(link.requestedMinor),
        heldAmount: amount(link.heldMinor),
        shortfall: amount(shortfall),
        // Until then the old hold still covers it (a declined re-hold); after a short one it is released now.
        previousExpiresAt: previous.expiresAt,
      },
    });
  }

  /**
   * Releases a hold at the provider (the zero-amount redeem). True when nothing is held any more: released
   * now, or already gone. False when the provider could not be asked or the answer was lost. `onReleased`
   * records what the release means (a reversal's REVERSED) in the commit of its answer, or of its finding.
   */
  async release(
    authorization: Authorization,
    holdId: string,
    actor: string,
    onReleased?: (manager: EntityManager, releaseCallId: string) => Promise<void>,
  ): Promise<{ released: boolean; callId: string; unknown: boolean }> {
    const result = await this.calls.run(
      { ...this.intentFor(authorization, 'RELEASE_HOLD'), providerHoldId: holdId, amountMinor: 0n },
      (requestId) =>
        this.provider.releaseHold({
          requestId,
          cardNumber: this.vault.decrypt(authorization.cardEncrypted),
          holdId,
          currency: authorization.currency,
        }),
      (value) => ({ transactionId: value.transactionId }),
      onReleased && ((m, _value, call) => onReleased(m, call.id)),
    );
    const callId = result.call.id;
    if (result.ok) return { released: true, callId, unknown: false };
    if (result.error instanceof ProviderDeclinedError && result.error.reason === 'HOLD_NOT_AVAILABLE') {
      // Gone already (lapsed, or released by a lost call): the decline is recorded; what it means follows, and
      // repeats harmlessly (the same decline) if a crash comes in between.
      if (onReleased) await this.fence.transaction((m) => onReleased(m, callId));
      return { released: true, callId, unknown: false };
    }
    if (result.error.kind === 'OUTCOME_UNKNOWN') {
      const resolution = await this.calls.resolve(result.call, { onApplied: onReleased && ((m) => onReleased(m, callId)) });
      if (resolution.applied === true) return { released: true, callId, unknown: false };
      return { released: false, callId, unknown: resolution.applied === 'unknown' };
    }
    return { released: false, callId, unknown: false };
  }

  /**
   * Releases a found hold nobody was told about (a lost hold's look-up answered with `record: false`): the hold
   * call is recorded APPLIED in the commit of the release, so until the release is done the call stays in the
   * recovery sweep's queue. False when it is not released yet.
   */
  async releaseFound(authorization: Authorization, holdCall: ProviderCall, found: FoundTransaction, actor: string): Promise<boolean> {
    const { released } = await this.release(authorization, found.transactionId!, actor, (m) => this.calls.recordApplied(m, holdCall, found));
    return released;
  }

  intentFor(authorization: Authorization, operation: 'HOLD' | 'RELEASE_HOLD' | 'REDEEM_FROM_HOLD') {
    return {
      operation,
      orderId: authorization.orderId,
      authorizationId: authorization.id,
      cardHash: authorization.cardHash,
      cardEncrypted: authorization.cardEncrypted,
      currency: authorization.currency,
      amountMinor: authorization.requestedMinor,
    };
  }
}
