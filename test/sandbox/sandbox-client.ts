import axios, { AxiosRequestConfig, AxiosResponse } from 'axios';
import { CLUTCH_ERRORS, ClutchAmount, ClutchBalance, ClutchRefusal } from '@gcpa/clutch';
import { SANDBOX_CREDENTIALS } from '../harness/apps';

/**
 * Talks to a running sandbox over HTTP, as our client and a person would: no assertions here, only calls
 * and the wire shapes of the shared Clutch notes (clutch-api.md) as Jest matchers for the specs to use.
 */

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

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `{success: false, errorCode, errorMessage, requestRef}` of a refusal, with the default code of the table (or `code`). */
export const refused = (reason: ClutchRefusal, code: number = CLUTCH_ERRORS[reason].code) => ({
  success: false,
  errorCode: code,
  errorMessage: CLUTCH_ERRORS[reason].message,
  requestRef: expect.stringMatching(UUID),
});

/** An `Invalid request: <what>` refusal (HTTP 400, our code for it). */
export const invalid = (what: RegExp | string) => ({
  success: false,
  errorCode: CLUTCH_ERRORS.invalidRequest.code,
  errorMessage: expect.stringMatching(typeof what === 'string' ? new RegExp(`^Invalid request: .*${what}`) : what),
  requestRef: expect.stringMatching(UUID),
});

/** The value entry of a card's `balances`, in major units. */
export const valueEntry = (amount: number, balanceCode = 'USD', scale = 2): ClutchBalance => ({
  balanceType: 'Currency',
  balanceCode,
  amount,
  scale,
  isHold: false,
});

/** One open hold's entry of a card's `balances`. */
export const holdEntry = (amount: number, holdingTransactionId: string, balanceCode = 'USD', scale = 2): ClutchBalance => ({
  balanceType: 'Currency',
  balanceCode,
  amount,
  scale,
  isHold: true,
  holdingTransactionId,
});

/** Available = the sum of the non-hold Currency entries (clutch-api.md, search). */
export const availableOf = (balances: ClutchBalance[], balanceCode = 'USD'): number =>
  Math.round(
    balances.filter((b) => !b.isHold && b.balanceType === 'Currency' && b.balanceCode === balanceCode).reduce((sum, b) => sum + b.amount * 100, 0),
  ) / 100;

export interface CardSummary {
  cardNumber: string;
  pin: string | null;
  currency: string;
  balance: string;
  active: boolean;
}

export interface CardDetail extends CardSummary {
  cardSetId: string;
  held: string;
  available: string;
  holds: Array<{ holdId: string; amount: string; originalAmount: string; status: string }>;
  history: Array<{
    transactionId: string;
    action: string;
    amount: string;
    customRequestId: string | null;
    relatedTransactionId: string | null;
    isReturnRelated: boolean;
    voided: boolean;
  }>;
}

export interface BehaviourSettings {
  overBalanceHold: 'refuse' | 'holdShort';
  holdTtlSeconds: number | null;
  errorCodes: Record<ClutchRefusal, number>;
  allocateIdempotent: boolean;
  voidHolds: boolean;
}

export function sandboxClient(baseUrl: string) {
  const http = axios.create({ baseURL: baseUrl, validateStatus: () => true });
  const call = <T = any>(
    method: string,
    body: unknown,
    headers: Record<string, string | undefined> = {},
    config: AxiosRequestConfig = {},
  ): Promise<AxiosResponse<T>> => http.post(`/merchant/${method}`, body, { headers: clutchHeaders(headers), ...config });
  /** `search` as our client sends it: balances and activation date, inactive cards included unless told otherwise. */
  const search = (cardNumber: string, options: { pin?: string; includeInactive?: boolean } = {}) =>
    call('search', {
      filters: { cardNumber },
      returnFields: { balances: true, activationDate: true },
      includeInactive: options.includeInactive ?? true,
      ...(options.pin !== undefined ? { forcePinValidation: true, pin: options.pin } : {}),
    });
  const redeemFromHold = (cardNumber: string, holdId: string, amount: number, releaseHoldRemainder = true, extra: Record<string, unknown> = {}) =>
    call('updateBalance', {
      cardNumber,
      action: 'redeem',
      amount: usd(amount),
      redeemFromHoldTransactionId: holdId,
      ...(releaseHoldRemainder ? { releaseHoldRemainder: true } : {}),
      ...extra,
    });
  return {
    http,
    /** One Clutch merchant call; any HTTP status comes back (transport errors throw). */
    call,
    search,
    /** The card's `balances` as `search` shows them (throws when the card is not listed). */
    async balances(cardNumber: string): Promise<ClutchBalance[]> {
      const response = await search(cardNumber);
      if (response.status !== 200 || response.data.cards?.length !== 1) throw new Error(`balances: ${response.status} ${JSON.stringify(response.data)}`);
      return response.data.cards[0].balances;
    },
    hold(cardNumber: string, amount: number, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
      return call('updateBalance', { cardNumber, action: 'hold', amount: usd(amount), ...extra }, headers);
    },
    redeem(cardNumber: string, amount: number, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
      return call('updateBalance', { cardNumber, action: 'redeem', amount: usd(amount), ...extra }, headers);
    },
    redeemFromHold,
    /** The zero-amount reversal: releases the whole hold. */
    release: (cardNumber: string, holdId: string) => redeemFromHold(cardNumber, holdId, 0, true),
    issue(cardNumber: string, amount: number, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
      return call('updateBalance', { cardNumber, action: 'issue', amount: usd(amount), ...extra }, headers);
    },
    voidTransaction(transactionId: string) {
      return call('voidTransaction', { transactionId });
    },
    history(cardNumber: string, page: { limit?: number; offset?: number } = {}) {
      return call('cardHistory', { cardNumber, ...page });
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
    /** `PUT /_sandbox/behaviour`: what is left out takes its default. */
    async setBehaviour(settings: Partial<Omit<BehaviourSettings, 'errorCodes'>> & { errorCodes?: Partial<Record<ClutchRefusal, number>> }): Promise<BehaviourSettings> {
      const response = await http.put('/_sandbox/behaviour', settings);
      if (response.status !== 200) throw new Error(`setBehaviour: ${response.status} ${JSON.stringify(response.data)}`);
      return response.data;
    },
    resetBehaviour: () => http.delete('/_sandbox/behaviour'),
  };
}

export type SandboxClient = ReturnType<typeof sandboxClient>;
