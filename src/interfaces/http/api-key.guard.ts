import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { ANONYMOUS } from './recording-context.decorator';
import { ApiKey, expired, Role, ROLES, ROLES_METADATA } from '../../config/api-keys';
import { StaffSessionResolver } from './auth/staff-session.resolver';
import { FailedAuthentications } from './failed-authentications';

export type AuthenticatedRequest = FastifyRequest & { principal?: string; roles?: readonly Role[] };

export const WRITE_KEY_METADATA = 'ledger:write-key';

/** The roles of the request's API key: every role while the service runs without keys. */
export const CallerRoles = createParamDecorator(
  (_: unknown, context: ExecutionContext): readonly Role[] =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().roles ?? [],
);

/**
 * The endpoint also takes the API key as trackers send their write key (Segment, RudderStack): HTTP Basic with
 * the key as user name and an empty password.
 */
export const AcceptsWriteKey = () => SetMetadata(WRITE_KEY_METADATA, true);

const KEY = /^[\x21-\x7e]{16,256}$/;

/** The user name of `Authorization: Basic base64(<key>:)`, the way trackers send a write key. */
function writeKeyOf(header: unknown): string | undefined {
  const match = typeof header === 'string' ? /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const user = separator < 0 ? decoded : decoded.slice(0, separator);
  return KEY.test(user) ? user : undefined;
}

/** The challenge of every 401 (RFC 6750); `invalid_token` when a key was presented but is not known. */
const challenge = (presented: boolean) =>
  `Bearer realm="customer-interaction-ledger"${presented ? ', error="invalid_token"' : ''}`;

/** The token the guard takes from Nest's container for the pino logger it reports failed authentications to. */
export const AUTHENTICATION_LOGGER = Symbol('AUTHENTICATION_LOGGER');

/**
 * Authorization: Bearer <key> (endpoints marked AcceptsWriteKey: also Basic, the key as user name). The key is
 * hashed and looked up by its SHA-256, so keys never sit in memory or on disk in clear. With no keys configured the service runs open (every role, principal "anonymous") and
 * listens on localhost only. Failed authentications answer 401 with a `WWW-Authenticate` challenge, are
 * logged (client address and route, never the key) and counted per client address: past the limit, the
 * address waits (429 with Retry-After).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Map<string, ApiKey>;
  private readonly failures: FailedAuthentications;

  constructor(
    private readonly reflector: Reflector,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
    private readonly staffSessions: StaffSessionResolver,
    @Inject(AUTHENTICATION_LOGGER) private readonly logger: Logger,
  ) {
    this.keys = new Map(config.apiKeys.map((key) => [key.keySha256, key]));
    this.failures = new FailedAuthentications(config.authFailuresPerMinute);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!allowed) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // A person signed in with a staff session first (docs/staff-sign-in.md), then the API key.
    if (await this.staffSessions.authorize(request, allowed)) return true;
    if (this.keys.size === 0 && !this.config.staffSignIn) {
      request.principal = ANONYMOUS;
      request.roles = ROLES;
      return true;
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const now = Date.now();
    const retryAfter = this.failures.retryAfterSeconds(request.ip, now);
    if (retryAfter !== undefined) {
      void reply.header('retry-after', String(retryAfter));
      throw new HttpException(
        `Too many failed authentications from this address: retry in ${retryAfter} s`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const header = request.headers.authorization;
    const acceptsWriteKey = this.reflector.getAllAndOverride<boolean | undefined>(WRITE_KEY_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const presented =
      (acceptsWriteKey ? writeKeyOf(header) : undefined) ??
      (typeof header === 'string' ? /^Bearer ([\x21-\x7e]{16,256})$/.exec(header)?.[1] : undefined);
    const known = presented && this.keys.get(createHash('sha256').update(presented).digest('hex'));
    const key = known && !expired(known, now) ? known : undefined;
    if (!key) {
      this.failures.record(request.ip, now);
      this.logger.warn(
        {
          clientAddress: request.ip,
          method: request.method,
          route: request.routeOptions.url,
          requestId: request.id,
          reason: known ? 'expired key' : presented ? 'unknown key' : 'no key',
          ...(known && { principal: known.principal }),
        },
        'authentication failed',
      );
      void reply.header('www-authenticate', challenge(Boolean(presented)));
      throw new HttpException(
        known
          ? `This API key expired at ${known.expiresAt}: use the key that replaced it`
          : presented
            ? 'This API key is not known'
            : acceptsWriteKey
              ? 'A write key is required: Authorization: Basic base64(<write key>:), or Bearer <key>'
              : 'An API key is required: Authorization: Bearer <key>',
        HttpStatus.UNAUTHORIZED,
      );
    }
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
