/**
 * An event id is bound to one body: a retry must send what the first request sent. These are the facts of a
 * request that a retry is compared on, in the stored event's terms.
 */
export interface RequestedFacts {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Compared only when the client sent it (a server default differs on every retry by nature). */
  readonly occurredAt?: string;
  readonly channel?: string;
  readonly correlationId?: string;
}

/**
 * The path of the first field (in sorted key order, depth first) where a retried request differs from the
 * stored one, or undefined when they are the same. Fields listed in `unknowable` (personal data whose key was
 * destroyed) cannot be compared and count as equal.
 */
export function firstDifference(
  stored: RequestedFacts,
  retried: RequestedFacts,
  unknowable: readonly string[] = [],
): string | undefined {
  if (stored.type !== retried.type) return 'type';
  const data = { ...stored.data };
  const retriedData = { ...retried.data };
  for (const field of unknowable) {
    delete data[field];
    delete retriedData[field];
  }
  const differing = difference(data, retriedData, 'data');
  if (differing) return differing;
  for (const field of ['occurredAt', 'channel', 'correlationId'] as const) {
    if (retried[field] !== undefined && retried[field] !== stored[field]) return field;
  }
  return undefined;
}

function difference(a: unknown, b: unknown, path: string): string | undefined {
  if (a === b) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let index = 0; index < Math.max(a.length, b.length); index++) {
      const differing = difference(a[index], b[index], `${path}[${index}]`);
      if (differing) return differing;
    }
    return undefined;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const differing = difference(a[key], b[key], `${path}.${key}`);
      if (differing) return differing;
    }
    return undefined;
  }
  return path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
