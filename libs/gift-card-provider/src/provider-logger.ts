/**
 * What a provider client needs of a logger: structured entries at two levels. Nest's `Logger` satisfies
 * it, so the adapter passes one in; the provider libraries themselves stay free of Nest.
 * Entries must already be masked (see `masking.ts`): the logger is not expected to redact.
 */
export interface ProviderLogger {
  debug(entry: ProviderCallLogEntry): void;
  warn(entry: ProviderCallLogEntry): void;
}

/** One provider call: enough to trace it at the provider (`requestId`, `requestRef`) without card data. */
export interface ProviderCallLogEntry {
  msg: string;
  provider: string;
  /** The interface method (`hold`, `balance`...). */
  operation: string;
  /** The provider's own method or endpoint. */
  providerMethod: string;
  requestId: string;
  /** The provider's reference for the request, when it gave one. */
  requestRef?: string;
  /** Masked: `****1234`. */
  card?: string;
  attempt?: number;
  durationMs: number;
  /** `ok`, or the failure kind (`DECLINED`, `UNAVAILABLE`...). */
  outcome: string;
  reason?: string;
  detail?: string;
  /** The provider's failure code, and (masked) text when the code is not in our table. */
  errorCode?: number;
  providerMessage?: string;
}

export const silentProviderLogger: ProviderLogger = { debug: () => undefined, warn: () => undefined };
