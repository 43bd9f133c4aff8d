import { Role, ROLES } from './api-keys';

/** How long a staff session lasts: idle (no request) and in all. */
export interface SessionTimeouts {
  readonly idleMinutes: number;
  readonly absoluteHours: number;
}

/** Single sign-on with the company's OpenID Connect provider (docs/staff-sign-in.md). */
export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** `<public URL>/auth/callback`: registered with the provider as the redirect URI. */
  readonly redirectUrl: string;
  readonly scopes: string;
  /** The ID-token claim that lists the person's groups or roles, such as `groups` or `roles`. */
  readonly roleClaim: string;
  /** Claim value -> ledger roles; values not listed give no role. */
  readonly roleMap: Readonly<Record<string, readonly Role[]>>;
  /** Roles that may read personal data and so need a second factor. */
  readonly factorRoles: readonly Role[];
  /** Any of these in the token's `amr` proves a second factor... */
  readonly requiredAmr: readonly string[];
  /** ...and so does any of these as its `acr`. */
  readonly requiredAcr: readonly string[];
}

export interface StaffSignInConfig {
  /** Where staff reach the service (scheme://host[:port]): links, the callback, Origin checks, Secure cookies. */
  readonly publicUrl: string;
  readonly oidc?: OidcSettings;
  /** Local staff accounts with password and TOTP, for a business without an identity provider. */
  readonly localAccounts: boolean;
  readonly sessions: SessionTimeouts;
}

const DEFAULT_AMR = ['mfa', 'otp', 'hwk', 'swk'];

/**
 * LEDGER_PUBLIC_URL, LEDGER_OIDC_*, LEDGER_LOCAL_ACCOUNTS and LEDGER_SESSION_*: staff sign-in, or undefined
 * when neither single sign-on nor local accounts are on. One problem per bad value.
 */
export function parseStaffSignIn(env: NodeJS.ProcessEnv): {
  staffSignIn?: StaffSignInConfig;
  problems: string[];
} {
  const problems: string[] = [];
  const oidcVariables = Object.keys(env).filter((name) => name.startsWith('LEDGER_OIDC_') && env[name]);
  const localAccounts = env.LEDGER_LOCAL_ACCOUNTS === 'on';
  if (env.LEDGER_LOCAL_ACCOUNTS && !['on', 'off'].includes(env.LEDGER_LOCAL_ACCOUNTS)) {
    problems.push('LEDGER_LOCAL_ACCOUNTS must be on or off');
  }
  if (oidcVariables.length === 0 && !localAccounts) return { problems };

  const publicUrl = (env.LEDGER_PUBLIC_URL ?? '').replace(/\/+$/, '');
  if (!isWebOrigin(publicUrl)) {
    problems.push(
      'LEDGER_PUBLIC_URL must be the address staff open the service at, such as https://ledger.example.com (staff sign-in is on)',
    );
  }
  const sessions = {
    idleMinutes: wholeNumber(env, 'LEDGER_SESSION_IDLE_MINUTES', 30, 1, 24 * 60, problems),
    absoluteHours: wholeNumber(env, 'LEDGER_SESSION_MAX_HOURS', 12, 1, 24 * 30, problems),
  };
  const oidc = oidcVariables.length > 0 ? parseOidc(env, publicUrl, problems) : undefined;
  return { staffSignIn: { publicUrl, oidc, localAccounts, sessions }, problems };
}

function parseOidc(env: NodeJS.ProcessEnv, publicUrl: string, problems: string[]): OidcSettings {
  const issuer = env.LEDGER_OIDC_ISSUER ?? '';
  if (!isHttpUrl(issuer)) {
    problems.push(
      "LEDGER_OIDC_ISSUER must be the identity provider's issuer URL, such as https://login.example.com/realms/staff",
    );
  } else if (new URL(issuer).protocol === 'http:' && !isLoopbackHost(new URL(issuer).hostname)) {
    problems.push('LEDGER_OIDC_ISSUER must use https (http only for a provider on this machine)');
  }
  for (const name of ['LEDGER_OIDC_CLIENT_ID', 'LEDGER_OIDC_CLIENT_SECRET'] as const) {
    if (!env[name])
      problems.push(`${name} must be set (from the client registered with the identity provider)`);
  }
  const roleMap: Record<string, Role[]> = {};
  for (const entry of (env.LEDGER_OIDC_ROLE_MAP ?? '').split(',').filter((text) => text.trim())) {
    const [value = '', roles = ''] = entry.split('=').map((part) => part.trim());
    const mapped = roles.split('+').map((role) => role.trim());
    if (!value || !mapped.every((role) => ROLES.includes(role as Role))) {
      problems.push(
        `LEDGER_OIDC_ROLE_MAP: "${entry}" must be CLAIM_VALUE=ROLE[+ROLE] with roles among ${ROLES.join(', ')}`,
      );
    } else {
      roleMap[value] = mapped as Role[];
    }
  }
  if (Object.keys(roleMap).length === 0 && !problems.some((p) => p.startsWith('LEDGER_OIDC_ROLE_MAP'))) {
    problems.push(
      'LEDGER_OIDC_ROLE_MAP must map at least one claim value to ledger roles, such as ledger-reps=rep',
    );
  }
  const factorRoles = list(env.LEDGER_OIDC_FACTOR_ROLES, ['rep', 'auditor', 'admin']);
  if (!factorRoles.every((role) => ROLES.includes(role as Role))) {
    problems.push(`LEDGER_OIDC_FACTOR_ROLES must list roles among ${ROLES.join(', ')} (or be empty)`);
  }
  return {
    issuer,
    clientId: env.LEDGER_OIDC_CLIENT_ID ?? '',
    clientSecret: env.LEDGER_OIDC_CLIENT_SECRET ?? '',
    redirectUrl: `${publicUrl}/auth/callback`,
    scopes: env.LEDGER_OIDC_SCOPES?.trim() || 'openid profile email',
    roleClaim: env.LEDGER_OIDC_ROLE_CLAIM?.trim() || 'groups',
    roleMap,
    factorRoles: factorRoles as Role[],
    requiredAmr: list(env.LEDGER_OIDC_REQUIRED_AMR, DEFAULT_AMR),
    requiredAcr: list(env.LEDGER_OIDC_REQUIRED_ACR, []),
  };
}

/** A comma-separated list; unset takes the default, set but empty is an empty list. */
function list(value: string | undefined, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** scheme://host[:port] with nothing after it. */
function isWebOrigin(text: string): boolean {
  return isHttpUrl(text) && new URL(text).origin === text;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}
