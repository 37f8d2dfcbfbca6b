import axios, { AxiosInstance } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { ClutchHeaders, ClutchMethod } from '../protocol';
import { NetworkFailure } from './clutch-failure-mapping';
import { ResolvedClutchClientOptions } from './clutch-client-options';

export interface ClutchHttpAnswer {
  status: number;
  body: unknown;
}

/** Thrown by `ClutchHttp.post` when no HTTP answer came back. Carries no request data. */
export class ClutchNetworkFailure extends Error implements NetworkFailure {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ClutchNetworkFailure';
  }
}

/**
 * The wire: one keep-alive axios instance with the account's headers. It returns every HTTP answer as is
 * (no status is an exception here) and replaces axios errors, whose `config` holds the request body with
 * the card number and PIN, by a `ClutchNetworkFailure` with only the error code and text.
 */
export class ClutchHttp {
  private readonly client: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: ResolvedClutchClientOptions) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    const credentials = Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64');
    this.client = axios.create({
      baseURL: options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
      timeout: options.timeoutMs,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      headers: {
        [ClutchHeaders.authorization]: `Basic ${credentials}`,
        [ClutchHeaders.brand]: options.brand,
        [ClutchHeaders.location]: options.location,
        [ClutchHeaders.terminal]: options.terminal,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      // Every status is classified by the failure mapping, not by axios.
      validateStatus: () => true,
      // A POST is never replayed to another address; this also keeps axios on plain node:http (no follow-redirects).
      maxRedirects: 0,
      responseType: 'json',
      transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
    });
  }

  async post(method: ClutchMethod, body: object, requestId: string, timeoutMs?: number): Promise<ClutchHttpAnswer> {
    try {
      const response = await this.client.post(method, body, {
        // Both: Clutch's portal shows and searches the External ID, which makes manual reconciliation possible.
        headers: { [ClutchHeaders.customRequestId]: requestId, [ClutchHeaders.externalTransactionId]: requestId, ...this.traceHeader() },
        ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
      });
      return { status: response.status, body: response.data };
    } catch (error) {
      throw toNetworkFailure(error);
    }
  }

  private traceHeader(): Record<string, string> {
    const id = this.options.currentRequestId?.();
    return id ? { 'X-Request-Id': id } : {};
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function toNetworkFailure(error: unknown): ClutchNetworkFailure {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | undefined;
  let code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : 'network failure';
  // axios reports "socket hang up" under its own code on some paths; it is a reset connection.
  if (/socket hang up/i.test(message) && (code === undefined || code === 'ERR_BAD_RESPONSE')) code = 'ECONNRESET';
  return new ClutchNetworkFailure(code, message);
}
