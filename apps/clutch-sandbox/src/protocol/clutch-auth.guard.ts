import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { SandboxConfig } from '../config/sandbox.config';
import { unauthorized } from './clutch-error';

/**
 * Clutch's authentication: `Authorization: Basic base64(key:secret)`, the `Brand` the key belongs to, and a
 * `Location` and `Terminal`. Anything missing or wrong is HTTP 401 with Clutch's message.
 */
@Injectable()
export class ClutchAuthGuard implements CanActivate {
  private readonly expectedAuthorization: Buffer;

  constructor(private readonly config: SandboxConfig) {
    const token = Buffer.from(`${config.CLUTCH_API_KEY}:${config.CLUTCH_API_SECRET}`).toString('base64');
    this.expectedAuthorization = Buffer.from(`Basic ${token}`);
  }

  canActivate(context: ExecutionContext): boolean {
    const headers = context.switchToHttp().getRequest<FastifyRequest>().headers;
    const given = Buffer.from(header(headers.authorization));
    const credentialsMatch =
      given.length === this.expectedAuthorization.length && timingSafeEqual(given, this.expectedAuthorization);
    if (!credentialsMatch || header(headers.brand) !== this.config.CLUTCH_BRAND) throw unauthorized();
    if (header(headers.location).trim() === '' || header(headers.terminal).trim() === '') throw unauthorized();
    return true;
  }
}

const header = (value: string | string[] | undefined): string => (Array.isArray(value) ? value[0] ?? '' : value ?? '');
