/** What a provider call's history event names: the order and the rows the call was made for. */
export interface CallRefs {
  orderId: string | null;
  authorizationId: string | null;
  settlementId: string | null;
  refundId: string | null;
  fulfillmentId: string | null;
}

/** The ids of a history event about a provider call (a call names its order; '' for one of no order). */
export function eventRefsOf(call: CallRefs) {
  return {
    orderId: call.orderId ?? '',
    authorizationId: call.authorizationId,
    settlementId: call.settlementId,
    refundId: call.refundId,
    fulfillmentId: call.fulfillmentId,
  };
}
