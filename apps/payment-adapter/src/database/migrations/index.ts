import { Payments1763900000000 } from './1763900000000-payments';
import { SettlementJob1763900000300 } from './1763900000300-settlement-job';
import { RefundLease1763900000200 } from './1763900000200-refund-lease';
import { GiftCardFulfillments1763900000400 } from './1763900000400-gift-card-fulfillments';
import { CardLockout1763900000500 } from './1763900000500-card-lockout';
import { ProviderCallHoldIndex1763900000600 } from './1763900000600-provider-call-hold-index';
import { LostAnswersFromState1764000000100 } from './1764000000100-lost-answers-from-state';
import { RecoveryGiveUpByTime1764000000110 } from './1764000000110-recovery-give-up-by-time';
import { FulfillmentPinAtRest1764000000120 } from './1764000000120-fulfillment-pin-at-rest';
import { OperatorDecision1764000000130 } from './1764000000130-operator-decision';
import { IdempotencyScope1764000000300 } from './1764000000300-idempotency-scope';
import { RefundKind1764000000500 } from './1764000000500-refund-kind';
import { SettlementInvoiceOnce1764000000510 } from './1764000000510-settlement-invoice-once';
import { Reconciliation1764000000600 } from './1764000000600-reconciliation';
import { RefundAllocations1764000000800 } from './1764000000800-refund-allocations';
import { RefundToNewCard1764000000801 } from './1764000000801-refund-to-new-card';
import { WebhookDeliveries1764000000700 } from './1764000000700-webhook-deliveries';
import { HoldExpiry1764000000900 } from './1764000000900-hold-expiry';
import { ClosedHoldsIndex1764000000910 } from './1764000000910-closed-holds-index';

/** Every migration of the adapter's schema, in order. Applied automatically at start. */
export const adapterMigrations = [
  Payments1763900000000,
  RefundLease1763900000200,
  SettlementJob1763900000300,
  GiftCardFulfillments1763900000400,
  CardLockout1763900000500,
  ProviderCallHoldIndex1763900000600,
  LostAnswersFromState1764000000100,
  RecoveryGiveUpByTime1764000000110,
  FulfillmentPinAtRest1764000000120,
  OperatorDecision1764000000130,
  IdempotencyScope1764000000300,
  RefundKind1764000000500,
  SettlementInvoiceOnce1764000000510,
  Reconciliation1764000000600,
  WebhookDeliveries1764000000700,
  RefundAllocations1764000000800,
  RefundToNewCard1764000000801,
  HoldExpiry1764000000900,
  ClosedHoldsIndex1764000000910,
];
