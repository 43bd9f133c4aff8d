import { SetMetadata } from '@nestjs/common';

export const ROLES = ['ingest', 'rep', 'analyst', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** An API key as configured: who it is, what it may do, and the SHA-256 of the key (never the key). */
export interface ApiKey {
  readonly principal: string;
  readonly roles: readonly Role[];
  readonly keySha256: string;
  /**
   * When the key stops working (ISO 8601), if it should: a rotation lists the new key beside the old one, the
   * old one with the end of the overlap (docs/operations.md#api-keys-expiry-and-rotation).
   */
  readonly expiresAt?: string;
}

/** Whether a key has expired at `now` (ms since the epoch). */
export function expired(key: ApiKey, now: number): boolean {
  return key.expiresAt !== undefined && Date.parse(key.expiresAt) <= now;
}

export const ROLES_METADATA = 'ledger:roles';

/**
 * Who may change a registered customer's contact details, on /v1 and through the tracking API. A key with the
 * ingest role alone may be public (a write key ships in the shop's pages), so it never can: it records
 * touchpoints and creates customers and anonymous visitors, nothing that rewrites a known person.
 */
export const CONTACT_CHANGE_ROLES = ['rep'] as const satisfies readonly Role[];

/** Who may merge a registered customer into another, on /v1 and by a tracker's alias; not a write key. */
export const MERGE_ROLES = ['rep', 'admin'] as const satisfies readonly Role[];

/** Whether a key with `roles` holds one of `allowed`. */
export function holdsAny(roles: readonly Role[], allowed: readonly Role[]): boolean {
  return roles.some((role) => allowed.includes(role));
}

/** The roles allowed to call an endpoint. Every endpoint declares its roles, or that it is @Public(). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_METADATA, roles);

export const PUBLIC_METADATA = 'ledger:public';

/** The endpoint answers anyone, without an API key or a staff session (health, metrics, the pages, sign-in). */
export const Public = () => SetMetadata(PUBLIC_METADATA, true);

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses and checks a LEDGER_API_KEYS_FILE document; returns the problems found, one per bad value. */
export function parseApiKeys(json: string): { keys: ApiKey[]; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { keys: [], problems: [`LEDGER_API_KEYS_FILE is not valid JSON: ${(error as Error).message}`] };
  }
  if (!Array.isArray(parsed)) return { keys: [], problems: ['LEDGER_API_KEYS_FILE must hold a JSON array'] };
  const problems: string[] = [];
  const keys = parsed.flatMap((entry: unknown, index): ApiKey[] => {
    const { principal, roles, keySha256, expiresAt } = (entry ?? {}) as Record<string, unknown>;
    const where = `LEDGER_API_KEYS_FILE[${index}]`;
    const before = problems.length;
    if (typeof principal !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(principal)) {
      problems.push(`${where}.principal must be a name of 1 to 64 letters, digits or ._@-`);
    }
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((role) => ROLES.includes(role as Role))) {
      problems.push(`${where}.roles must be a non-empty list of ${ROLES.join(', ')}`);
    }
    if (typeof keySha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(keySha256)) {
      problems.push(`${where}.keySha256 must be the hex SHA-256 of the key (64 hex digits)`);
    }
    if (
      expiresAt !== undefined &&
      (typeof expiresAt !== 'string' || !ISO_INSTANT.test(expiresAt) || Number.isNaN(Date.parse(expiresAt)))
    ) {
      problems.push(`${where}.expiresAt must be an ISO 8601 instant such as 2027-01-31T00:00:00Z`);
    }
    return problems.length === before
      ? [
          {
            principal: principal as string,
            roles: roles as Role[],
            keySha256: (keySha256 as string).toLowerCase(),
            ...(typeof expiresAt === 'string' && { expiresAt: new Date(expiresAt).toISOString() }),
          },
        ]
      : [];
  });
  return { keys, problems };
}
