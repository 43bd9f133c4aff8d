import { Module } from '@nestjs/common';
import { LocalAccounts } from '../application/staff-auth/local-accounts';
import { OidcSignIn } from '../application/staff-auth/oidc-sign-in';
import { ReadStaffActivityHandler } from '../application/staff-auth/staff-activity.query';
import { StaffSessions } from '../application/staff-auth/staff-sessions';

/** Staff sign-in: sessions, single sign-on, local accounts, and what a person read or changed. */
@Module({
  providers: [StaffSessions, OidcSignIn, LocalAccounts, ReadStaffActivityHandler],
  exports: [StaffSessions, OidcSignIn, LocalAccounts],
})
export class StaffAuthModule {}
