import { Money } from '@gcpa/money';

/**
 * What the adapter needs of a stored-value provider. Clutch is the first implementation; Givex, SVS,
 * Valutec or an in-house ledger implement the same shape. All amounts are integer minor units.
 *
 * Every call carries `requestId`: our own reference for this provider call, sent to the provider where
 * it accepts one (Clutch: the `customRequestId` header), so that a call whose response was lost can be
 * looked up later with `findTransaction`.
 *
 * Failures are thrown as the typed errors in `provider-errors.ts`; anything else is a bug.
 */
export interface GiftCardProvider {
  readonly name: string;

  /** Available balance (held funds excluded). Validates the PIN when one is given. */
  balance(input: BalanceInput): Promise<BalanceResult>;
  /** Reserve funds. With `allowPartial`, a short card holds what it has (never zero: that is a decline). */
  hold(input: HoldInput): Promise<HoldResult>;
  /** Charge up to the held amount from a hold and release whatever the hold had left. */
  redeemFromHold(input: RedeemFromHoldInput): Promise<RedeemResult>;
  /** Release all of a hold (the zero-amount redeem of a hold). */
  releaseHold(input: ReleaseHoldInput): Promise<ReleaseResult>;
  /** Charge without a hold. */
  redeem(input: RedeemInput): Promise<RedeemResult>;
  /** Add value: a fulfillment issuance, or a refund when `returnRelated`. */
  issue(input: IssueInput): Promise<IssueResult>;
  /** Take the next unused card of a card set (electronic fulfillment). The card is not active yet. */
  allocate(input: AllocateInput): Promise<AllocatedCard>;
  /** Make a card usable (physical cards when shipped; electronic ones after allocation). Idempotent. */
  activate(input: ActivateInput): Promise<ActivateResult>;
  /** Undo one earlier balance change. Idempotent. */
  void(input: VoidInput): Promise<VoidResult>;
  /**
   * Look up the provider's record of an earlier call by our `requestId` for it. `null` means the provider
   * has no such transaction (the call never applied). Providers that cannot look up throw
   * `ProviderUnsupportedError`.
   */
  findTransaction(input: FindTransactionInput): Promise<ProviderTransaction | null>;
  /** Resolves when the provider is reachable. */
  checkHealth(): Promise<void>;
  /** Releases what the client holds open (keep-alive connections); called on shutdown. */
  close?(): Promise<void>;
}

export interface CardCredentials {
  cardNumber: string;
  pin?: string;
}

interface Call {
  /** Our reference for this provider call (also the provider's idempotency / trace handle). */
  requestId: string;
}

export interface BalanceInput extends Call {
  card: CardCredentials;
  currency: string;
}

export interface BalanceResult {
  available: Money;
  held: Money;
  active: boolean;
}

export interface HoldInput extends Call {
  card: CardCredentials;
  amount: Money;
  allowPartial: boolean;
}

export interface HoldResult {
  /** The provider's hold reference, needed to redeem or release it. */
  holdId: string;
  heldAmount: Money;
}

export interface RedeemFromHoldInput extends Call {
  cardNumber: string;
  holdId: string;
  amount: Money;
}

export interface ReleaseHoldInput extends Call {
  cardNumber: string;
  holdId: string;
  currency: string;
}

export interface RedeemInput extends Call {
  card: CardCredentials;
  amount: Money;
  allowPartial: boolean;
}

export interface RedeemResult {
  transactionId: string;
  redeemedAmount: Money;
}

export interface ReleaseResult {
  transactionId: string;
}

export interface IssueInput extends Call {
  cardNumber: string;
  amount: Money;
  returnRelated: boolean;
}

export interface IssueResult {
  transactionId: string;
}

export interface AllocateInput extends Call {
  cardSetId: string;
}

export interface AllocatedCard {
  cardNumber: string;
  pin?: string;
}

export interface ActivateInput extends Call {
  cardNumber: string;
}

export interface ActivateResult {
  transactionId?: string;
}

export interface VoidInput extends Call {
  cardNumber: string;
  transactionId: string;
}

export interface VoidResult {
  transactionId: string;
}

export interface FindTransactionInput extends Call {
  cardNumber: string;
  /** The `requestId` of the earlier call we want to learn about. */
  reference: string;
  currency: string;
}

export type ProviderTransactionKind = 'HOLD' | 'REDEEM' | 'RELEASE' | 'ISSUE' | 'VOID' | 'ALLOCATE' | 'ACTIVATE';

export interface ProviderTransaction {
  transactionId: string;
  kind: ProviderTransactionKind;
  amount: Money;
  /** A void, or a redeem/release of a hold, names the transaction it acted on. */
  relatedTransactionId?: string;
  voided: boolean;
}

/** Nest injection token for the configured provider. */
export const GIFT_CARD_PROVIDER = Symbol('GIFT_CARD_PROVIDER');
