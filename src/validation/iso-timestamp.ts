/** The earliest year a timestamp may name: the Unix epoch; nothing the ledger records happened before. */
export const EARLIEST_YEAR = 1970;

/** ISO 8601 with a time zone; `compactOffset` also takes `+0100`, which trackers send. */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/;

/**
 * The instant an ISO 8601 timestamp with a time zone names, or undefined when it is not one: a date the
 * calendar has (`2026-02-30` is not, where Date.parse would roll it over to March 2), in or after 1970.
 * With `compactOffset: false` the zone offset needs its colon (`+01:00`), as the /v1 API documents.
 */
export function parseIsoTimestamp(value: unknown, options: { compactOffset: boolean }): Date | undefined {
  const match = typeof value === 'string' ? ISO_TIMESTAMP.exec(value) : null;
  if (!match || (!options.compactOffset && /[+-]\d{4}$/.test(value as string))) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < EARLIEST_YEAR || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  const instant = new Date(value as string);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}
