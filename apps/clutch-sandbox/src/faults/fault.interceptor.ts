import { ClutchTransportMessages } from '@gcpa/clutch';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, map, switchMap } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClutchError, ConnectionAbandoned } from '../protocol/clutch-error';
import { FaultDecision } from './fault-dice';
import { FaultsService } from './faults.service';

/**
 * Applies the configured faults to a merchant call: latency before handling; then an error, a rate limit,
 * a hang or a reset instead of handling (nothing applied); or, after the operation committed, a drop or a 500.
 */
@Injectable()
export class FaultInterceptor implements NestInterceptor {
  constructor(private readonly faults: FaultsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest<{ Params: { method?: string } }>>();
    const reply = http.getResponse<FastifyReply>();
    const decision = this.faults.roll(request.params.method ?? '');
    if (decision === null) return next.handle();
    return from(this.beforeHandling(decision, request, reply)).pipe(
      switchMap(() => next.handle()),
      map((body) => {
        if (decision.outcome === 'drop') abandon(request, reply, 'drop');
        // Applied and committed, then an internal error: a 5xx on a money call may have been applied.
        if (decision.outcome === 'applyThenError') throw new ClutchError(500, ClutchTransportMessages.internal);
        return body;
      }),
    );
  }

  private async beforeHandling(decision: FaultDecision, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    switch (decision.outcome) {
      case 'error':
        throw new ClutchError(503, ClutchTransportMessages.internal);
      case 'rateLimit':
        throw new ClutchError(429, ClutchTransportMessages.rateLimited);
      case 'timeout':
        reply.hijack();
        await untilClosedOr(request, this.faults.settings.hangMs);
        abandon(request, reply, 'timeout');
        break;
      case 'reset':
        abandon(request, reply, 'reset');
        break;
      default:
        break;
    }
  }
}

/** Destroys the connection without an answer; Fastify is told the reply is handled so it writes nothing. */
function abandon(request: FastifyRequest, reply: FastifyReply, fault: string): never {
  if (!reply.sent) reply.hijack();
  request.raw.socket?.destroy();
  throw new ConnectionAbandoned(fault);
}

/** Waits `ms`, or less if the client gives up first. */
function untilClosedOr(request: FastifyRequest, ms: number): Promise<void> {
  const socket = request.raw.socket;
  if (!socket || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('close', done);
  });
}
