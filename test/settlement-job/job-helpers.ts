import { AxiosInstance } from 'axios';
import { randomUUID } from 'node:crypto';
import { withKey } from '../harness/clients';
import { Stack } from '../harness/stack';

/** Every test stack of these suites: no scheduled runs (each test runs the job itself), short retries. */
export const JOB_TEST_ENV = {
  SETTLEMENT_JOB_ENABLED: 'false',
  RECOVERY_ENABLED: 'false',
  SETTLEMENT_RETRY_BASE_MS: '100',
  SETTLEMENT_RETRY_MAX_MS: '400',
  CLUTCH_TIMEOUT_MS: '5000',
};

export interface RunReport {
  claimed: number;
  settled: number;
  retried: number;
  failed: number;
  backlog: number;
  durationMs: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A card with `balance` and an authorization of `amount` on it, for a new order. */
export async function authorize(stack: Stack, balance: string, amount: string) {
  const card = await stack.admin.createCard(balance);
  const orderId = `O-${randomUUID()}`;
  const response = await stack.oms.post('/v1/authorizations', { orderId, cardNumber: card.cardNumber, pin: card.pin, amount, currency: 'USD' }, withKey());
  if (response.status !== 201) throw new Error(`authorize: ${response.status} ${JSON.stringify(response.data)}`);
  return { cardNumber: card.cardNumber, pin: card.pin, orderId, authorizationId: response.data.authorizationId as string };
}

/** A batch settlement (202, OPEN); returns its id. */
export async function settleLater(oms: AxiosInstance, authorizationId: string, amount: string, invoiceId: string, final = false) {
  const response = await oms.post('/v1/settlements', { authorizationId, amount, invoiceId, final, mode: 'batch' }, withKey());
  if (response.status !== 202) throw new Error(`batch settle: ${response.status} ${JSON.stringify(response.data)}`);
  expect(response.data.status).toBe('OPEN');
  return response.data.settlementId as string;
}

export async function runJob(oms: AxiosInstance): Promise<RunReport> {
  const response = await oms.post('/v1/settlement-runs');
  if (response.status !== 200) throw new Error(`settlement run: ${response.status} ${JSON.stringify(response.data)}`);
  return response.data;
}

/** Runs the job until no batch settlement is left open (retries wait for their backoff in between). */
export async function runUntilDrained(oms: AxiosInstance, timeoutMs = 60000): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await runJob(oms);
    reports.push(report);
    if (report.backlog === 0) return reports;
    if (Date.now() > deadline) throw new Error(`backlog not drained: ${JSON.stringify(reports.slice(-3))}`);
    await sleep(150);
  }
}

export const total = (reports: RunReport[], field: keyof RunReport) => reports.reduce((sum, r) => sum + r[field], 0);

/** Non-zero redeems at the provider (a hold release is a redeem of 0), with the reference we sent. */
export async function providerRedeems(stack: Stack, cardNumber: string) {
  const card = await stack.admin.card(cardNumber);
  return [...card.history]
    .reverse() // the sandbox lists newest first
    .filter((t) => t.action === 'redeem' && Number(t.amount) > 0)
    .map((t) => ({ amount: String(t.amount), customRequestId: t.customRequestId as string }));
}

export async function settlementRows(stack: Stack, rootAuthorizationId: string) {
  return stack.db.query<{ id: string; status: string; failure_reason: string | null; attempts: number; served_authorization_id: string; advanced_authorization_id: string | null }>(
    `SELECT * FROM payment_adapter.settlement WHERE root_authorization_id = $1 ORDER BY created_at, id`,
    [rootAuthorizationId],
  );
}

/** The card's open hold disappears at the provider behind our back (voided, where the sandbox lets holds be): a redeem from it is declined. */
export async function voidHoldBehindOurBack(stack: Pick<Stack, 'admin' | 'sandbox'>, cardNumber: string) {
  const holdId = (await stack.admin.card(cardNumber)).holds.find((h) => h.status === 'OPEN')!.holdId;
  await fetch(`${stack.sandbox.url}/_sandbox/behaviour`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ voidHolds: true }) });
  const voided = await fetch(`${stack.sandbox.url}/merchant/voidTransaction`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from('test-key:test-secret').toString('base64')}`,
      Brand: 'test-brand',
      Location: 'ops',
      Terminal: 'ops',
    },
    body: JSON.stringify({ transactionId: holdId }),
  });
  expect((await voided.json()).success).toBe(true);
  await fetch(`${stack.sandbox.url}/_sandbox/behaviour`, { method: 'DELETE' });
}
