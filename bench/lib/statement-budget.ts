// The statement budget of issue 16, counted through the real stack: every SQL statement the payment adapter
// sends through its own TypeORM pool (BEGIN/START TRANSACTION, COMMIT and ROLLBACK included), the durable
// commits among them, and the provider calls the sandbox answered, for one request at a time. Used by
// test/performance/statement-budget.e2e-spec.ts (which asserts the budget) and by the bench (`statements` and
// `commits` in results.json), so both report the same count.
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { RAW_CONNECT } from '../../libs/database/src/unit-of-work';

export interface Count {
  statements: number;
  /** Durable commits: each COMMIT, and each write sent outside a transaction (it commits on its own). */
  commits: number;
  rollbacks: number;
  providerCalls: number;
  /** Each statement in order, shortened, with the Clutch method of each provider call between them. */
  log: string[];
}

const WRAPPED = Symbol('statement-budget');

/** Counts what the adapter's pool sends; one counter per data source, attached once. */
export class StatementCounter {
  private counting = false;
  private current: Count = empty();
  private lastActivity = 0;
  private readonly inTransaction = new WeakMap<object, boolean>();

  /** Wraps the pg pool under `dataSource` (the adapter's only pool): every client it hands out is counted. */
  attach(dataSource: DataSource): this {
    const pool = (dataSource.driver as unknown as { master?: Pool }).master;
    if (!pool) throw new Error('statement counter: the data source has no pg pool (an embedded database?)');
    // Under a unit of work, the pool's own connect (what reaches the database) is kept apart.
    const slot: string | symbol = RAW_CONNECT in pool ? RAW_CONNECT : 'connect';
    const target = pool as unknown as Record<string | symbol, (...args: unknown[]) => unknown>;
    const connect = target[slot].bind(pool) as (...args: unknown[]) => unknown;
    target[slot] = (...args: unknown[]) => {
      const callback = args[0] as ((error: Error | undefined, client: PoolClient, release: () => void) => void) | undefined;
      if (typeof callback === 'function') {
        return connect((error: Error | undefined, client: PoolClient, release: () => void) => {
          if (client) this.wrap(client);
          callback(error, client, release);
        });
      }
      return (connect() as Promise<PoolClient>).then((client) => this.wrap(client));
    };
    return this;
  }

  /** Counts the provider calls the in-process sandbox answers (its merchant controller's dispatch). */
  attachProvider(merchantController: object): this {
    const target = merchantController as { dispatch: (method: string, ...rest: unknown[]) => Promise<unknown> };
    const dispatch = target.dispatch.bind(target);
    target.dispatch = (method: string, ...rest: unknown[]) => {
      if (this.counting) {
        this.current.providerCalls++;
        this.current.log.push(`-- provider call: ${method}`);
      }
      return dispatch(method, ...rest);
    };
    return this;
  }

  private wrap(client: PoolClient): PoolClient {
    const marked = client as unknown as Record<symbol, boolean>;
    if (marked[WRAPPED]) return client;
    marked[WRAPPED] = true;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      this.record(client, typeof first === 'string' ? first : (first?.text ?? ''));
      return query(...args);
    };
    return client;
  }

  private record(client: object, sql: string): void {
    const text = sql.replace(/\s+/g, ' ').trim();
    const word = text.split(' ', 1)[0].toUpperCase();
    const open = this.inTransaction.get(client) === true;
    let commits = 0;
    let rollbacks = 0;
    if (word === 'BEGIN' || /^START TRANSACTION/i.test(text)) this.inTransaction.set(client, true);
    else if (word === 'COMMIT') {
      this.inTransaction.set(client, false);
      commits = 1;
    } else if (word === 'ROLLBACK' && !/^ROLLBACK TO/i.test(text)) {
      this.inTransaction.set(client, false);
      rollbacks = 1;
    } else if (!open && isWrite(word, text)) commits = 1;
    if (!this.counting) return;
    this.lastActivity = Date.now();
    this.current.statements++;
    this.current.commits += commits;
    this.current.rollbacks += rollbacks;
    this.current.log.push(`${commits && word !== 'COMMIT' ? '[autocommit] ' : ''}${text.slice(0, 160)}`);
  }

  /** Counts what `work` makes the adapter send, and what follows it until the pool has been quiet for `quietMs`. */
  async measure(work: () => Promise<unknown>, quietMs = 150): Promise<Count> {
    this.current = empty();
    this.counting = true;
    this.lastActivity = Date.now();
    try {
      await work();
      while (Date.now() - this.lastActivity < quietMs) await new Promise((resolve) => setTimeout(resolve, 25));
      return this.current;
    } finally {
      this.counting = false;
    }
  }
}

function empty(): Count {
  return { statements: 0, commits: 0, rollbacks: 0, providerCalls: 0, log: [] };
}

/** A statement that changes rows: a plain write, or a WITH whose CTEs or main statement write. */
function isWrite(word: string, text: string): boolean {
  if (['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(word)) return true;
  return word === 'WITH' && /\b(INSERT\s+INTO|UPDATE\s+\w+(\s+AS\s+\w+)?\s+SET|DELETE\s+FROM)\b/i.test(text);
}

/** What the operations need from the stack: plain HTTP to the adapter and the sandbox's admin API. */
export interface BudgetStack {
  adapterUrl: string;
  sandboxUrl: string;
  apiKey: string;
  counter: StatementCounter;
}

export type Operation = 'hold' | 'holdPartial' | 'reversal' | 'settlementFinal' | 'settlementPartial' | 'batchSettlement';
export type Counts = Record<Operation, Count>;

interface Answer {
  status: number;
  body: any;
}

async function call(url: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function expectStatus(what: string, answer: Answer, status: number): any {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * Each operation once, on a card of its own, one request at a time, counted from the request to a quiet pool:
 * hold (allowPartial false, 60.00 of 100.00), holdPartial (35.00 on a card of 25.00), reversal of the first
 * hold, final settlement of a 60.00 hold, partial settlement of 25.00 of a 60.00 hold (with its advanced hold),
 * and one batch settlement drained by `POST /v1/settlement-runs` (the run is counted, not the 202 request).
 * The adapter must run with its scheduled jobs off (nothing else may use its pool meanwhile).
 */
export async function countOperations(stack: BudgetStack): Promise<Counts> {
  const adapter = (path: string, body?: unknown, key = true) =>
    call(`${stack.adapterUrl}${path}`, 'POST', body, { authorization: `Bearer ${stack.apiKey}`, ...(key ? { 'idempotency-key': randomUUID() } : {}) });
  const card = async (balance: string) => {
    const pin = '4321';
    const created = expectStatus('sandbox card', await call(`${stack.sandboxUrl}/_sandbox/cards`, 'POST', { balance, currency: 'USD', pin }), 201);
    return { cardNumber: created.cardNumber as string, pin };
  };
  const hold = (c: { cardNumber: string; pin: string }, amount: string, allowPartial: boolean) =>
    adapter('/v1/authorizations', { orderId: `budget-${randomUUID()}`, cardNumber: c.cardNumber, pin: c.pin, amount, currency: 'USD', allowPartial });
  const measure = stack.counter.measure.bind(stack.counter);
  // One request before counting: the first use of each statement path (pool connections, TypeORM metadata) is not the budget.
  expectStatus('warm-up hold', await hold(await card('100.00'), '1.00', true), 201);

  const counts = {} as Counts;
  let held: Answer | undefined;
  const cardA = await card('100.00');
  counts.hold = await measure(async () => (held = await hold(cardA, '60.00', false)));
  const a = expectStatus('hold', held!, 201);

  const cardB = await card('25.00');
  let partial: Answer | undefined;
  counts.holdPartial = await measure(async () => (partial = await hold(cardB, '35.00', true)));
  if (expectStatus('partial hold', partial!, 201).status !== 'PARTIALLY_APPROVED') throw new Error(`partial hold: ${JSON.stringify(partial!.body)}`);

  let reversed: Answer | undefined;
  counts.reversal = await measure(async () => (reversed = await adapter(`/v1/authorizations/${a.authorizationId}/reversals`, { amount: '0.00' })));
  expectStatus('reversal', reversed!, 200);

  const settle = async (amount: string, final: boolean, mode?: 'batch') => {
    const c = await card('100.00');
    const authorization = expectStatus('hold to settle', await hold(c, '60.00', false), 201);
    const body = { authorizationId: authorization.authorizationId, amount, invoiceId: `INV-${randomUUID()}`, final, ...(mode ? { mode } : {}) };
    return body;
  };
  let settled: Answer | undefined;
  const finalBody = await settle('60.00', true);
  counts.settlementFinal = await measure(async () => (settled = await adapter('/v1/settlements', finalBody)));
  expectStatus('final settlement', settled!, 201);

  const partialBody = await settle('25.00', false);
  counts.settlementPartial = await measure(async () => (settled = await adapter('/v1/settlements', partialBody)));
  if (!expectStatus('partial settlement', settled!, 201).advancedAuthorization) throw new Error(`partial settlement without an advanced hold: ${JSON.stringify(settled!.body)}`);

  const batchBody = await settle('60.00', true, 'batch');
  expectStatus('batch settlement request', await adapter('/v1/settlements', batchBody), 202);
  let run: Answer | undefined;
  counts.batchSettlement = await measure(async () => (run = await adapter('/v1/settlement-runs', undefined, false)));
  const report = expectStatus('settlement run', run!, 200);
  if (report.settled !== 1) throw new Error(`settlement run: ${JSON.stringify(report)}`);
  return counts;
}

/** The adapter settings under which nothing but the counted request uses its pool. */
export const QUIET_ADAPTER_ENV: Record<string, string> = {
  SETTLEMENT_JOB_ENABLED: 'false',
  EXPIRY_JOB_ENABLED: 'false',
  RECOVERY_ENABLED: 'false',
  RECONCILIATION_ENABLED: 'false',
  IDEMPOTENCY_PURGE_CRON: '0 0 0 1 1 *',
  RATE_LIMIT_PER_KEY_PER_MINUTE: '1000000',
  RATE_LIMIT_PER_CARD_PER_MINUTE: '100000',
};

/**
 * Notifications on (the webhook outbox written with each history event): the sender looks for due deliveries once
 * at start and then only every 10 minutes, so it sends nothing while the requests are counted. The receiver's
 * address is never called.
 */
export const WEBHOOKS_ON_ENV: Record<string, string> = {
  WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
  WEBHOOK_SECRET: `whsec_${Buffer.from('statement-budget').toString('base64')}`,
  WEBHOOK_POLL_INTERVAL_MS: '600000',
};
