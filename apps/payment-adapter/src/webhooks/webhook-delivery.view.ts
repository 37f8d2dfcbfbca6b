import { WebhookDelivery } from './webhook-deliveries.repository';

/** A delivery as the API shows it: the notification sent, how far its delivery got, the receiver's last answer. */
export function webhookDeliveryView(d: WebhookDelivery) {
  return {
    deliveryId: d.id,
    orderId: d.orderId,
    type: d.type,
    status: d.status,
    attempts: d.attempts,
    lastAttemptAt: d.lastAttemptAt,
    lastResponseStatus: d.lastResponseStatus,
    lastResponseExcerpt: d.lastResponseExcerpt,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'PENDING' ? d.nextAttemptAt : null,
    retryUntil: d.retryUntil,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
    /** The body POSTed to WEBHOOK_URL, as signed (its `id` is the webhook-id header). */
    payload: d.payload,
  };
}
