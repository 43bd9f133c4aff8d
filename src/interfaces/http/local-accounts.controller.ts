import {
  Body,
  Controller,
  ForbiddenException,
  HttpCode,
  HttpException,
  Inject,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, Roles } from '../../config/api-keys';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { LocalAccountError, LocalAccounts } from '../../application/staff-auth/local-accounts';
import { StaffSessions } from '../../application/staff-auth/staff-sessions';
import { RequestValidationError } from '../../validation/request-validation';
import { cookieNames, servedOverTls, setCookie } from './auth/session-cookies';
import { Answers } from './openapi-operations';

type Fields = Record<string, unknown>;

/** A refusal as problem+json: a field's problem as a validation error naming it, anything else with its status. */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof LocalAccountError)) throw error;
    if (error.status === 400 && error.field) {
      throw new RequestValidationError([{ field: error.field, message: error.message }]);
    }
    throw new HttpException(error.message, error.status);
  }
}

/** An invitation to a local staff account: the link to send the person, and until when it works. */
export interface StaffInvitation {
  readonly username: string;
  readonly invitationUrl: string;
  readonly expiresAt: string;
}

/** Local staff accounts: an admin's invitation, the invited person's enrolment, and signing in. */
@ApiTags('staff sign-in')
@Controller()
export class LocalAccountsController {
  private readonly secure: boolean;
  private readonly origin?: string;

  constructor(
    private readonly accounts: LocalAccounts,
    private readonly sessions: StaffSessions,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {
    this.secure = servedOverTls(config.staffSignIn);
    this.origin = config.staffSignIn && new URL(config.staffSignIn.publicUrl).origin;
  }

  @Post('v1/staff/accounts')
  @Roles('admin')
  @ApiOperation({
    summary: 'Invites a person to a local staff account (admin): the answer holds the invitation link',
  })
  @Answers('StaffInvitation', 201)
  async invite(@Body() body: Fields): Promise<StaffInvitation> {
    const invitation = await answering(() => this.accounts.invite(body ?? {}, new Date()));
    return {
      username: invitation.username,
      invitationUrl: `${this.config.staffSignIn!.publicUrl}/invitation.html#${invitation.token}`,
      expiresAt: invitation.expiresAt,
    };
  }

  @Post('auth/invitation/password')
  @Public()
  // The sign-in pages' own calls, not part of the API's contract for clients.
  @ApiExcludeEndpoint()
  @HttpCode(200)
  @ApiOperation({
    summary: 'The invited person sets a password; answers the TOTP secret and the recovery codes, once',
  })
  enrol(@Body() body: Fields) {
    return answering(() => this.accounts.enrol(body?.token, body?.password, new Date()));
  }

  @Post('auth/invitation/confirm')
  @Public()
  // The sign-in pages' own calls, not part of the API's contract for clients.
  @ApiExcludeEndpoint()
  @HttpCode(200)
  @ApiOperation({ summary: 'The first code from the authenticator app activates the account' })
  confirm(@Body() body: Fields) {
    return answering(() => this.accounts.confirm(body?.token, body?.code, new Date()));
  }

  @Post('auth/local')
  @Public()
  // The sign-in pages' own calls, not part of the API's contract for clients.
  @ApiExcludeEndpoint()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Signs in with user name, password and a TOTP or recovery code; sets the session cookie',
  })
  async signIn(
    @Body() body: Fields,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // No session yet, so no anti-forgery token: another site must not sign the browser in as someone else.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.origin) {
      throw new ForbiddenException(`Cross-site sign-in refused: Origin ${origin} is not ${this.origin}`);
    }
    const now = new Date();
    const principal = await answering(() =>
      this.accounts.signIn(body?.username, body?.password, body?.code, now),
    );
    const { token } = await this.sessions.start(principal, now);
    setCookie(reply, cookieNames(this.secure).session, token, { secure: this.secure, sameSite: 'Strict' });
    return { displayName: principal.displayName, roles: principal.roles };
  }
}
