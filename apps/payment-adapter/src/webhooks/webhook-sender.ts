import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
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
export class WebhookSender implements OnApplicationBootstrap, OnApplicationShutdown {
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

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let claimed = 0;
      try {
        claimed = await this.round();
      } catch (error) {
        if (!this.stopped) this.logger.warn(`webhook round failed: ${(error as Error).message}`);
      }
      // A full round may have more behind it (the next event of each order): look again at once.
      if (claimed === 0 && !this.stopped) await this.pause(this.settings.pollIntervalMs);
    }
  }

  /** One round: claims what is due (one delivery per order at most) and sends them side by side. */
  async round(): Promise<number> {
    const due = await this.deliveries.claim(this.owner, this.settings.batchSize, this.settings.leaseSeconds);
    await Promise.all(due.map((delivery) => this.deliver(delivery)));
    return due.length;
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

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
