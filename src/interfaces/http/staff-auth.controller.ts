import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, Roles } from '../../config/api-keys';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { OidcSignIn, SignInFailed, SignInRefused } from '../../application/staff-auth/oidc-sign-in';
import { SessionView, StaffSessions } from '../../application/staff-auth/staff-sessions';
import { describeAuthentication } from '../../application/staff-auth/principal';
import { cookieNames, cookieOf, CookieNames, servedOverTls, setCookie } from './auth/session-cookies';
import { StaffSessionResolver } from './auth/staff-session.resolver';
import { sendSignedInPage, sendSignInProblem } from './auth/sign-in-pages';
import { Answers } from './openapi-operations';

/** A person's live sessions, as an admin sees them. */
export interface PersonSessions {
  readonly subject: string;
  readonly sessions: readonly SessionView[];
}

/** How many sessions of a person an admin ended. */
export interface PersonSessionsEnded {
  readonly subject: string;
  readonly ended: number;
}

/** Staff sign in as people: single sign-on, the session, signing out, and an admin ending someone's sessions. */
@ApiTags('staff sign-in')
@Controller()
export class StaffAuthController {
  private readonly secure: boolean;
  private readonly cookies: CookieNames;

  constructor(
    private readonly oidc: OidcSignIn,
    private readonly sessions: StaffSessions,
    private readonly resolver: StaffSessionResolver,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {
    this.secure = servedOverTls(config.staffSignIn);
    this.cookies = cookieNames(this.secure);
  }

  @Get('auth/options')
  @Public()
  // The sign-in pages' own calls, not part of the API's contract for clients.
  @ApiExcludeEndpoint()
  @ApiOperation({ summary: 'How staff may sign in here: single sign-on, local accounts, API keys' })
  options() {
    return {
      singleSignOn: this.oidc.enabled,
      localAccounts: this.config.staffSignIn?.localAccounts ?? false,
      apiKeys: this.config.apiKeys.length > 0,
    };
  }

  @Get('auth/sign-in')
  @Public()
  @ApiExcludeEndpoint()
  async signIn(@Res() reply: FastifyReply): Promise<void> {
    if (!this.oidc.enabled) throw new NotFoundException('Single sign-on is not configured here');
    const { url, handle } = await this.oidc.begin(new Date());
    setCookie(reply, this.cookies.attempt, handle, {
      secure: this.secure,
      sameSite: 'Lax',
      maxAgeSeconds: 600,
    });
    void reply.redirect(url, 302);
  }

  @Get('auth/callback')
  @Public()
  @ApiExcludeEndpoint()
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.oidc.enabled) throw new NotFoundException('Single sign-on is not configured here');
    setCookie(reply, this.cookies.attempt, '', { secure: this.secure, sameSite: 'Lax', maxAgeSeconds: 0 });
    const now = new Date();
    try {
      const principal = await this.oidc.complete(
        cookieOf(request, this.cookies.attempt),
        `${this.config.staffSignIn!.publicUrl}${request.url}`,
        now,
      );
      const { token } = await this.sessions.start(principal, now);
      setCookie(reply, this.cookies.session, token, { secure: this.secure, sameSite: 'Strict' });
      sendSignedInPage(reply, principal.displayName);
    } catch (error) {
      if (error instanceof SignInRefused) {
        return sendSignInProblem(request, reply, {
          type: `/problems/${error.refusal.code}`,
          title:
            error.refusal.code === 'second-factor-required'
              ? 'A second factor is required'
              : 'No ledger role',
          status: 403,
          detail: error.message,
        });
      }
      if (error instanceof SignInFailed) {
        return sendSignInProblem(request, reply, {
          type: '/problems/sign-in-failed',
          title: 'Sign-in failed',
          status: 401,
          detail: error.message,
        });
      }
      throw error;
    }
  }

  @Get('auth/session')
  @Public()
  // The sign-in pages' own calls, not part of the API's contract for clients.
  @ApiExcludeEndpoint()
  @ApiOperation({
    summary:
      'Who is signed in with the session cookie, and the anti-forgery token their page sends on writes',
  })
  async session(@Req() request: FastifyRequest) {
    const found = await this.resolver.sessionOf(request);
    if (!found) throw new UnauthorizedException('Not signed in');
    const { principal, csrfToken, startedAt, lastSeenAt } = found.session;
    return {
      subject: principal.subject,
      displayName: principal.displayName,
      roles: principal.roles,
      authentication: describeAuthentication(principal.authentication),
      csrfToken,
      startedAt,
      lastSeenAt,
    };
  }

  @Post('auth/sign-out')
  @Public()
  // The sign-in pages' own calls, not part of the API's contract for clients.
  @ApiExcludeEndpoint()
  @HttpCode(204)
  @ApiOperation({ summary: 'Ends this session (needs x-csrf-token)' })
  async signOut(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const found = await this.resolver.sessionOf(request);
    if (found) {
      this.resolver.checkNotForged(request, found.session);
      await this.sessions.end(found.token);
    }
    setCookie(reply, this.cookies.session, '', { secure: this.secure, sameSite: 'Strict', maxAgeSeconds: 0 });
  }

  @Get('v1/staff/:subject/sessions')
  @Roles('admin')
  @ApiOperation({ summary: "A person's live sessions (admin)" })
  @Answers('PersonSessions')
  async sessionsOf(@Param('subject') subject: string): Promise<PersonSessions> {
    return { subject, sessions: await this.sessions.of(subject) };
  }

  @Delete('v1/staff/:subject/sessions')
  @Roles('admin')
  @ApiOperation({ summary: 'Ends every session of a person at once (admin), for a lost laptop or a leaver' })
  @Answers('PersonSessionsEnded')
  async endSessionsOf(@Param('subject') subject: string): Promise<PersonSessionsEnded> {
    return { subject, ended: await this.sessions.endAllOf(subject) };
  }
}
