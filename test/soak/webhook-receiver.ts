import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Dice } from './settings';

/** One notification as the receiver accepted it (answered 2xx), keyed by its `webhook-id`. */
export interface ReceivedEvent {
  id: string;
  type: string;
  data: Record<string, any>;
  /** How many times it was accepted (more than once: a retry after a cut-off or a kill; at least once allows it). */
  times: number;
}

export interface ReceiverBehaviour {
  /** Share of deliveries answered 500 (not accepted: the sender must retry). */
  failRate: number;
  /** Share of deliveries accepted, but answered only after `slowMs` (past the sender's timeout: it retries). */
  slowRate: number;
  slowMs: number;
}

export interface ReceiverStats {
  attempts: number;
  failedOnPurpose: number;
  slow: number;
  down: number;
  badSignatures: number;
}

/**
 * The OMS's webhook endpoint in the soak: a Node HTTP server in the soak process. It verifies every delivery's
 * Standard Webhooks signature with the `standardwebhooks` package (an unverifiable delivery is answered 400 and
 * counted), and misbehaves on purpose: answers 500 now and then, answers some only after the sender's timeout,
 * and is "down" (500 to everything) while `down` is set, so retries, duplicates and FAILED deliveries happen.
 */
export class WebhookReceiver {
  readonly secret = `whsec_${randomBytes(32).toString('base64')}`;
  readonly events = new Map<string, ReceivedEvent>();
  readonly stats: ReceiverStats = { attempts: 0, failedOnPurpose: 0, slow: 0, down: 0, badSignatures: 0 };
  readonly badSignatureSamples: string[] = [];
  /** While true every delivery is answered 500 (an outage of the OMS's endpoint). */
  down = false;
  /** While false the receiver never fails on purpose (the end of the run: what is due must arrive). */
  misbehave = true;
  private readonly verifier = new Webhook(this.secret);
  private server: Server | null = null;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly behaviour: ReceiverBehaviour,
    private readonly dice: Dice,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => this.handle(request, response));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Notifications accepted more than once (the same `webhook-id`). */
  get duplicates(): number {
    return [...this.events.values()].reduce((n, e) => n + e.times - 1, 0);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      this.stats.attempts += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: { id: string; type: string; data: Record<string, any> };
      try {
        payload = this.verifier.verify(body, request.headers as Record<string, string>) as typeof payload;
      } catch (error) {
        this.stats.badSignatures += 1;
        if (this.badSignatureSamples.length < 10) this.badSignatureSamples.push(`${request.headers['webhook-id']}: ${(error as Error).message}`);
        return void response.writeHead(400).end('bad signature');
      }
      if (this.down) {
        this.stats.down += 1;
        return void response.writeHead(500).end('down');
      }
      if (this.misbehave && this.dice.chance(this.behaviour.failRate)) {
        this.stats.failedOnPurpose += 1;
        return void response.writeHead(500).end('failing on purpose');
      }
      const id = String(request.headers['webhook-id']);
      const accept = () => {
        const seen = this.events.get(id);
        if (seen) seen.times += 1;
        else this.events.set(id, { id, type: payload.type, data: payload.data, times: 1 });
        if (!response.destroyed) response.writeHead(204).end();
      };
      if (this.misbehave && this.dice.chance(this.behaviour.slowRate)) {
        // Accepted, but answered after the sender gave up: it sends the same notification again.
        this.stats.slow += 1;
        const timer = setTimeout(() => {
          this.pending.delete(timer);
          accept();
        }, this.behaviour.slowMs);
        this.pending.add(timer);
        return;
      }
      accept();
    });
  }
}
