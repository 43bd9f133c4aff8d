import { OidcSettings } from '../../config/staff-sign-in-config';
import { principalFromClaims } from './oidc-claims';

const settings: OidcSettings = {
  issuer: 'https://idp.example.com',
  clientId: 'ledger',
  clientSecret: 'secret',
  redirectUrl: 'https://ledger.example.com/auth/callback',
  scopes: 'openid profile',
  roleClaim: 'groups',
  roleMap: { 'ledger-reps': ['rep'], 'ledger-analysts': ['analyst'], 'ledger-admins': ['admin', 'auditor'] },
  factorRoles: ['rep', 'auditor', 'admin'],
  requiredAmr: ['mfa', 'otp'],
  requiredAcr: ['urn:example:loa:2'],
};

describe('principalFromClaims', () => {
  it('maps groups to roles and keeps the subject, the name and the factors', () => {
    expect(
      principalFromClaims(
        {
          sub: 'u-1',
          name: 'Rosa Rep',
          groups: ['staff', 'ledger-reps', 'ledger-admins'],
          amr: ['pwd', 'otp'],
        },
        settings,
      ),
    ).toEqual({
      principal: {
        subject: 'sso:u-1',
        displayName: 'Rosa Rep',
        roles: ['rep', 'auditor', 'admin'],
        authentication: { method: 'sso', issuer: 'https://idp.example.com', amr: ['pwd', 'otp'] },
      },
    });
  });

  it('refuses a rep without a second factor, and accepts one proven by acr instead of amr', () => {
    const withoutFactor = principalFromClaims(
      { sub: 'u-1', groups: ['ledger-reps'], amr: ['pwd'] },
      settings,
    );
    expect(withoutFactor).toEqual({
      refusal: { code: 'second-factor-required', message: expect.stringContaining('amr pwd') },
    });
    const byAcr = principalFromClaims(
      { sub: 'u-1', groups: ['ledger-reps'], amr: ['pwd'], acr: 'urn:example:loa:2' },
      settings,
    );
    expect(byAcr).toMatchObject({
      principal: { roles: ['rep'], authentication: { acr: 'urn:example:loa:2' } },
    });
  });

  it('lets an analyst (pseudonymous data only) in with a password, and refuses someone without a mapped group', () => {
    expect(
      principalFromClaims({ sub: 'a-1', email: 'ann@example.com', groups: 'ledger-analysts' }, settings),
    ).toEqual({
      principal: expect.objectContaining({ displayName: 'ann@example.com', roles: ['analyst'] }),
    });
    expect(principalFromClaims({ sub: 'x', groups: ['staff'], amr: ['mfa'] }, settings)).toEqual({
      refusal: { code: 'no-role', message: expect.stringContaining('"groups"') },
    });
  });

  it('reads a nested claim such as Keycloak realm roles', () => {
    const keycloak = { ...settings, roleClaim: 'realm_access.roles' };
    expect(
      principalFromClaims({ sub: 'k', realm_access: { roles: ['ledger-reps'] }, amr: ['otp'] }, keycloak),
    ).toMatchObject({ principal: { roles: ['rep'] } });
  });
});
