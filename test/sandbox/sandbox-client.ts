import axios, { AxiosRequestConfig, AxiosResponse } from 'axios';
import { ClutchAmount } from '@gcpa/clutch';
import { SANDBOX_CREDENTIALS } from '../harness/apps';

/** Talks to a running sandbox over HTTP, as our client and a person would: no assertions here. */

export const clutchHeaders = (overrides: Record<string, string | undefined> = {}): Record<string, string> => {
  const token = Buffer.from(`${SANDBOX_CREDENTIALS.CLUTCH_API_KEY}:${SANDBOX_CREDENTIALS.CLUTCH_API_SECRET}`).toString('base64');
  const headers: Record<string, string | undefined> = {
    Authorization: `Basic ${token}`,
    Brand: SANDBOX_CREDENTIALS.CLUTCH_BRAND,
    Location: SANDBOX_CREDENTIALS.CLUTCH_LOCATION,
    Terminal: SANDBOX_CREDENTIALS.CLUTCH_TERMINAL,
    'Content-Type': 'application/json',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
};

export const usd = (amount: number, balanceCode = 'USD'): ClutchAmount => ({ balanceType: 'Currency', balanceCode, amount });

export interface CardSummary {
  cardNumber: string;
  pin: string | null;
  currency: string;
  balance: string;
  active: boolean;
}

export interface CardDetail extends CardSummary {
  held: string;
  available: string;
  holds: Array<{ holdId: string; amount: string; status: string }>;
  history: Array<{ transactionId: string; action: string; amount: string; customRequestId: string | null; voided: boolean }>;
}

export function sandboxClient(baseUrl: string) {
  const http = axios.create({ baseURL: baseUrl, validateStatus: () => true });
  return {
    http,
    /** One Clutch merchant call; any HTTP status comes back (transport errors throw). */
    call<T = any>(
      method: string,
      body: unknown,
      headers: Record<string, string | undefined> = {},
      config: AxiosRequestConfig = {},
    ): Promise<AxiosResponse<T>> {
      return http.post(`/merchant/${method}`, body, { headers: clutchHeaders(headers), ...config });
    },
    async createCard(card: {
      balance?: string;
      currency?: string;
      pin?: string;
      cardSetId?: string;
      active?: boolean;
      cardNumber?: string;
    }): Promise<CardSummary> {
      const response = await http.post('/_sandbox/cards', { balance: '0.00', currency: 'USD', ...card });
      if (response.status !== 201) throw new Error(`createCard: ${response.status} ${JSON.stringify(response.data)}`);
      return response.data;
    },
    async card(cardNumber: string): Promise<CardDetail> {
      const response = await http.get(`/_sandbox/cards/${cardNumber}`);
      if (response.status !== 200) throw new Error(`card: ${response.status} ${JSON.stringify(response.data)}`);
      return response.data;
    },
    async ledgerCheck(): Promise<{ ok: boolean; problems: unknown[] }> {
      return (await http.get('/_sandbox/ledger/check')).data;
    },
    async setFaults(settings: Record<string, unknown>) {
      const response = await http.put('/_sandbox/faults', settings);
      if (response.status !== 200) throw new Error(`setFaults: ${response.status} ${JSON.stringify(response.data)}`);
      return response.data;
    },
    clearFaults: () => http.delete('/_sandbox/faults'),
  };
}

export type SandboxClient = ReturnType<typeof sandboxClient>;
