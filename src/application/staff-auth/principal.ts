import { Role } from '../../config/api-keys';
import { Attribution } from '../../ports/attribution';

/** How a principal proved who they are. */
export type Authentication =
  | {
      readonly method: 'sso';
      readonly issuer: string;
      /** The ID token's `amr` (authentication methods), as the identity provider reported them. */
      readonly amr: readonly string[];
      readonly acr?: string;
    }
  | { readonly method: 'local'; readonly secondFactor: 'totp' | 'recovery-code' }
  | { readonly method: 'api-key' };

/**
 * Who a request is: a person signed in through a session, or a machine holding an API key. `subject` is stable
 * (it goes into every event's `actor`); `displayName` is the name at the time.
 */
export interface Principal {
  readonly subject: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly authentication: Authentication;
}

/** The stable subject id of a person signed in through the identity provider. */
export const ssoSubject = (sub: string) => `sso:${sub}`;

/** The stable subject id of a local staff account. */
export const localSubject = (accountId: string) => `local:${accountId}`;

/** The compact form kept in event metadata and the access log: `sso:pwd+otp`, `local:password+totp`, `api-key`. */
export function describeAuthentication(authentication: Authentication): string {
  switch (authentication.method) {
    case 'sso':
      return `sso:${authentication.amr.join('+') || 'no-amr'}`;
    case 'local':
      return `local:password+${authentication.secondFactor}`;
    case 'api-key':
      return 'api-key';
    default: {
      const unknown: never = authentication;
      return unknown;
    }
  }
}

/** What events and access-log entries carry next to `actor`. */
export function attributionOf(principal: Principal): Attribution {
  return principal.authentication.method === 'api-key'
    ? { authentication: 'api-key' }
    : { actorName: principal.displayName, authentication: describeAuthentication(principal.authentication) };
}
