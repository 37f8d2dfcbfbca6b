import { FulfillmentKind, GiftCardFulfillment } from './gift-card-fulfillment.entity';

/** The provider calls of a fulfillment, in order. A physical card is shipped already allocated. */
export type FulfillmentStep = 'ALLOCATE' | 'ACTIVATE' | 'ISSUE';

export type StepRecord = { step: 'ALLOCATED' | 'ACTIVATED' | 'ISSUED'; at: Date; providerReference: string | null };

type Progress = Pick<GiftCardFulfillment, 'kind' | 'status' | 'allocatedAt' | 'activatedAt' | 'issuedAt'>;

/** The step to run next: the one after the last that succeeded; null when there is nothing to run. */
export function nextStep(f: Progress): FulfillmentStep | null {
  if (f.status !== 'PENDING') return null;
  if (f.kind === 'ELECTRONIC' && !f.allocatedAt) return 'ALLOCATE';
  if (!f.activatedAt) return 'ACTIVATE';
  if (!f.issuedAt) return 'ISSUE';
  return null;
}

/** The steps reached so far, in order, with when and the provider's reference for each. */
export function stepsOf(
  f: Progress & Pick<GiftCardFulfillment, 'allocateReference' | 'activateReference' | 'issueReference'>,
): StepRecord[] {
  const steps: StepRecord[] = [];
  if (f.allocatedAt) steps.push({ step: 'ALLOCATED', at: f.allocatedAt, providerReference: f.allocateReference });
  if (f.activatedAt) steps.push({ step: 'ACTIVATED', at: f.activatedAt, providerReference: f.activateReference });
  if (f.issuedAt) steps.push({ step: 'ISSUED', at: f.issuedAt, providerReference: f.issueReference });
  return steps;
}

/** What identifies the work asked for one order line; the PIN is not part of it (never stored). */
export interface LineRequest {
  kind: FulfillmentKind;
  cardSetId: string | null;
  cardHash: string | null;
  currency: string;
  amountMinor: bigint;
  /** A card for a refund to a new card (issued as return-related); never asked for through the fulfillment API. */
  returnRelated?: boolean;
}

/** The fields of `request` that differ from what the line's fulfillment was created with. */
export function differences(f: GiftCardFulfillment, request: LineRequest): string[] {
  const differing: string[] = [];
  if (f.kind !== request.kind) differing.push('kind');
  if (request.kind === 'ELECTRONIC' && f.cardSetId !== request.cardSetId) differing.push('cardSetId');
  if (request.kind === 'PHYSICAL' && f.cardHash !== request.cardHash) differing.push('cardNumber');
  if (f.currency !== request.currency) differing.push('currency');
  if (f.amountMinor !== request.amountMinor) differing.push('amount');
  if ((f.returnRelated ?? false) !== (request.returnRelated ?? false)) differing.push('returnRelated');
  return differing;
}
