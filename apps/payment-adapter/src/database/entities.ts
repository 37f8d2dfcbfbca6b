import { Authorization } from '../authorizations/authorization.entity';
import { GiftCardFulfillment } from '../fulfillments/gift-card-fulfillment.entity';
import { PaymentEvent } from '../history/payment-event.entity';
import { IdempotencyKeyRecord } from '../idempotency/idempotency-key.entity';
import { ProviderCall } from '../provider-calls/provider-call.entity';
import { Refund, RefundAllocation } from '../refunds/refund.entity';
import { Settlement } from '../settlements/settlement.entity';

/** Every TypeORM entity of the adapter. */
export const adapterEntities: Function[] = [Authorization, Settlement, ProviderCall, PaymentEvent, IdempotencyKeyRecord, Refund, RefundAllocation, GiftCardFulfillment];
