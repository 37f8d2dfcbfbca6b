import { GIFT_CARD_PROVIDER, GiftCardProvider, ProviderDeclinedError, ProviderError } from '@gcpa/gift-card-provider';
import { formatAmount, parseAmount } from '@gcpa/money';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { businessRule, providerFailure, providerUnavailable } from '../common/domain-errors';
import { CardVault } from '../card-data/card-vault';
import { PinLockoutService } from '../security/pin-lockout.service';
import { applyBalance } from './balance-inquiry';

export interface BalanceInquiryRequest {
  cardNumber: string;
  pin?: string;
  currency: string;
  requestedAmount?: string;
}

export interface BalanceInquiryView {
  cardLast4: string;
  currency: string;
  availableBalance: string;
  applicableAmount: string;
  remainingAmount: string;
}

/**
 * A balance check moves no money, so nothing is recorded: no intent, no history, no card data at rest.
 * The provider's answer is only reshaped into available / applicable / remaining.
 */
@Injectable()
export class BalanceInquiriesService {
  constructor(
    @Inject(GIFT_CARD_PROVIDER) private readonly provider: GiftCardProvider,
    private readonly vault: CardVault,
    private readonly pinLockout: PinLockoutService,
  ) {}

  async inquire(request: BalanceInquiryRequest): Promise<BalanceInquiryView> {
    const requested = request.requestedAmount === undefined ? undefined : parseAmount(request.requestedAmount, request.currency);
    const cardHash = this.vault.hash(request.cardNumber);
    const withPin = !!request.pin;
    // The attempt is counted before the provider is asked, so parallel guesses cannot outrun the lockout.
    await this.pinLockout.beginAttempt(cardHash, withPin);
    let balance;
    try {
      balance = await this.provider.balance({
        requestId: randomUUID(),
        card: { cardNumber: request.cardNumber, pin: request.pin },
        currency: request.currency,
      });
    } catch (error) {
      await this.pinLockout.finishAttempt(cardHash, withPin, pinVerdictOf(error));
      throw toBalanceError(error);
    }
    await this.pinLockout.finishAttempt(cardHash, withPin, 'PIN_ACCEPTED');
    if (!balance.active) throw businessRule('CARD_INACTIVE', 'The card is not active', { reason: 'CARD_INACTIVE' });
    const answer = applyBalance(balance.available, requested);
    return {
      cardLast4: request.cardNumber.slice(-4),
      currency: request.currency,
      availableBalance: formatAmount(answer.available),
      applicableAmount: formatAmount(answer.applicable),
      remainingAmount: formatAmount(answer.remaining),
    };
  }
}

/** What a failed balance call says about the PIN: only INVALID_PIN is a wrong guess. */
export function pinVerdictOf(error: unknown): 'WRONG_PIN' | 'NO_VERDICT' {
  return error instanceof ProviderDeclinedError && error.reason === 'INVALID_PIN' ? 'WRONG_PIN' : 'NO_VERDICT';
}

/** A read has no effect at the provider: a lost answer is as good as no answer (NOT_APPLIED), safe to ask again. */
function toBalanceError(error: unknown) {
  if (error instanceof ProviderDeclinedError) {
    return businessRule(error.reason, `The provider declined the balance check: ${error.reason}`, {
      reason: error.reason,
      ...(error.providerMessage ? { providerMessage: error.providerMessage } : {}),
    });
  }
  if (error instanceof ProviderError && (error.kind === 'UNAVAILABLE' || error.kind === 'OUTCOME_UNKNOWN')) {
    return providerUnavailable('The provider is unavailable; the balance could not be read', 'NOT_APPLIED', error.providerMessage);
  }
  if (error instanceof ProviderError) return providerFailure('The provider rejected the balance check', error.providerMessage ?? error.message);
  return error;
}
