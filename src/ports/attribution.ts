/**
 * Who did something, beyond the stable id in `actor`: the person's display name at the time and how they
 * authenticated. Event metadata and access-log entries carry it next to `actor` (docs/staff-sign-in.md).
 */
export interface Attribution {
  /** The person's display name when they acted; absent for machines (API keys). */
  readonly actorName?: string;
  /** `sso:<amr factors joined by +>`, `local:password+totp`, `local:password+recovery-code` or `api-key`. */
  readonly authentication: string;
}
