import { isUniqueViolation } from '@gcpa/database';
import { GIFT_CARD_PROVIDER, GiftCardProvider, ProviderDeclinedError, RedeemResult } from '@gcpa/gift-card-provider';
import { formatAmount, Money, parseAmount } from '@gcpa/money';
import { Inject, Injectable } from '@nestjs/common';
import { businessRule, notFound, providerFailure, providerUnavailable, validationFailed } from '../common/domain-errors';
import { CardVault } from '../card-data/card-vault';
import { LeaseFence } from '../common/lease-fence';
import { HistoryService } from '../history/history.service';
import { ProviderCallsService } from '../provider-calls/provider-calls.service';
import { Authorization } from '../authorizations/authorization.entity';
import { ChainLock } from '../authorizations/chain-lock';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { HoldsService } from '../authorizations/holds.service';
import { invoiceAlreadySettled, sameInvoice } from './invoice-once';
import { SettlementRecorder } from './settlement-recorder';
import { Settlement } from './settlement.entity';
import { SettlementsRepository } from './settlements.repository';
import { newSettlement } from './new-settlement';

export interface SettleRequest {
  authorizationId: string;
  amount: string;
  invoiceId: string;
  final: boolean;
  mode: 'sync' | 'batch';
}

/** What processing one settlement came to; the batch job schedules retries from it. */
export type ProcessOutcome =
  | { kind: 'SETTLED' | 'FAILED'; settlement: Settlement }
  | { kind: 'RETRY'; settlement: Settlement; unknown: boolean; message: string };

/**
 * Rule 2 and 3: redeem from the open hold of a chain, release the rest, and hold the unshipped remainder
 * again (the advanced hold). Everything on one chain runs under its ChainLock, one at a time, after the
 * chain's repair (ChainRepair) has finished what a lost answer or a crash left on it.
 */
@Injectable()
export class SettlementsService {
  constructor(
    private readonly settlements: SettlementsRepository,
    private readonly lock: ChainLock,
    private readonly holds: HoldsService,
    private readonly calls: ProviderCallsService,
    private readonly vault: CardVault,
    private readonly history: HistoryService,
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    private readonly fence: LeaseFence,
    private readonly repair: ChainRepair,
    private readonly recorder: SettlementRecorder,
  ) {}

  async create(request: SettleRequest, actor: string, idempotencyKey?: string): Promise<Settlement> {
    const named = await this.settlements.authorization(request.authorizationId);
    if (!named) throw notFound('authorization', request.authorizationId);
    let amount: Money;
    try {
      amount = parseAmount(request.amount, named.currency);
    } catch (error) {
      throw validationFailed([{ field: 'amount', problems: [`amount ${(error as Error).message}`] }]);
    }
    if (amount.minor <= 0n) throw validationFailed([{ field: 'amount', problems: ['amount must be greater than zero'] }]);

    if (idempotencyKey) {
      const existing = await this.settlements.byIdempotencyKey(idempotencyKey);
      if (existing) return existing;
    }
    // An invoice settles once per chain, whatever key the OMS sends it under (checked again by a unique index).
    const byInvoice = () => this.settlements.byInvoice(named.rootId, request.invoiceId);
    const answerFor = (earlier: Settlement) => {
      if (sameInvoice(earlier, amount.minor) === 'CONFLICT') throw invoiceAlreadySettled(earlier);
      return earlier;
    };
    const earlier = await byInvoice();
    if (earlier) return answerFor(earlier);
    const open = await this.openLink(named.rootId);
    if (!open) throw businessRule('AUTHORIZATION_CLOSED', `Authorization ${named.id} has no open hold left to settle from`);
    if (amount.minor > open.heldMinor) {
      throw businessRule('AMOUNT_EXCEEDS_HELD', `Amount ${request.amount} exceeds the held amount`, {
        heldAmount: formatAmount({ minor: open.heldMinor, currency: open.currency }),
      });
    }
    const settlement = newSettlement(named, {
      invoiceId: request.invoiceId,
      amountMinor: amount.minor,
      final: request.final,
      mode: request.mode,
      idempotencyKey,
    });
    try {
      await this.settlements.transaction(async (m) => {
        await this.settlements.insert(m, settlement);
        await this.history.append(m, {
          orderId: settlement.orderId,
          authorizationId: named.id,
          settlementId: settlement.id,
          type: 'SETTLEMENT_REQUESTED',
          toState: 'OPEN',
          amountMinor: amount.minor,
          currency: settlement.currency,
          actor,
          detail: { invoiceId: request.invoiceId, final: request.final, mode: request.mode },
        });
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A request racing this one stored the invoice (or this key) first: answer with its settlement.
      const winner = await byInvoice();
      if (winner) return answerFor(winner);
      const sameKey = idempotencyKey ? await this.settlements.byIdempotencyKey(idempotencyKey) : null;
      if (sameKey) return sameKey;
      throw error;
    }
    return settlement;
  }

  /** Settles one settlement now. Sync requests and the batch job both come here. */
  async process(settlementId: string, actor: string): Promise<ProcessOutcome> {
    const first = await this.settlements.settlement(settlementId);
    if (!first) throw notFound('settlement', settlementId);
    return this.lock.run(first.rootAuthorizationId, async () => {
      const resolved = await this.repair.resolveChain(first.rootAuthorizationId, actor);
      const settlement = (await this.settlements.settlement(settlementId))!;
      if (settlement.status === 'SETTLED' || settlement.status === 'FAILED') return { kind: settlement.status, settlement };
      if (!resolved) return { kind: 'RETRY', settlement, unknown: true, message: 'An earlier provider call on this authorization is still unresolved' };

      let link = await this.openLink(settlement.rootAuthorizationId);
      if (!link && (await this.repair.placeUnplacedAdvancedHold(settlement.rootAuthorizationId, actor)) === 'RETRY') {
        return { kind: 'RETRY', settlement, unknown: false, message: 'The advanced hold for this settlement could not be placed yet' };
      }
      link ??= await this.openLink(settlement.rootAuthorizationId);
      if (!link) return this.fail(settlement, 'AUTHORIZATION_CLOSED', actor);
      if (settlement.amountMinor > link.heldMinor) return this.fail(settlement, 'AMOUNT_EXCEEDS_HELD', actor);

      // CLAIMED commits before the redeem's intent (the recovery sweep finishes a sync settlement left PROCESSING
      // without a call). The redeem is recorded in the commit of its answer (or of its finding); the advanced hold
      // is placed after. The chain's lock is released in the request's last commit: the redeem's answer when no
      // advanced hold follows, else the advanced hold's approval.
      await this.move(settlement, 'CLAIMED', { servedAuthorizationId: link.id, attempts: settlement.attempts + 1 }, actor);
      const claimed = { link: { ...link }, settlement: { ...settlement } };
      let advanced: Authorization | null = null;
      const result = await this.calls.run(
        { ...this.holds.intentFor(link, 'REDEEM_FROM_HOLD'), settlementId: settlement.id, amountMinor: settlement.amountMinor, providerHoldId: link.providerHoldId ?? undefined },
        (requestId) =>
          this.provider.redeemFromHold({
            requestId,
            cardNumber: this.vault.decrypt(link.cardEncrypted),
            holdId: link.providerHoldId!,
            amount: { minor: settlement.amountMinor, currency: settlement.currency },
          }),
        (value: RedeemResult) => ({ transactionId: value.transactionId, resultMinor: value.redeemedAmount.minor }),
        async (m, value, call) => {
          advanced = await this.recorder.recordRedeem(m, settlement, link, value.redeemedAmount.minor, actor, call);
          if (!advanced) await this.fence.releaseWith(m);
        },
      );
      if (result.ok) {
        await this.recorder.placeAdvancedHold(advanced, actor, true);
        return { kind: 'SETTLED', settlement };
      }
      // A success whose commit failed (handled as a lost answer below) changed nothing but these copies.
      Object.assign(link, claimed.link);
      Object.assign(settlement, claimed.settlement);
      const { error, call } = result;
      if (error instanceof ProviderDeclinedError) {
        if (error.reason === 'HOLD_NOT_AVAILABLE') {
          await this.holds.transition(link, 'EXPIRED', { heldMinor: 0n }, actor, { providerCallId: call.id, providerMessage: error.providerMessage });
        }
        return this.fail(settlement, error.reason, actor, call.id);
      }
      if (error.kind === 'OUTCOME_UNKNOWN') {
        const resolution = await this.calls.resolve(call, {
          onApplied: async (m, found) => {
            advanced = await this.recorder.recordRedeem(m, settlement, link, found.amount.minor, actor, call);
          },
        });
        if (resolution.applied === true) {
          await this.recorder.placeAdvancedHold(advanced, actor);
          return { kind: 'SETTLED', settlement };
        }
        if (resolution.applied === 'unknown') {
          return { kind: 'RETRY', settlement, unknown: true, message: 'The provider did not answer; the redeem is being confirmed' };
        }
      }
      if (error.kind === 'INVALID_REQUEST' || error.kind === 'UNSUPPORTED') return this.fail(settlement, 'PROVIDER_REJECTED', actor, call.id);
      await this.move(settlement, 'RETRY_LATER', {}, actor, { providerCallId: call.id, providerMessage: error.providerMessage ?? error.message });
      return { kind: 'RETRY', settlement, unknown: false, message: error.providerMessage ?? error.message };
    });
  }

  /** Turns a process outcome into the sync answer: the settlement, or the contract's error. */
  async settleNow(settlement: Settlement, actor: string): Promise<Settlement> {
    const outcome = await this.process(settlement.id, actor);
    if (outcome.kind === 'RETRY') {
      throw providerUnavailable(`Settlement ${settlement.id} was not processed: ${outcome.message}`, outcome.unknown ? 'UNKNOWN' : 'NOT_APPLIED');
    }
    if (outcome.kind === 'FAILED') {
      const reason = outcome.settlement.failureReason ?? 'FAILED';
      if (reason === 'PROVIDER_REJECTED') throw providerFailure('The provider rejected the redeem');
      throw businessRule(reason, `Settlement ${settlement.id} failed: ${reason}`, { settlementId: settlement.id });
    }
    return outcome.settlement;
  }

  async openLink(rootId: string): Promise<Authorization | null> {
    return this.settlements.openLinkOf(rootId);
  }

  /** Open batch settlements of a chain that can no longer be served (rule 7: the order was cancelled). */
  async failOpen(rootId: string, reason: string, actor: string): Promise<void> {
    const open = await this.settlements.openOf(rootId);
    for (const settlement of open) await this.fail(settlement, reason, actor);
  }

  private async fail(settlement: Settlement, reason: string, actor: string, providerCallId?: string): Promise<ProcessOutcome> {
    await this.move(settlement, 'FAILED', { failureReason: reason }, actor, { providerCallId });
    return { kind: 'FAILED', settlement };
  }

  /** A settlement's transition (the batch job's, too), as the recorder writes it. */
  move(...transition: Parameters<SettlementRecorder['move']>): Promise<void> {
    return this.recorder.move(...transition);
  }
}
