import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Role } from '../../../config/api-keys';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { Principal } from '../../../application/staff-auth/principal';
import {
  csrfTokenMatches,
  StaffSession,
  StaffSessions,
} from '../../../application/staff-auth/staff-sessions';
import { cookieNames, cookieOf, servedOverTls } from './session-cookies';

/** The request once a staff session has been found: the person behind it. */
export type StaffRequest = FastifyRequest & {
  principal?: string;
  roles?: readonly Role[];
  staff?: Principal;
};

/** The header the page sends its session's anti-forgery token in. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who a request is when it carries a staff session cookie. The API-key guard asks here first and falls back to
 * the API key. A state-changing request made with the cookie must also carry the session's anti-forgery token
 * in `x-csrf-token` (a page on another site can make the browser send the cookie, but cannot read the token),
 * and, when the browser names its Origin, come from the service's own origin. API-key requests are exempt:
 * a browser never adds an Authorization header by itself.
 */
@Injectable()
export class StaffSessionResolver {
  private readonly cookie?: string;
  private readonly origin?: string;

  constructor(
    private readonly sessions: StaffSessions,
    @Inject(LEDGER_CONFIG) config: LedgerConfig,
  ) {
    if (config.staffSignIn) {
      this.cookie = cookieNames(servedOverTls(config.staffSignIn)).session;
      this.origin = new URL(config.staffSignIn.publicUrl).origin;
    }
  }

  /** The session of the request's cookie, still live, and the token it came with; undefined without one. */
  async sessionOf(request: FastifyRequest): Promise<{ session: StaffSession; token: string } | undefined> {
    const token = this.cookie && cookieOf(request, this.cookie);
    if (!token) return undefined;
    const session = await this.sessions.resume(token, new Date());
    return session && { session, token };
  }

  /**
   * Authorizes the request by its session when it has one (true), or leaves it to the API key (false).
   * Throws 403 for a forged state-changing request or a person without one of the endpoint's roles.
   */
  async authorize(request: StaffRequest, allowed: readonly Role[]): Promise<boolean> {
    const found = await this.sessionOf(request);
    if (!found) return false;
    this.checkNotForged(request, found.session);
    const { principal } = found.session;
    if (!principal.roles.some((role) => allowed.includes(role))) {
      throw new ForbiddenException(`This endpoint needs one of the roles ${allowed.join(', ')}`);
    }
    request.principal = principal.subject;
    request.roles = principal.roles;
    request.staff = principal;
    return true;
  }

  /** The anti-forgery rule for a request made with the session cookie. */
  checkNotForged(request: FastifyRequest, session: StaffSession): void {
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.origin) {
      throw new ForbiddenException(`Cross-site request refused: Origin ${origin} is not ${this.origin}`);
    }
    const token = request.headers[CSRF_HEADER];
    if (!csrfTokenMatches(session, typeof token === 'string' ? token : undefined)) {
      throw new ForbiddenException(
        `A request made with a staff session must carry the session's anti-forgery token in ${CSRF_HEADER} (GET /auth/session gives it)`,
      );
    }
  }
}
