import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { ANONYMOUS } from './recording-context.decorator';
import { ApiKey, Role, ROLES, ROLES_METADATA } from '../../config/api-keys';

export type AuthenticatedRequest = FastifyRequest & { principal?: string; roles?: readonly Role[] };

/**
 * Authorization: Bearer <key>. The key is hashed and looked up by its SHA-256, so keys never sit in memory or
 * on disk in clear. With no keys configured the service runs open (every role, principal "anonymous") and
 * listens on localhost only.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Map<string, ApiKey>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {
    this.keys = new Map(config.apiKeys.map((key) => [key.keySha256, key]));
  }

  canActivate(context: ExecutionContext): boolean {
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!allowed) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.keys.size === 0) {
      request.principal = ANONYMOUS;
      request.roles = ROLES;
      return true;
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{16,256})$/.exec(header) : null;
    if (!match) {
      throw new HttpException('An API key is required: Authorization: Bearer <key>', HttpStatus.UNAUTHORIZED);
    }
    const key = this.keys.get(createHash('sha256').update(match[1]!).digest('hex'));
    if (!key) throw new HttpException('This API key is not known', HttpStatus.UNAUTHORIZED);
    if (!key.roles.some((role) => allowed.includes(role))) {
      throw new HttpException(
        `This endpoint needs one of the roles ${allowed.join(', ')}`,
        HttpStatus.FORBIDDEN,
      );
    }
    request.principal = key.principal;
    request.roles = key.roles;
    return true;
  }
}
