import { ComplaintHistory } from './complaint-history.projection';
import { latestConsentGiven } from './consent';
import { customersByDayFigure, dayOf, periodFigures } from './period-figures';
import { Counters } from './population-figure';

/**
 * Complaints kept by the day and the month they were filed (UTC), so that the complaint report reads a few
 * dozen buckets instead of every complaint history. Each complaint adds to its bucket `filed`,
 * `category:<category>` (`category` alone when it has none) and `severity:<severity>`; once resolved,
 * `resolved@<day>`, `satisfied@<day>` or `dissatisfied@<day>`, dated by the day of its resolution; and
 * `pending@<day of resolution>`, or `pending` while unresolved, which tells the backlog as of any day. A
 * customer whose latest choice withdrew analytics consent adds only `withoutConsent`, to the bucket of their
 * first complaint.
 *
 * The time a complaint took is kept in days to three significant digits (resolutionDays), so that a bucket
 * holds a bounded number of them however many complaints it counts: `took:<days>@<day of resolution>` in the
 * day it was filed, `took:<days>@<month of resolution>` in that month, and `took:<days>@filed:<month filed>`
 * in the day it was resolved when that lies in a later month (not in the month's bucket), from which a
 * question tells which of the complaints filed in a whole month were resolved by a day of its as-of month.
 */
export const complaintFigures = periodFigures<ComplaintHistory>(
  'complaints',
  (history) => complaintContributions(history),
  (counter) => {
    const took = tookOf(counter);
    if (took === undefined) return counter;
    return took.filedIn === undefined ? `took:${took.days}@${took.resolvedOn.slice(0, 7)}` : undefined;
  },
);

/** How finely the durations behind the median time to resolution are kept: in days, to this many digits. */
export const RESOLUTION_DAYS_SIGNIFICANT_DIGITS = 3;

/**
 * The days from filing to resolution, to three significant digits: within 0.5% of the exact time, whole days
 * under 1000 kept exactly (CFPB's are whole days, at most 215). Rounding keeps the order, so the median (and
 * any percentile) of these is within 0.5% of the exact one.
 */
export function resolutionDays(filedAt: string, resolvedAt: string): number {
  const days = Math.max(0, Date.parse(resolvedAt) - Date.parse(filedAt)) / DAY_MS;
  return Number(days.toPrecision(RESOLUTION_DAYS_SIGNIFICANT_DIGITS));
}

/**
 * A `took:` counter read back: its days as the counter names them (daysInCounter), and the day (or month) of
 * resolution or the month of filing.
 */
export function tookOf(
  counter: string,
): { days: string; resolvedOn: string; filedIn?: undefined } | { days: string; filedIn: string } | undefined {
  if (!counter.startsWith('took:')) return undefined;
  const at = counter.lastIndexOf('@');
  const days = counter.slice('took:'.length, at);
  const when = counter.slice(at + 1);
  return when.startsWith('filed:')
    ? { days, filedIn: when.slice('filed:'.length) }
    : { days, resolvedOn: when };
}

/**
 * Days as a counter names them: the three digits and the power of ten, without a dot (12.3 is `123e-1`, 215 is
 * `215e0`), which Number reads back.
 */
export function daysInCounter(days: number): string {
  if (days === 0) return '0';
  const [digits, exponent] = days.toExponential(RESOLUTION_DAYS_SIGNIFICANT_DIGITS - 1).split('e');
  return `${digits!.replace('.', '')}e${Number(exponent) - (RESOLUTION_DAYS_SIGNIFICANT_DIGITS - 1)}`;
}

const DAY_MS = 86_400_000;

/** The customers with a complaint filed or resolved on each day (see customersByDayFigure). */
export const complaintDaysFigure = customersByDayFigure<ComplaintHistory>(
  'complaint-days',
  (history) => history.customerId,
  (history) =>
    history.complaints.flatMap((complaint) =>
      complaint.resolvedAt === undefined ? [complaint.filedAt] : [complaint.filedAt, complaint.resolvedAt],
    ),
);

/** What one customer's complaints add, by the day each was filed. */
export function complaintContributions(history: ComplaintHistory): Map<string, Counters> {
  const days = new Map<string, Record<string, number>>();
  const add = (day: string, name: string) => {
    const counters = days.get(day) ?? {};
    counters[name] = (counters[name] ?? 0) + 1;
    days.set(day, counters);
  };
  if (history.complaints.length === 0) return days;
  if (!latestConsentGiven(history.consents, 'analytics')) {
    const first = history.complaints.reduce(
      (earliest, c) => (c.filedAt < earliest ? c.filedAt : earliest),
      '~',
    );
    add(dayOf(first), 'withoutConsent');
    return days;
  }
  for (const complaint of history.complaints) {
    const day = dayOf(complaint.filedAt);
    add(day, 'filed');
    add(day, complaint.category === null ? 'category' : `category:${complaint.category}`);
    add(day, `severity:${complaint.severity}`);
    if (complaint.resolvedAt === undefined) {
      add(day, 'pending');
      continue;
    }
    const resolved = dayOf(complaint.resolvedAt);
    add(day, `pending@${resolved}`);
    add(day, `resolved@${resolved}`);
    if (complaint.satisfied !== undefined)
      add(day, `${complaint.satisfied ? '' : 'dis'}satisfied@${resolved}`);
    const took = daysInCounter(resolutionDays(complaint.filedAt, complaint.resolvedAt));
    add(day, `took:${took}@${resolved}`);
    // Read only for a whole month of filing, never the as-of month itself: not kept when filed the same month.
    if (resolved.slice(0, 7) !== day.slice(0, 7)) add(resolved, `took:${took}@filed:${day.slice(0, 7)}`);
  }
  return days;
}
