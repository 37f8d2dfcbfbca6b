import { ClutchClientOptions, ClutchGiftCardProvider } from '@gcpa/clutch';
import { ProviderCallLogEntry, ProviderLogger } from '@gcpa/gift-card-provider';
import { SANDBOX_CREDENTIALS } from '../harness/apps';

/** The sandbox's admin API (`/_sandbox`), for arranging cards and faults and reading the ledger back. */
export class SandboxAdmin {
  constructor(private readonly sandboxUrl: string) {}

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.sandboxUrl}/_sandbox/${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox admin ${method} ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  createCard(card: { balance: string; currency?: string; pin?: string; active?: boolean }) {
    return this.send<{ cardNumber: string; pin: string | null }>('POST', 'cards', { currency: 'USD', ...card });
  }

  createCardSet(cardSet: { id: string; hasPin?: boolean; currency?: string }) {
    return this.send<unknown>('POST', 'card-sets', cardSet);
  }

  card(cardNumber: string) {
    return this.send<SandboxCardView>('GET', `cards/${cardNumber}`);
  }

  setFaults(faults: Record<string, unknown>) {
    return this.send<unknown>('PUT', 'faults', faults);
  }

  clearFaults() {
    return this.send<unknown>('DELETE', 'faults');
  }

  /** The sandbox's readings of Clutch's [unknown] behaviour (`/_sandbox/behaviour`). */
  setBehaviour(behaviour: Record<string, unknown>) {
    return this.send<unknown>('PUT', 'behaviour', behaviour);
  }

  resetBehaviour() {
    return this.send<unknown>('DELETE', 'behaviour');
  }
}

export interface SandboxCardView {
  balance: string;
  held: string;
  available: string;
  active: boolean;
  holds: Array<{ holdId: string; amount: string; status: string }>;
  history: Array<{
    transactionId: string;
    action: string;
    amount: string;
    customRequestId: string | null;
    relatedTransactionId: string | null;
    voided: boolean;
  }>;
}

export class RecordingLogger implements ProviderLogger {
  readonly entries: ProviderCallLogEntry[] = [];
  debug(entry: ProviderCallLogEntry): void {
    this.entries.push(entry);
  }
  warn(entry: ProviderCallLogEntry): void {
    this.entries.push(entry);
  }
}

/** A Clutch client pointed at the sandbox with the test credentials. */
export function sandboxProvider(sandboxUrl: string, overrides: Partial<ClutchClientOptions> = {}, logger = new RecordingLogger()) {
  const provider = new ClutchGiftCardProvider(
    {
      baseUrl: `${sandboxUrl}/merchant/`,
      apiKey: SANDBOX_CREDENTIALS.CLUTCH_API_KEY,
      apiSecret: SANDBOX_CREDENTIALS.CLUTCH_API_SECRET,
      brand: SANDBOX_CREDENTIALS.CLUTCH_BRAND,
      location: SANDBOX_CREDENTIALS.CLUTCH_LOCATION,
      terminal: SANDBOX_CREDENTIALS.CLUTCH_TERMINAL,
      timeoutMs: 2000,
      readRetryInitialDelayMs: 10,
      ...overrides,
    },
    logger,
  );
  return { provider, logger };
}
