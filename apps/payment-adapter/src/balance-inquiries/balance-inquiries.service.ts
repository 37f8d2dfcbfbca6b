import { GIFT_CARD_PROVIDER, GiftCardProvider, ProviderDeclinedError, ProviderError } from '@gcpa/gift-card-provider';
import { formatAmount, Money, parseAmount } from '@gcpa/money';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { businessRule, DomainError, providerFailure, providerUnavailable, validationFailed } from '../common/domain-errors';
import { CardVault } from '../card-data/card-vault';
import { PinLockoutService } from '../security/pin-lockout.service';
import { applyBalance, applyCards } from './balance-inquiry';

export interface InquiryCard {
  cardNumber: string;
  pin?: string;
}

export interface BalanceInquiryRequest extends InquiryCard {
  cards?: undefined;
  currency: string;
  requestedAmount?: string;
}

/** The request as validated: either form (the DTO lets both through for the service to name both fields). */
export interface InquiryRequest {
  cardNumber?: string;
  pin?: string;
  cards?: InquiryCard[];
  currency: string;
  requestedAmount?: string;
}

/** Several cards applied to one amount, in the order given. */
export interface CardsInquiryRequest {
  cardNumber?: undefined;
  cards: InquiryCard[];
  currency: string;
  requestedAmount: string;
}

export interface CardsInquiryView {
  currency: string;
  requestedAmount: string;
  appliedAmount: string;
  remainingAmount: string;
  cards: Array<{ cardLast4: string; availableBalance: string; applicableAmount: string }>;
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

  /** One card (`cardNumber`) or several (`cards`): exactly one of the two. */
  async inquire(request: InquiryRequest): Promise<BalanceInquiryView | CardsInquiryView> {
    const hasCard = request.cardNumber !== undefined;
    const hasCards = request.cards !== undefined;
    if (hasCard === hasCards) {
      const problem = 'exactly one of cardNumber (one card) or cards (several) must be given';
      throw validationFailed([
        { field: 'cardNumber', problems: [problem] },
        { field: 'cards', problems: [problem] },
      ]);
    }
    return hasCards ? this.inquireCards(request as CardsInquiryRequest) : this.inquireCard(request as BalanceInquiryRequest);
  }

  private async inquireCard(request: BalanceInquiryRequest): Promise<BalanceInquiryView> {
    const requested = request.requestedAmount === undefined ? undefined : parseAmount(request.requestedAmount, request.currency);
    const available = await this.availableOn(request, request.currency);
    const answer = applyBalance(available, requested);
    return {
      cardLast4: request.cardNumber.slice(-4),
      currency: request.currency,
      availableBalance: formatAmount(answer.available),
      applicableAmount: formatAmount(answer.applicable),
      remainingAmount: formatAmount(answer.remaining),
    };
  }

  /**
   * Several cards: each read as one card is (PIN lockout, failed-lookup counting), one after another in the order
   * given; the first card that cannot be read ends the inquiry with its error, naming it (`details.field`).
   */
  private async inquireCards(request: CardsInquiryRequest): Promise<CardsInquiryView> {
    const duplicates = request.cards.flatMap((card, index) =>
      request.cards.findIndex((other) => other.cardNumber === card.cardNumber) < index
        ? [{ field: `cards.${index}.cardNumber`, problems: [`cards.${index}.cardNumber names a card already listed`] }]
        : [],
    );
    if (duplicates.length > 0) throw validationFailed(duplicates);
    const requested = parseAmount(request.requestedAmount, request.currency);
    const balances: Money[] = [];
    for (const [index, card] of request.cards.entries()) {
      try {
        balances.push(await this.availableOn(card, request.currency));
      } catch (error) {
        throw error instanceof DomainError
          ? new DomainError(error.status, error.code, `cards.${index} (****${card.cardNumber.slice(-4)}): ${error.message}`, {
              ...error.details,
              field: `cards.${index}`,
              cardLast4: card.cardNumber.slice(-4),
            })
          : error;
      }
    }
    const answer = applyCards(balances, requested);
    return {
      currency: request.currency,
      requestedAmount: formatAmount(requested),
      appliedAmount: formatAmount(answer.applied),
      remainingAmount: formatAmount(answer.remaining),
      cards: answer.cards.map((card, index) => ({
        cardLast4: request.cards[index].cardNumber.slice(-4),
        availableBalance: formatAmount(card.available),
        applicableAmount: formatAmount(card.applicable),
      })),
    };
  }

  /** What one card has: its PIN attempt counted before the provider is asked, so parallel guesses cannot outrun the lockout. */
  private async availableOn(card: InquiryCard, currency: string): Promise<Money> {
    const cardHash = this.vault.hash(card.cardNumber);
    const withPin = !!card.pin;
    await this.pinLockout.beginAttempt(cardHash, withPin);
    let balance;
    try {
      balance = await this.provider.balance({
        requestId: randomUUID(),
        card: { cardNumber: card.cardNumber, pin: card.pin },
        currency,
      });
    } catch (error) {
      await this.pinLockout.finishAttempt(cardHash, withPin, pinVerdictOf(error));
      throw toBalanceError(error);
    }
    await this.pinLockout.finishAttempt(cardHash, withPin, 'PIN_ACCEPTED');
    if (!balance.active) throw businessRule('CARD_INACTIVE', 'The card is not active', { reason: 'CARD_INACTIVE' });
    return balance.available;
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
