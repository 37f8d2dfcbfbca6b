import { CallHandler, HttpCode, HttpStatus, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { defer, lastValueFrom } from 'rxjs';
import { DomainError, businessRule, notFound, providerUnavailable, validationFailed } from '../common/domain-errors';
import { HttpResult } from '../common/http-result';
import { UnitOfWork } from '../database/unit-of-work.module';
import { InMemoryIdempotencyKeys } from './idempotency-keys.fake';
import { Idempotent, IdempotencyInterceptor } from './idempotency.interceptor';

/** The handlers the interceptor reads its metadata from, as on a controller. */
class Routes {
  @Idempotent() hold() {}
  @Idempotent() @HttpCode(HttpStatus.ACCEPTED) settleInBatch() {}
  @Idempotent('optional') @HttpCode(HttpStatus.OK) inquire() {}
  notIdempotent() {}
}

interface Request {
  route?: keyof Routes;
  key?: unknown;
  body?: unknown;
  apiKey?: string;
  url?: string;
  method?: string;
}

const LEASE_SECONDS = 60;

describe('IdempotencyInterceptor', () => {
  let now: number;
  let keys: InMemoryIdempotencyKeys;
  let interceptor: IdempotencyInterceptor;
  let insideUnit: boolean;
  /** For each run of a handler: whether it ran inside the unit of work. */
  let ranInUnit: boolean[];
  beforeEach(() => {
    now = Date.parse('2025-01-01T00:00:00Z');
    keys = new InMemoryIdempotencyKeys({ leaseSeconds: LEASE_SECONDS, waitForDuplicateMs: 100, now: () => now });
    insideUnit = false;
    ranInUnit = [];
    // A pass-through unit of work that says whether the request ran in it.
    const units: UnitOfWork = {
      run: async (work) => {
        insideUnit = true;
        try {
          return await work();
        } finally {
          insideUnit = false;
        }
      },
    };
    interceptor = new IdempotencyInterceptor(new Reflector(), keys, units);
  });

  /** Sends a request through the interceptor to `handler`; a refusal before the handler rejects like one after it. */
  function send(request: Request, handler: () => Promise<unknown>): Promise<unknown> {
    const key = 'key' in request ? request.key : 'K-1';
    const { route = 'hold', body = { orderId: 'ORD-1', amount: '25.00' }, apiKey = 'oms', url = '/v1/authorizations', method = 'POST' } = request;
    const headers: Record<string, unknown> = key === undefined ? {} : { 'idempotency-key': key };
    const context = new ExecutionContextHost([{ headers, method, url, body, apiKey: { name: apiKey } }, {}], Routes, Routes.prototype[route]);
    const next: CallHandler = { handle: () => defer(handler) };
    try {
      return lastValueFrom(interceptor.intercept(context, next), { defaultValue: undefined });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A handler that counts its runs and answers with each of `answers` in turn (an Error is thrown). */
  function handler(...answers: unknown[]) {
    let runs = 0;
    return jest.fn(async (): Promise<unknown> => {
      ranInUnit.push(insideUnit);
      const answer = answers[Math.min(runs++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    });
  }

  const refused = async (pending: Promise<unknown>) => {
    const error = await pending.then(() => undefined, (e: unknown) => e);
    if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
    return { status: error.status, code: error.code };
  };

  it('runs an idempotent request inside the unit of work, and a request without a key outside it', async () => {
    await send({}, handler({}));
    await send({ route: 'inquire', key: undefined }, handler({}));
    await send({ route: 'notIdempotent' }, handler({}));
    expect(ranInUnit).toEqual([true, false, false]);
  });

  describe('replays a final answer with its status and body', () => {
    it('a 2xx: the status of the route, the body the handler returned', async () => {
      const hold = handler({ authorizationId: 'a-1', status: 'APPROVED' });
      expect(await send({}, hold)).toEqual({ authorizationId: 'a-1', status: 'APPROVED' });
      expect(await send({}, hold)).toEqual(new HttpResult(201, { authorizationId: 'a-1', status: 'APPROVED' }));
      expect(hold).toHaveBeenCalledTimes(1);

      const settle = handler({ settlementId: 's-1' });
      await send({ route: 'settleInBatch', key: 'K-2' }, settle);
      expect(await send({ route: 'settleInBatch', key: 'K-2' }, settle)).toEqual(new HttpResult(202, { settlementId: 's-1' }));
      expect(settle).toHaveBeenCalledTimes(1);
    });

    it("an HttpResult's own status, and the body it keeps for replays (secrets shown once)", async () => {
      const issue = handler(new HttpResult(201, { cardNumber: '6672591668547256', pin: '2083' }, { cardNumber: '****7256', pin: null }));
      expect(await send({}, issue)).toEqual(new HttpResult(201, { cardNumber: '6672591668547256', pin: '2083' }, { cardNumber: '****7256', pin: null }));
      expect(await send({}, issue)).toEqual(new HttpResult(201, { cardNumber: '****7256', pin: null }));
      expect(issue).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['404', notFound('Authorization', 'a-404'), 404, 'NOT_FOUND'],
      ['422', businessRule('INSUFFICIENT_FUNDS', 'The card holds 0.00'), 422, 'INSUFFICIENT_FUNDS'],
    ])('a %s the rules decided: thrown the first time, answered as stored after', async (_name, error, status, code) => {
      const hold = handler(error, { authorizationId: 'should not run' });
      expect(await refused(send({}, hold))).toEqual({ status, code });
      expect(await send({}, hold)).toEqual(new HttpResult(status, { error: { code, message: error.message } }));
      expect(hold).toHaveBeenCalledTimes(1);
    });
  });

  describe('lets a retry run again after an answer that decided nothing', () => {
    it.each([
      ['503 (provider unavailable)', providerUnavailable('Clutch did not answer', 'NOT_APPLIED')],
      ['500 (an unexpected error)', new Error('connection reset')],
      ['400 (validation)', validationFailed([{ field: 'amount', problems: ['must be positive'] }])],
      ['409 (a conflict)', new DomainError(HttpStatus.CONFLICT, 'INVOICE_ALREADY_SETTLED', 'Invoice INV-1 is already settled')],
      ['404 not from the rules (a Nest HttpException)', new NotFoundException()],
    ])('%s', async (_name, error) => {
      const hold = handler(error, { authorizationId: 'a-2' });
      await expect(send({}, hold)).rejects.toBe(error);
      expect(await send({}, hold)).toEqual({ authorizationId: 'a-2' });
      // The retry's answer is the one kept.
      expect(await send({}, hold)).toEqual(new HttpResult(201, { authorizationId: 'a-2' }));
      expect(hold).toHaveBeenCalledTimes(2);
    });
  });

  describe('the fingerprint: method, path and body', () => {
    it('another body with the same key is 409 IDEMPOTENCY_CONFLICT, and does not run', async () => {
      const hold = handler({ authorizationId: 'a-1' });
      await send({ body: { orderId: 'ORD-1', amount: '25.00' } }, hold);
      expect(await refused(send({ body: { orderId: 'ORD-1', amount: '26.00' } }, hold))).toEqual({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
      expect(await refused(send({ url: '/v1/refunds' }, hold))).toEqual({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
      expect(hold).toHaveBeenCalledTimes(1);
    });

    it('another body is 409 even after an attempt that was let go (a 503)', async () => {
      const hold = handler(providerUnavailable('Clutch did not answer', 'UNKNOWN'), { authorizationId: 'a-1' });
      await expect(send({}, hold)).rejects.toBeInstanceOf(DomainError);
      expect(await refused(send({ body: { orderId: 'ORD-2', amount: '25.00' } }, hold))).toEqual({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
      expect(hold).toHaveBeenCalledTimes(1);
    });

    it('ignores the order of the fields and the query string', async () => {
      const hold = handler({ authorizationId: 'a-1' });
      await send({ body: { orderId: 'ORD-1', amount: '25.00', card: { pin: '1', number: '2' } } }, hold);
      const replay = await send({ body: { card: { number: '2', pin: '1' }, amount: '25.00', orderId: 'ORD-1' }, url: '/v1/authorizations?trace=1' }, hold);
      expect(replay).toEqual(new HttpResult(201, { authorizationId: 'a-1' }));
      expect(hold).toHaveBeenCalledTimes(1);
    });

    it("keeps each API key's keys apart", async () => {
      const hold = handler({ authorizationId: 'mine' }, { authorizationId: 'theirs' });
      await send({ apiKey: 'oms' }, hold);
      expect(await send({ apiKey: 'other' }, hold)).toEqual({ authorizationId: 'theirs' });
      expect(await send({ apiKey: 'oms' }, hold)).toEqual(new HttpResult(201, { authorizationId: 'mine' }));
    });
  });

  describe('the Idempotency-Key header', () => {
    it('is required on a required route: 400 without it, and nothing runs', async () => {
      const hold = handler({});
      const error = await send({ key: undefined }, hold).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', details: { fields: [{ field: 'Idempotency-Key' }] } });
      expect(hold).not.toHaveBeenCalled();
    });

    it('is optional on an optional route: without it every request runs and nothing is kept; with it, it is replayed', async () => {
      const inquire = handler({ availableBalance: '10.00' });
      expect(await send({ route: 'inquire', key: undefined }, inquire)).toEqual({ availableBalance: '10.00' });
      expect(await send({ route: 'inquire', key: undefined }, inquire)).toEqual({ availableBalance: '10.00' });
      expect(inquire).toHaveBeenCalledTimes(2);
      expect(keys.size).toBe(0);

      await send({ route: 'inquire', key: 'B-1' }, inquire);
      expect(await send({ route: 'inquire', key: 'B-1' }, inquire)).toEqual(new HttpResult(200, { availableBalance: '10.00' }));
      expect(inquire).toHaveBeenCalledTimes(3);
    });

    it('is ignored on a route that is not idempotent', async () => {
      const read = handler({ ok: true });
      await send({ route: 'notIdempotent' }, read);
      await send({ route: 'notIdempotent' }, read);
      expect(read).toHaveBeenCalledTimes(2);
      expect(keys.size).toBe(0);
    });

    it.each([
      ['empty', ''],
      ['longer than 255 characters', 'k'.repeat(256)],
      ['holding a space', 'has space'],
      ['not ASCII', 'clé'],
      ['holding a control character', 'a\tb'],
      ['sent twice', ['K-1', 'K-2']],
    ])('is 400 when it is %s, on required and optional routes alike', async (_name, key) => {
      const hold = handler({});
      for (const route of ['hold', 'inquire'] as const) {
        expect(await send({ route, key }, hold).catch((e: unknown) => e)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      }
      expect(hold).not.toHaveBeenCalled();
    });

    it('accepts 255 visible ASCII characters', async () => {
      const hold = handler({ ok: true });
      expect(await send({ key: `${'!~'.repeat(127)}x` }, hold)).toEqual({ ok: true });
    });
  });

  describe('a duplicate while the first request runs', () => {
    /** A handler that answers only once `release` is called. */
    function gated(answer: unknown) {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const run = jest.fn(async () => {
        await gate;
        return answer;
      });
      return { run, release };
    }

    it('is 409 REQUEST_IN_PROGRESS when the first does not answer in time, and does not run', async () => {
      const slow = gated({ authorizationId: 'a-1' });
      const first = send({}, slow.run);
      expect(await refused(send({}, slow.run))).toEqual({ status: 409, code: 'REQUEST_IN_PROGRESS' });
      slow.release();
      expect(await first).toEqual({ authorizationId: 'a-1' });
      expect(slow.run).toHaveBeenCalledTimes(1);
    });

    it('cannot overwrite the answer of the request that took its key over once its lease ran out', async () => {
      const slow = gated({ from: 'first' });
      const first = send({}, slow.run);
      await new Promise((resolve) => setImmediate(resolve)); // the first holds the key
      now += (LEASE_SECONDS + 1) * 1000; // and outlives its lease without renewing it
      expect(await send({}, handler({ from: 'second' }))).toEqual({ from: 'second' });
      slow.release();
      expect(await first).toEqual({ from: 'first' });
      expect(await send({}, handler({ from: 'third' }))).toEqual(new HttpResult(201, { from: 'second' }));
    });
  });
});
