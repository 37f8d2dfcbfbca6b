import { ClutchErrorMessages } from '@gcpa/clutch';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ClutchError, ConnectionAbandoned } from './clutch-error';

/**
 * Every failure in Clutch's shape `{success: false, errorMessage, requestRef}`; never a stack trace, and
 * nothing at all when a fault chose to drop the connection.
 */
@Catch()
export class ClutchExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ClutchSandbox');

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
    const [status, errorMessage] = describe(error);
    if (status >= 500 && !(error instanceof ClutchError)) this.logger.error((error as Error)?.stack ?? String(error));
    reply.status(status).send({ success: false, errorMessage, requestRef: randomUUID() });
  }
}

function describe(error: unknown): [number, string] {
  if (error instanceof ClutchError) return [error.httpStatus, error.errorMessage];
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Body parsing (invalid JSON, wrong content type) and unknown routes arrive here from Fastify via Nest.
    if (status === 404) return [404, `${ClutchErrorMessages.invalidRequestPrefix} ${error.message}`];
    if (status < 500) return [status, `${ClutchErrorMessages.invalidRequestPrefix} ${error.message}`];
  }
  return [500, ClutchErrorMessages.internal];
}
