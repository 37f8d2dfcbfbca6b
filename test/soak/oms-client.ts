import axios, { AxiosInstance } from 'axios';
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { DEV_KEY } from '../harness/clients';

/** The final answer a client got for one request (after its retries), as the OMS would store it. */
export interface Told {
  operation: string;
  key: string | null;
  status: number;
  body: any;
  attempts: number;
  /** The retries ran out on a not-final answer (network error, 5xx, busy): the OMS knows nothing for sure. */
  gaveUp: boolean;
  lastError?: string;
}

/** Codes of a 409 that mean "still running, ask again", not a conflict. */
const BUSY_CODES = new Set(['REQUEST_IN_PROGRESS', 'AUTHORIZATION_BUSY', 'REFUND_BUSY', 'FULFILLMENT_BUSY']);

export interface RetryPolicy {
  maxAttempts: number;
  deadlineMs: number;
}

export interface ClientStats {
  requests: number;
  attempts: number;
  networkErrors: number;
  byStatus: Record<string, number>;
  gaveUp: number;
}

/**
 * An OMS-like client of the adapter. On a network error, a 5xx, a 429 or a "busy" 409 it sends the SAME
 * request with the SAME Idempotency-Key again (bounded, with backoff), as MAO re-sends a stuck
 * PaymentTransaction; any other answer is final. `target.url` may change between attempts (the adapter
 * restarted on another port).
 */
export class RetryingOms {
  private readonly http: AxiosInstance;
  readonly stats: ClientStats = { requests: 0, attempts: 0, networkErrors: 0, byStatus: {}, gaveUp: 0 };

  constructor(
    private readonly target: { url: string },
    private readonly policy: RetryPolicy,
  ) {
    this.http = axios.create({
      headers: { Authorization: `Bearer ${DEV_KEY}` },
      validateStatus: () => true,
      timeout: 45000,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }),
    });
  }

  /** A mutating request with a fresh Idempotency-Key (or the given one). */
  post(operation: string, path: string, body: unknown, key: string | null = randomUUID()): Promise<Told> {
    return this.send(operation, 'POST', path, body, key);
  }

  get(operation: string, path: string): Promise<Told> {
    return this.send(operation, 'GET', path, undefined, null);
  }

  private async send(operation: string, method: 'GET' | 'POST', path: string, body: unknown, key: string | null): Promise<Told> {
    this.stats.requests += 1;
    const started = Date.now();
    let lastError: string | undefined;
    let last: { status: number; body: unknown } | null = null;
    for (let attempt = 1; ; attempt++) {
      this.stats.attempts += 1;
      let retryAfterMs = 0;
      try {
        const response = await this.http.request({
          method,
          url: `${this.target.url}${path}`,
          data: body,
          headers: key ? { 'Idempotency-Key': key } : {},
        });
        last = { status: response.status, body: response.data };
        lastError = undefined;
        this.stats.byStatus[response.status] = (this.stats.byStatus[response.status] ?? 0) + 1;
        if (!retryable(response.status, response.data)) {
          return { operation, key, status: response.status, body: response.data, attempts: attempt, gaveUp: false };
        }
        const retryAfter = Number(response.headers['retry-after']);
        if (response.status === 429 && Number.isFinite(retryAfter)) retryAfterMs = Math.min(retryAfter * 1000, 5000);
        lastError = `${response.status} ${response.data?.error?.code ?? ''}`.trim();
      } catch (error) {
        this.stats.networkErrors += 1;
        lastError = (error as { code?: string }).code ?? (error as Error).message;
      }
      if (attempt >= this.policy.maxAttempts || Date.now() - started >= this.policy.deadlineMs) {
        this.stats.gaveUp += 1;
        return { operation, key, status: last?.status ?? 0, body: last?.body ?? null, attempts: attempt, gaveUp: true, lastError };
      }
      const backoff = Math.min(4000, 100 * 2 ** Math.min(attempt - 1, 6));
      await sleep(Math.max(retryAfterMs, backoff / 2 + Math.random() * (backoff / 2)));
    }
  }
}

export function retryable(status: number, body: any): boolean {
  if (status >= 500 || status === 429) return true;
  return status === 409 && BUSY_CODES.has(body?.error?.code);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
