import { parseStaffSignIn } from './staff-sign-in-config';

const OIDC = {
  LEDGER_PUBLIC_URL: 'https://ledger.example.com',
  LEDGER_OIDC_ISSUER: 'https://idp.example.com/realms/staff',
  LEDGER_OIDC_CLIENT_ID: 'ledger',
  LEDGER_OIDC_CLIENT_SECRET: 's3cret',
  LEDGER_OIDC_ROLE_MAP: 'ledger-reps=rep, ledger-admins=admin+auditor',
};

describe('staff sign-in configuration', () => {
  it('is off without LEDGER_OIDC_* and local accounts', () => {
    expect(parseStaffSignIn({})).toEqual({ problems: [] });
  });

  it('reads single sign-on with its defaults', () => {
    expect(parseStaffSignIn(OIDC)).toEqual({
      problems: [],
      staffSignIn: {
        publicUrl: 'https://ledger.example.com',
        localAccounts: false,
        sessions: { idleMinutes: 30, absoluteHours: 12 },
        oidc: {
          issuer: 'https://idp.example.com/realms/staff',
          clientId: 'ledger',
          clientSecret: 's3cret',
          redirectUrl: 'https://ledger.example.com/auth/callback',
          scopes: 'openid profile email',
          roleClaim: 'groups',
          roleMap: { 'ledger-reps': ['rep'], 'ledger-admins': ['admin', 'auditor'] },
          factorRoles: ['rep', 'auditor', 'admin'],
          requiredAmr: ['mfa', 'otp', 'hwk', 'swk'],
          requiredAcr: [],
        },
      },
    });
  });

  it('names every bad value', () => {
    const { problems } = parseStaffSignIn({
      LEDGER_PUBLIC_URL: 'ledger.example.com/app',
      LEDGER_OIDC_ISSUER: 'http://idp.example.com',
      LEDGER_OIDC_ROLE_MAP: 'ledger-reps=superuser',
      LEDGER_OIDC_FACTOR_ROLES: 'rep,boss',
      LEDGER_SESSION_IDLE_MINUTES: '0',
      LEDGER_LOCAL_ACCOUNTS: 'yes',
    });
    expect(problems).toEqual([
      'LEDGER_LOCAL_ACCOUNTS must be on or off',
      expect.stringMatching(/^LEDGER_PUBLIC_URL must be/),
      'LEDGER_SESSION_IDLE_MINUTES must be an integer from 1 to 1440',
      'LEDGER_OIDC_ISSUER must use https (http only for a provider on this machine)',
      expect.stringMatching(/^LEDGER_OIDC_CLIENT_ID must be set/),
      expect.stringMatching(/^LEDGER_OIDC_CLIENT_SECRET must be set/),
      expect.stringMatching(/^LEDGER_OIDC_ROLE_MAP: "ledger-reps=superuser" must be/),
      expect.stringMatching(/^LEDGER_OIDC_FACTOR_ROLES must list roles/),
    ]);
  });

  it('allows plain http for a provider on this machine only', () => {
    expect(parseStaffSignIn({ ...OIDC, LEDGER_OIDC_ISSUER: 'http://localhost:4000' }).problems).toEqual([]);
  });
});
