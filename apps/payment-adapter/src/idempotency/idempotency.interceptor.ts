import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { UnitsOfWork } from '@gcpa/database';
import { from, lastValueFrom, Observable } from 'rxjs';
import { DomainError, validationFailed } from '../common/domain-errors';
import { toErrorResponse } from '../common/error.filter';
import { HttpResult } from '../common/http-result';
import { UnitOfWork } from '../database/unit-of-work.module';
import { IdempotencyKeys } from './idempotency-keys';

const IDEMPOTENT = 'idempotency:mode';
/** `required` for every operation that moves money; `optional` for safe POSTs such as balance inquiries. */
export const Idempotent = (mode: 'required' | 'optional' = 'required') => SetMetadata(IDEMPOTENT, mode);

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The namespace of a request's idempotency keys: the name of its API key. */
export const idempotencyScope = (apiKey: { name: string } | undefined) => apiKey?.name ?? '';

/**
 * The key a resource (authorization, settlement, refund, fulfillment) is stored under: scoped by the API key's
 * name like the idempotency store, so one OMS's key never finds another's resource. Names hold no `:`.
 */
export const resourceIdempotencyKey = (apiKey: { name: string } | undefined, key: string) => `${idempotencyScope(apiKey)}:${key}`;

/** A request is never kept from being taken over for longer than this, however long it runs. */
const MAX_RENEWED_MS = 10 * 60_000;

/** Answers worth replaying: what the operation decided. Anything else (5xx, 400, 409) lets a retry run again. */
const isFinal = (status: number) => status < 400 || status === HttpStatus.UNPROCESSABLE_ENTITY || status === HttpStatus.NOT_FOUND;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: IdempotencyKeys,
    private readonly units: UnitOfWork,
  ) {}

  /**
   * Renews the key's lease at a third of its length while the request works (a slow provider can outlast one lease),
   * so that a duplicate waits for this request's answer instead of taking the key over. Renewal stops with the
   * request, after `MAX_RENEWED_MS` (a request stuck that long is left to be taken over), or once the lease was lost.
   */
  private renewWhileRunning(scope: string, key: string, owner: string): NodeJS.Timeout {
    const started = Date.now();
    // Outside the request's unit of work: a renewal commits at once, on its own connection.
    const timer: NodeJS.Timeout = UnitsOfWork.outside(() => setInterval(() => {
      if (Date.now() - started > MAX_RENEWED_MS) return clearInterval(timer);
      this.store.renew(scope, key, owner).then(
        (held) => held || clearInterval(timer),
        () => undefined, // the next tick tries again
      );
    }, (this.store.leaseSeconds * 1000) / 3));
    timer.unref();
    return timer;
  }

  private async execute(scope: string, key: string, fingerprint: string, defaultStatus: number, next: CallHandler): Promise<unknown> {
    const begin = await this.store.begin(scope, key, fingerprint);
    if (begin.kind === 'replay') return new HttpResult(begin.status, begin.body);
    const { owner } = begin;
    const renewal = this.renewWhileRunning(scope, key, owner);
    let result: unknown;
    try {
      result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      const { status, body } = toErrorResponse(error);
      if (isFinal(status) && error instanceof DomainError) {
        await this.store.complete(scope, key, owner, status, body);
      } else {
        await this.store.abandon(scope, key, owner);
      }
      throw error;
    } finally {
      clearInterval(renewal);
    }
    const status = result instanceof HttpResult ? result.status : defaultStatus;
    const body = result instanceof HttpResult ? (result.storedBody ?? result.body) : result;
    await this.store.complete(scope, key, owner, status, body);
    return result;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const mode = this.reflector.get<'required' | 'optional' | undefined>(IDEMPOTENT, context.getHandler());
    if (!mode) return next.handle();
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; method: string; url: string; body: unknown; apiKey?: { name: string } }>();
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (key === undefined && mode === 'optional') return next.handle();
    if (key === undefined) {
      throw validationFailed([{ field: 'Idempotency-Key', problems: ["header Idempotency-Key is required: the OMS's own id for this request (a retry with the same key replays the first answer)"] }]);
    }
    if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw validationFailed([{ field: 'Idempotency-Key', problems: ['header Idempotency-Key must be 1 to 255 visible ASCII characters'] }]);
    }
    const path = request.url.split('?')[0];
    const fingerprint = createHash('sha256').update(`${request.method} ${path}\n${canonical(request.body ?? null)}`).digest('hex');
    const defaultStatus =
      this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? 201 : 200);

    // Each API key has its own namespace: two OMSs (or a test and production key) never see each other's answers.
    const scope = idempotencyScope(request.apiKey);
    // One unit of work: the key's row commits with the request's first writes (its intent), and its answer with
    // the request's last (its outcome), not each in a commit of its own.
    return from(this.units.run(() => this.execute(scope, key, fingerprint, defaultStatus, next)));
  }
}
