import { CanActivate, ExecutionContext, HttpStatus, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/domain-errors';
import { AdapterConfig } from '../config/adapter.config';
import { ApiKey, matchApiKey, parseApiKeys } from './api-keys';

const PUBLIC = 'auth:public';
/** Routes anyone may call (health). */
export const Public = () => SetMetadata(PUBLIC, true);

const READ_ONLY = 'auth:read-only';
/** A POST that moves no money (a balance inquiry): read-only keys may call it. */
export const ReadOnlyOperation = () => SetMetadata(READ_ONLY, true);

const OPERATOR = 'auth:operator';
/**
 * An operator action (the console's): `allowed` lets operator keys call this POST beside payments keys
 * (a recheck, a retry, a run); `only` is for operator keys alone (an operator's decision on an unknown outcome).
 */
export const OperatorOperation = (mode: 'allowed' | 'only' = 'allowed') => SetMetadata(OPERATOR, mode);

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  apiKey?: ApiKey;
  raw?: { apiKey?: ApiKey };
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110). '' when none. */
export function bearerToken(header: string | string[] | undefined): string {
  const match = typeof header === 'string' ? /^bearer\s+(\S.*)$/i.exec(header.trim()) : null;
  return match ? match[1].trim() : '';
}

/** `Authorization: Bearer <key>`: 401 without a valid key, 403 when a read-only key tries to move money. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: ApiKey[];

  constructor(
    private readonly reflector: Reflector,
    config: AdapterConfig,
  ) {
    this.keys = parseApiKeys(config.API_KEYS, config.isProduction);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const token = bearerToken(header);
    const key = token ? matchApiKey(this.keys, token) : undefined;
    if (!key) {
      throw new DomainError(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED', 'Send a valid API key as "Authorization: Bearer <key>"');
    }
    const readOnly = request.method === 'GET' || this.reflector.get<boolean>(READ_ONLY, context.getHandler());
    if (key.scope === 'read' && !readOnly) {
      throw new DomainError(HttpStatus.FORBIDDEN, 'FORBIDDEN', `API key "${key.name}" is read-only`);
    }
    const operator = this.reflector.get<'allowed' | 'only' | undefined>(OPERATOR, context.getHandler());
    if (key.scope === 'operator' && !readOnly && !operator) {
      throw new DomainError(HttpStatus.FORBIDDEN, 'FORBIDDEN', `API key "${key.name}" is an operator key: it reads and runs operator actions, it does not move money`);
    }
    if (operator === 'only' && key.scope !== 'operator') {
      throw new DomainError(HttpStatus.FORBIDDEN, 'FORBIDDEN', `This is an operator's decision: it needs a key with the operator scope (API key "${key.name}" has ${key.scope})`);
    }
    request.apiKey = key;
    if (request.raw) request.raw.apiKey = key; // the request logger sees the raw Node request
    return true;
  }
}
