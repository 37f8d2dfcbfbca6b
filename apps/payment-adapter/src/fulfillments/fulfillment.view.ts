import { formatAmount } from '@gcpa/money';
import { maskLast4 } from '../card-data/card-vault';
import { stepsOf } from './fulfillment-steps';
import { GiftCardFulfillment } from './gift-card-fulfillment.entity';
import { Revealed } from './fulfillments.service';

export const PIN_NOT_SHOWN =
  'The PIN is shown once, in the first response that shows the completed card; it is kept encrypted until then and erased after. If that response was lost, the PIN must be obtained from the provider.';

/**
 * The fulfillment as the OMS sees it. The card number is masked unless `revealed` carries it (the first
 * successful response of an electronic card); the PIN appears only then, and only for electronic cards.
 */
export function fulfillmentView(f: GiftCardFulfillment, revealed: Revealed = {}) {
  return {
    fulfillmentId: f.id,
    orderId: f.orderId,
    lineId: f.lineId,
    kind: f.kind,
    status: f.status,
    failureReason: f.failureReason,
    cardSetId: f.cardSetId,
    cardNumber: revealed.cardNumber ?? (f.cardLast4 ? maskLast4(f.cardLast4) : null),
    cardNumberMasked: revealed.cardNumber === undefined,
    cardLast4: f.cardLast4,
    pin: f.kind === 'ELECTRONIC' ? (revealed.pin ?? null) : null,
    ...(f.kind === 'ELECTRONIC' && revealed.pin === undefined ? { pinNote: PIN_NOT_SHOWN } : {}),
    amount: formatAmount({ minor: f.amountMinor, currency: f.currency }),
    currency: f.currency,
    steps: stepsOf(f),
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}
