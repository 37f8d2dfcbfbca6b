import { Money } from '@gcpa/money';

/**
 * What the adapter needs of a stored-value provider. Clutch is the first implementation; Givex, SVS,
 * Valutec or an in-house ledger implement the same shape. All amounts are integer minor units.
 *
 * Every call carries `requestId`: our own reference for this provider call, sent to the provider where it
 * accepts one (Clutch: the `customRequestId` and `externalTransactionId` headers).
 *
 * A call whose answer was lost is resolved by `resolveLostCall`: by a look-up of our reference where the
 * provider has one (Givex and SVS do), from the card's state otherwise (Clutch: its history cannot be
 * searched by our reference). `lostAnswerStrategy` says which, per operation; for `state`, the adapter
 * serialises money-moving calls per card, so what the provider finds on the card is ours or another
 * channel's, never a concurrent call of ours.
 *
 * Failures are thrown as the typed errors in `provider-errors.ts`; anything else is a bug.
 */
export interface GiftCardProvider {
  readonly name: string;

  /** Available balance (held funds excluded). Validates the PIN when one is given. */
  balance(input: BalanceInput): Promise<BalanceResult>;
  /** Reserve exactly `amount`; a card without that much is refused (the adapter decides partial approval). */
  hold(input: HoldInput): Promise<HoldResult>;
  /** Charge up to the held amount from a hold and release whatever the hold had left. */
  redeemFromHold(input: RedeemFromHoldInput): Promise<RedeemResult>;
  /** Release all of a hold (the zero-amount redeem of a hold). */
  releaseHold(input: ReleaseHoldInput): Promise<ReleaseResult>;
  /** Charge without a hold. */
  redeem(input: RedeemInput): Promise<RedeemResult>;
  /** Add value: a fulfillment issuance, or a refund when `returnRelated`. */
  issue(input: IssueInput): Promise<IssueResult>;
  /** Take the next unused card of a card set (electronic fulfillment). */
  allocate(input: AllocateInput): Promise<AllocatedCard>;
  /** Make a card usable (physical cards when shipped). */
  activate(input: ActivateInput): Promise<ActivateResult>;
  /** Undo one earlier issuance or redemption (never a hold). */
  void(input: VoidInput): Promise<VoidResult>;
  /** How this provider resolves a lost answer of `operation`. */
  lostAnswerStrategy(operation: LostCallOperation): LostAnswerStrategy;
  /**
   * What became of a call whose answer was lost: APPLIED (with what it did), NOT_APPLIED (proven by the
   * provider's state or look-up), or UNDECIDED (with the candidates found, for an operator). Never guesses.
   */
  resolveLostCall(input: LostCallInput): Promise<LostCallFinding>;
  /**
   * What the provider shows of a card for reconciliation: its open holds, and the movements of value since
   * `since`. Optional: a provider without it is not reconciled.
   */
  cardActivity?(input: CardActivityInput): Promise<CardActivity>;
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

export type ActivateResult = Record<string, never>;

export interface VoidInput extends Call {
  cardNumber: string;
  transactionId: string;
}

export interface VoidResult {
  transactionId: string;
}

export type LostCallOperation = 'HOLD' | 'REDEEM_FROM_HOLD' | 'RELEASE_HOLD' | 'REDEEM' | 'ISSUE' | 'ALLOCATE' | 'ACTIVATE' | 'VOID';

/** `reference`: the provider can look our request id up. `state`: the card's state and history must tell. */
export type LostAnswerStrategy = 'reference' | 'state';

/** What the adapter has recorded on the card: anything here is ours and explained, so never a candidate. */
export interface KnownOnCard {
  holdIds: ReadonlySet<string>;
  transactionIds: ReadonlySet<string>;
  /**
   * The transaction and hold ids of our calls on the card that were answered before the lost call began. The
   * provider wrote their entries before the lost call could land (one call at a time per card), so an entry
   * the provider shows as older than one of them is not the lost call's, whatever the clocks say.
   */
  answeredBefore?: ReadonlySet<string>;
}

export interface LostCallInput extends Call {
  operation: LostCallOperation;
  /** The `requestId` of the call whose answer was lost. */
  reference: string;
  cardNumber?: string;
  /** What the call asked to move (zero for a release). */
  amount: Money;
  /** The hold a redeem from a hold or a release acted on. */
  holdId?: string;
  /** When the call was sent (our clock). */
  startedAt: Date;
  /** True once a request still in flight can no longer land: "nothing found" then means "not applied". */
  graceElapsed: boolean;
  known: KnownOnCard;
}

export interface LostCallCandidate {
  transactionId: string;
  amount: string;
  at?: string;
}

export type LostCallFinding =
  | { outcome: 'APPLIED'; transactionId: string | null; amount: Money; note: string }
  | { outcome: 'NOT_APPLIED'; note: string }
  | { outcome: 'UNDECIDED'; note: string; candidates: LostCallCandidate[] };

export interface CardActivityInput extends Call {
  cardNumber: string;
  currency: string;
  /** Movements from this time on (the provider may read a little earlier, for clock skew). */
  since: Date;
}

export interface CardActivityHold {
  holdId: string;
  amount: Money;
  /** When the provider shows it was placed; absent when that is not shown since `since` (placed before). */
  placedAt?: Date;
}

export interface CardActivityEntry {
  transactionId: string;
  /** Signed: an issue positive, a redeem negative. Entries that move no value (holds, releases) are left out. */
  amount: Money;
  at: Date;
}

export interface CardActivity {
  holds: CardActivityHold[];
  entries: CardActivityEntry[];
}

/** Nest injection token for the configured provider. */
export const GIFT_CARD_PROVIDER = Symbol('GIFT_CARD_PROVIDER');
