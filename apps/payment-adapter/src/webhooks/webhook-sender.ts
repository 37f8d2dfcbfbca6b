import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { afterFailedAttempt, isDelivered } from './delivery-schedule';
import { AttemptRecord, WebhookDeliveries, WebhookDelivery } from './webhook-deliveries.repository';
import { WebhookMetrics } from './webhook.metrics';
import { WebhookSettings } from './webhook.settings';

/** How much of a receiver's answer is kept for an operator. */
const EXCERPT_CHARS = 500;

/**
 * Sends the outbox, beside the requests: its own loop in every instance (never in a request's path, so a
 * slow or down receiver slows no payment), claiming due deliveries under a lease so that instances share the
 * work. Each is POSTed to WEBHOOK_URL, signed with the Standard Webhooks scheme (`standardwebhooks`); a 2xx
 * ends it, anything else is tried again with backoff until its retry window ends, then it is FAILED.
 * At least once: a sender killed mid-delivery leaves the row PENDING, and it is sent again after its lease.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookSender');
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly signer: Webhook | null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly deliveries: WebhookDeliveries,
    private readonly metrics: WebhookMetrics,
  ) {
    this.signer = settings.enabled ? new Webhook(settings.secret!) : null;
  }

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.loop = this.run();
  }

  /** Before the database closes: the deliveries in flight finish (at most WEBHOOK_TIMEOUT_MS) and are recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * Keeps up to WEBHOOK_BATCH_SIZE deliveries in flight: claims more whenever one finishes (the next event of
   * its order is due at once), and polls every WEBHOOK_POLL_INTERVAL_MS otherwise. A receiver that hangs holds
   * one slot until the timeout, never the others.
   */
  private async run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.stopped) {
      let claimed = 0;
      const free = this.settings.batchSize - inFlight.size;
      if (free > 0) {
        try {
          const due = await this.deliveries.claim(this.owner, free, this.settings.leaseSeconds);
          claimed = due.length;
          for (const delivery of due) {
            const sending: Promise<void> = this.deliver(delivery)
              .catch((error) => this.logger.warn(`webhook ${delivery.id} not recorded: ${(error as Error).message}`))
              .finally(() => {
                inFlight.delete(sending);
                this.wake?.();
              });
            inFlight.add(sending);
          }
        } catch (error) {
          if (!this.stopped) this.logger.warn(`webhook claim failed: ${(error as Error).message}`);
        }
      }
      if (claimed === 0 && !this.stopped) await this.pause(this.settings.pollIntervalMs);
    }
    await Promise.all(inFlight);
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    const answer = await this.post(delivery);
    const delivered = isDelivered(answer.status);
    const next: AttemptRecord['next'] = delivered
      ? { status: 'DELIVERED' }
      : afterFailedAttempt(delivery.attempts + 1, new Date(), delivery.retryUntil, this.settings.backoff);
    const recorded = await this.deliveries.recordAttempt(delivery.id, this.owner, {
      responseStatus: answer.status,
      responseExcerpt: answer.excerpt,
      error: answer.error,
      next,
    });
    if (!recorded) return; // our lease ran out meanwhile: another sender has it (at least once)
    this.metrics.attempts.inc({ outcome: next.status === 'PENDING' ? 'RETRY' : next.status });
    if (next.status === 'FAILED') {
      this.logger.warn(`webhook ${delivery.id} (${delivery.type}, order ${delivery.orderId}) FAILED after ${delivery.attempts + 1} attempts: ${answer.error ?? `HTTP ${answer.status}`}`);
    }
  }

  private async post(delivery: WebhookDelivery): Promise<{ status: number | null; excerpt: string | null; error: string | null }> {
    const body = JSON.stringify(delivery.payload);
    const timestamp = new Date();
    try {
      const response = await fetch(this.settings.url!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'gift-card-payment-adapter',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': this.signer!.sign(delivery.id, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      const text = await response.text().catch(() => '');
      return { status: response.status, excerpt: text.slice(0, EXCERPT_CHARS) || null, error: null };
    } catch (error) {
      const name = (error as Error).name;
      const message = name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${this.settings.timeoutMs} ms`
        : `${(error as Error).message}${(error as { cause?: Error }).cause ? `: ${(error as { cause: Error }).cause.message}` : ''}`;
      return { status: null, excerpt: null, error: message.slice(0, EXCERPT_CHARS) };
    }
  }

  /** Waits `ms`, or less when a delivery finishes or the application stops. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}
