import { Money, parseAmount } from '@gcpa/money';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LeaseFence } from '../common/lease-fence';
import { businessRule, notFound, providerUnavailable, validationFailed } from '../common/domain-errors';
import { CardVault } from '../card-data/card-vault';
import { ChainRepair } from '../chain-repair/chain-repair.service';
import { PinLockoutService, PinVerdict } from '../security/pin-lockout.service';
import { Settlement } from '../settlements/settlement.entity';
import { SettlementsService } from '../settlements/settlements.service';
import { Authorization } from './authorization.entity';
import { AuthorizationsRepository } from './authorizations.repository';
import { ChainLock } from './chain-lock';
import { HoldOutcome, HoldsService } from './holds.service';
import { newAuthorization } from './new-authorization';

export interface AuthorizeRequest {
  orderId: string;
  cardNumber: string;
  pin?: string;
  amount: string;
  currency: string;
  allowPartial: boolean;
}

@Injectable()
export class AuthorizationsService {
  constructor(
    private readonly authorizations: AuthorizationsRepository,
    private readonly vault: CardVault,
    private readonly holds: HoldsService,
    private readonly lock: ChainLock,
    private readonly settlements: SettlementsService,
    private readonly repair: ChainRepair,
    private readonly pinLockout: PinLockoutService,
    private readonly fence: LeaseFence,
  ) {}

  /**
   * Rule 1: hold the amount, or what the card has when partial approval is allowed. A PIN attempt is counted
   * before the provider is asked (parallel guesses cannot all pass) and settled by what the provider said.
   */
  async authorize(request: AuthorizeRequest, actor: string, idempotencyKey?: string): Promise<Authorization> {
    const amount = parseAmount(request.amount, request.currency);
    const cardHash = this.vault.hash(request.cardNumber);
    const withPin = request.pin !== undefined && request.pin !== '';
    await this.pinLockout.beginAttempt(cardHash, withPin);
    let verdict: PinVerdict = 'NO_VERDICT';
    // A new hold's approval commits the PIN's success with it (the count cleared), instead of after it: settled
    // then, unless that approval did not stand (its commit failed, and the request ended otherwise).
    let clearedWithApproval = false;
    let approved = false;
    const clearPinWith = async (manager: EntityManager) => {
      if (withPin) await this.pinLockout.recordSuccess(cardHash, manager);
      clearedWithApproval = true;
    };
    try {
      const { authorization, outcome } = await this.hold(request, amount, actor, idempotencyKey, clearPinWith);
      approved = outcome === 'APPROVED';
      if (outcome === 'DECLINED' && authorization.declineReason === 'INVALID_PIN') verdict = 'WRONG_PIN';
      else if (outcome === 'APPROVED') verdict = 'PIN_ACCEPTED';
      if (outcome === 'UNKNOWN') {
        throw providerUnavailable('The provider did not answer; the hold was not placed (any partial effect is undone)', 'UNKNOWN');
      }
      if (outcome === 'NOT_PROCESSED') throw providerUnavailable('The provider is unavailable; the hold was not placed', 'NOT_APPLIED');
      return authorization;
    } finally {
      if (!(clearedWithApproval && approved)) await this.pinLockout.finishAttempt(cardHash, withPin, verdict);
    }
  }

  /** The authorization of the request (found by its key, or new) and, when a hold was tried now, what came of it. */
  private async hold(
    request: AuthorizeRequest,
    amount: Money,
    actor: string,
    idempotencyKey: string | undefined,
    onApproved: (manager: EntityManager) => Promise<void>,
  ): Promise<{ authorization: Authorization; outcome: HoldOutcome | null }> {
    const existing = idempotencyKey ? await this.authorizations.findByIdempotencyKey(idempotencyKey) : null;
    if (existing && existing.state !== 'PENDING' && existing.state !== 'FAILED') return { authorization: existing, outcome: null };
    if (!existing) {
      const created = newAuthorization({
        orderId: request.orderId,
        card: this.vault.protect(request.cardNumber),
        currency: amount.currency,
        requestedMinor: amount.minor,
        allowPartial: request.allowPartial,
        idempotencyKey,
      });
      // A new authorization is inserted with its chain's lock already taken: one statement, no lock UPDATE and no
      // read back (the row is the one just written). A concurrent insert under the same key fails as before (23505).
      const lease = this.lock.newLease();
      await this.authorizations.insertLocked(created, lease.columns);
      created.lockOwner = lease.owner;
      // Its approval is the chain's last write of the request: the lock is released in that commit, with the PIN's success.
      return this.lock.runInserted(created.rootId, lease.owner, async () => ({
        authorization: created,
        outcome: await this.holds.place(created, request.pin, actor, false, async (manager) => {
          await this.fence.releaseWith(manager);
          await onApproved(manager);
        }),
      }));
    }

    // Under the chain lock, like every other change of a chain: the recovery sweep resolves this authorization's
    // earlier calls under the same lock, and must never act on a copy read before this request placed its hold
    // (the soak saw it turn an approved, reported hold back into FAILED, the hold orphaned at the provider).
    const { id, rootId } = existing;
    return this.lock.run(rootId, async () => {
      let authorization = await this.authorizations.getById(id);
      if (authorization.state !== 'PENDING' && authorization.state !== 'FAILED') return { authorization, outcome: null };
      // A retry after "not processed" (or a takeover after a crash): learn what the lost attempt did first.
      // While that cannot be known, no second hold: it could be declined for the first one's reservation.
      if (!(await this.repair.resolveChain(rootId, actor))) {
        throw providerUnavailable('An earlier attempt of this hold is still being confirmed with the provider; retry with the same Idempotency-Key', 'UNKNOWN');
      }
      authorization = await this.authorizations.getById(id);
      if (authorization.state !== 'PENDING' && authorization.state !== 'FAILED') return { authorization, outcome: null };
      await this.holds.transition(authorization, 'HOLD_RETRIED', {}, actor);
      return { authorization, outcome: await this.holds.place(authorization, request.pin, actor, false) };
    });
  }

  async get(id: string): Promise<Authorization> {
    const authorization = await this.authorizations.findById(id);
    if (!authorization) throw notFound('authorization', id);
    return authorization;
  }

  chain(rootId: string): Promise<Authorization[]> {
    return this.authorizations.chainOf(rootId);
  }

  settlementsOf(rootId: string): Promise<Settlement[]> {
    return this.authorizations.settlementsOf(rootId);
  }

  /**
   * Rule 4: release whatever the chain still holds and close it as REVERSED. Reversing a closed authorization
   * returns it unchanged. Returns the authorization the reversal closed (or the named one when nothing was open).
   */
  async reverse(id: string, amount: string, actor: string): Promise<Authorization> {
    const named = await this.get(id);
    let zero: bigint;
    try {
      zero = parseAmount(amount, named.currency).minor;
    } catch (error) {
      throw validationFailed([{ field: 'amount', problems: [`amount ${(error as Error).message}`] }]);
    }
    if (zero !== 0n) throw businessRule('REVERSAL_AMOUNT_NOT_ZERO', 'A reversal releases the whole hold: its amount must be zero');

    return this.lock.run(named.rootId, async () => {
      // An unconfirmed call could still turn into a hold (or a redeem): learn its fate before closing the chain.
      if (!(await this.repair.resolveChain(named.rootId, actor))) {
        throw providerUnavailable('An earlier call on this authorization is still being confirmed, or a hold of it could not be released yet; retry with the same Idempotency-Key', 'UNKNOWN');
      }
      const open = await this.settlements.openLink(named.rootId);
      if (open) {
        // REVERSED in the commit that records the release (or its finding): never released but still OPEN.
        const release = await this.holds.release(open, open.providerHoldId!, actor, (m, callId) =>
          this.holds.transition(open, 'REVERSED', { heldMinor: 0n }, actor, { providerCallId: callId }, m),
        );
        if (!release.released) {
          throw providerUnavailable('The hold could not be released now; retry with the same Idempotency-Key', release.unknown ? 'UNKNOWN' : 'NOT_APPLIED');
        }
      }
      // Links never placed are closed for good too: a hold retried under their key must not hold for a cancelled order.
      for (const link of await this.repair.unplacedLinks(named.rootId)) await this.holds.transition(link, 'REVERSED', {}, actor);
      await this.settlements.failOpen(named.rootId, 'AUTHORIZATION_CLOSED', actor);
      // "Done" only when the provider holds nothing for this chain.
      if (await this.repair.chainStillHolds(named.rootId)) {
        throw providerUnavailable('A hold of this authorization is still held at the provider and is being released; retry with the same Idempotency-Key', 'UNKNOWN');
      }
      if (open) return open;
      const chain = await this.chain(named.rootId);
      return chain.find((link) => link.closedReason === 'REVERSED') ?? (await this.get(id));
    });
  }
}
