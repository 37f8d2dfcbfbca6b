import axios, { AxiosInstance } from 'axios';
import { randomUUID } from 'node:crypto';

export const DEV_KEY = 'local-dev-key';

/** An OMS-like client of the adapter: bearer key, JSON, never throws on a status. */
export function omsClient(baseUrl: string, apiKey = DEV_KEY): AxiosInstance {
  return axios.create({
    baseURL: baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
    validateStatus: () => true,
    timeout: 30000,
  });
}

export const withKey = (key: string = randomUUID()) => ({ headers: { 'Idempotency-Key': key } });

export interface SandboxCard {
  cardNumber: string;
  pin?: string;
  currency: string;
  balance: string;
  held: string;
  available: string;
  active: boolean;
  holds: Array<{ holdId: string; amount: string; status: string }>;
  history: Array<Record<string, unknown>>;
}

/** The sandbox's admin API, for arranging cards and reading its ledger in tests. */
export function sandboxAdmin(sandboxUrl: string) {
  const http = axios.create({ baseURL: `${sandboxUrl}/_sandbox`, validateStatus: () => true });
  return {
    /**
     * A card with a PIN (a random one unless given): the adapter requires a PIN on holds and balance checks by
     * default (PIN_POLICY=required), so tests send `card.pin`. `pin: null` makes a card without one.
     */
    async createCard(balance: string, options: { currency?: string; pin?: string | null; active?: boolean } = {}) {
      const pin = options.pin === null ? undefined : (options.pin ?? String(1000 + Math.floor(Math.random() * 9000)));
      const response = await http.post('/cards', { balance, currency: options.currency ?? 'USD', ...options, pin });
      if (response.status !== 201) throw new Error(`sandbox createCard: ${response.status} ${JSON.stringify(response.data)}`);
      return { ...(response.data as { cardNumber: string }), pin } as { cardNumber: string; pin: string };
    },
    async card(cardNumber: string): Promise<SandboxCard> {
      const response = await http.get(`/cards/${cardNumber}`);
      if (response.status !== 200) throw new Error(`sandbox card: ${response.status}`);
      return response.data;
    },
    async setFaults(faults: Record<string, unknown>) {
      const response = await http.put('/faults', faults);
      if (response.status >= 300) throw new Error(`sandbox faults: ${response.status} ${JSON.stringify(response.data)}`);
    },
    clearFaults: () => http.delete('/faults'),
    /** The sandbox's readings of Clutch's unknown behaviour, e.g. `{ holdTtlSeconds: 1 }` (holds lapse). */
    async setBehaviour(behaviour: Record<string, unknown>) {
      const response = await http.put('/behaviour', behaviour);
      if (response.status >= 300) throw new Error(`sandbox behaviour: ${response.status} ${JSON.stringify(response.data)}`);
    },
    clearBehaviour: () => http.delete('/behaviour'),
    async ledgerCheck() {
      return (await http.get('/ledger/check')).data as { ok: boolean; problems: unknown[] };
    },
  };
}
