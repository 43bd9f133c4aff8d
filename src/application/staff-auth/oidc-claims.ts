import { Role, ROLES } from '../../config/api-keys';
import { OidcSettings } from '../../config/staff-sign-in-config';
import { Principal, ssoSubject } from './principal';

/** Why a verified sign-in is still refused: the page and the problem+json say so. */
export type SignInRefusal =
  | { readonly code: 'no-role'; readonly message: string }
  | { readonly code: 'second-factor-required'; readonly message: string };

/** A value at a dotted path (`realm_access.roles` for Keycloak), or undefined. */
function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      claims,
    );
}

const strings = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : typeof value === 'string'
      ? value.split(/[\s,]+/).filter(Boolean)
      : [];

/**
 * The principal of a person whose ID token the relying-party library has verified (signature, issuer,
 * audience, expiry, nonce), or why they may not sign in: no mapped role, or a role that reads personal data
 * without a second factor in `amr`/`acr`.
 */
export function principalFromClaims(
  claims: Readonly<Record<string, unknown>>,
  settings: OidcSettings,
): { principal: Principal } | { refusal: SignInRefusal } {
  const values = strings(claimAt(claims, settings.roleClaim));
  const roles = ROLES.filter((role) => values.some((value) => settings.roleMap[value]?.includes(role)));
  if (roles.length === 0) {
    return {
      refusal: {
        code: 'no-role',
        message: `Your account has no ledger role: none of its "${settings.roleClaim}" values is mapped (LEDGER_OIDC_ROLE_MAP).`,
      },
    };
  }
  const amr = strings(claims.amr);
  const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
  const needsFactor = roles.filter((role: Role) => settings.factorRoles.includes(role));
  const hasFactor =
    amr.some((method) => settings.requiredAmr.includes(method)) ||
    (acr !== undefined && settings.requiredAcr.includes(acr));
  if (needsFactor.length > 0 && !hasFactor) {
    const wanted = [
      settings.requiredAmr.length > 0 && `amr ${settings.requiredAmr.join(' or ')}`,
      settings.requiredAcr.length > 0 && `acr ${settings.requiredAcr.join(' or ')}`,
    ].filter(Boolean);
    return {
      refusal: {
        code: 'second-factor-required',
        message: `The ${needsFactor.join(', ')} role reads personal data and needs a second factor, but the identity provider reported ${amr.length > 0 ? `amr ${amr.join(', ')}` : 'no amr'}${acr ? ` and acr ${acr}` : ''}; it wants ${wanted.join(' or ')}. Sign in again with your second factor.`,
      },
    };
  }
  const sub = String(claims.sub);
  const displayName =
    [claims.name, claims.preferred_username, claims.email].find(
      (value): value is string => typeof value === 'string' && value.length > 0,
    ) ?? sub;
  return {
    principal: {
      subject: ssoSubject(sub),
      displayName,
      roles,
      authentication: { method: 'sso', issuer: settings.issuer, amr, ...(acr && { acr }) },
    },
  };
}
