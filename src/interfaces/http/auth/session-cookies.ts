import type { FastifyReply, FastifyRequest } from 'fastify';
import { StaffSignInConfig } from '../../../config/staff-sign-in-config';

/**
 * The staff cookies. Over TLS they are `Secure` and take the `__Host-` prefix (no Domain, Path=/, set over
 * https only), so no other host can set or read them.
 */
export interface CookieNames {
  /** The session token: HttpOnly, SameSite=Strict, ends with the browser (the server enforces the timeouts). */
  readonly session: string;
  /** The handle of a single sign-on attempt: SameSite=Lax, because the provider's redirect back is cross-site. */
  readonly attempt: string;
}

export const cookieNames = (secure: boolean): CookieNames =>
  secure
    ? { session: '__Host-ledger-session', attempt: '__Host-ledger-sign-in' }
    : { session: 'ledger-session', attempt: 'ledger-sign-in' };

/** Cookies are Secure when staff reach the service over TLS (LEDGER_PUBLIC_URL is https). */
export const servedOverTls = (config: StaffSignInConfig | undefined) =>
  config?.publicUrl.startsWith('https://') ?? false;

/** The value of one cookie of the request, or undefined. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) {
      const value = pair.slice(separator + 1).trim();
      return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** Adds a Set-Cookie header; `maxAgeSeconds` 0 deletes the cookie, undefined makes it last until the browser closes. */
export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: { readonly secure: boolean; readonly sameSite: 'Strict' | 'Lax'; readonly maxAgeSeconds?: number },
): void {
  const attributes = [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    `SameSite=${options.sameSite}`,
    ...(options.secure ? ['Secure'] : []),
    ...(options.maxAgeSeconds === undefined ? [] : [`Max-Age=${options.maxAgeSeconds}`]),
  ];
  const existing = reply.getHeader('set-cookie');
  const cookies = Array.isArray(existing) ? existing : typeof existing === 'string' ? [existing] : [];
  void reply.header('set-cookie', [...cookies, attributes.join('; ')]);
}
