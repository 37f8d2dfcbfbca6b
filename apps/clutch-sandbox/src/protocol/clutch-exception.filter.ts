import { CLUTCH_ERRORS, ClutchRefusal, ClutchTransportMessages } from '@gcpa/clutch';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { SandboxBehaviour } from '../behaviour/sandbox-behaviour';
import { ClutchError, ConnectionAbandoned } from './clutch-error';

/**
 * Every failure in Clutch's shape `{success: false, errorCode, errorMessage, requestRef}` (the code on
 * refusals, HTTP 400); never a stack trace, and nothing at all when a fault chose to drop the connection.
 */
@Catch()
@Injectable()
export class ClutchExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ClutchSandbox');

  constructor(private readonly behaviour: SandboxBehaviour) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof ConnectionAbandoned || reply.sent || reply.raw.destroyed) return;
    const url = host.switchToHttp().getRequest<FastifyRequest>().url ?? '';
    if (error instanceof HttpException && !/^\/(merchant|_sandbox)(\/|\?|$)/.test(url)) {
      // Not a Clutch or admin route (e.g. /health reporting a database down): Nest's usual answer.
      const body = error.getResponse();
      reply.status(error.getStatus()).send(typeof body === 'string' ? { statusCode: error.getStatus(), message: body } : body);
      return;
    }
    const [status, errorMessage, refusal] = describe(error);
    if (status >= 500 && !(error instanceof ClutchError)) this.logger.error((error as Error)?.stack ?? String(error));
    const errorCode = refusal ? { errorCode: this.behaviour.codeFor(refusal) } : {};
    reply.status(status).send({ success: false, ...errorCode, errorMessage, requestRef: randomUUID() });
  }
}

function describe(error: unknown): [number, string, ClutchRefusal | undefined] {
  if (error instanceof ClutchError) return [error.httpStatus, error.errorMessage, error.refusal];
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Body parsing (invalid JSON, wrong content type) and unknown routes arrive here from Fastify via Nest.
    const text = `${CLUTCH_ERRORS.invalidRequest.message} ${error.message}`;
    if (status === 400) return [400, text, 'invalidRequest'];
    if (status < 500) return [status, text, undefined];
  }
  return [500, ClutchTransportMessages.internal, undefined];
}
