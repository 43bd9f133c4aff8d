import { ComplaintHistory } from './complaint-history.projection';
import { latestConsentGiven } from './consent';
import { customersByDayFigure, dayOf, periodFigures } from './period-figures';
import { Counters } from './population-figure';

/**
 * Complaints kept by the day and the month they were filed (UTC), so that the complaint report reads a few
 * dozen buckets instead of every complaint history. Each complaint adds to its bucket `filed`,
 * `category:<category>` (`category` alone when it has none) and `severity:<severity>`; once resolved,
 * `resolved@<day>`, `satisfied@<day>` or `dissatisfied@<day>` and `ms:<milliseconds from filing>@<day>`, dated
 * by the day of its resolution; and `pending@<day of resolution>`, or `pending` while unresolved, which tells
 * the backlog as of any day. Durations are kept to the millisecond, so medians are exact. A customer whose
 * latest choice withdrew analytics consent adds only `withoutConsent`, to the bucket of their first complaint.
 */
export const complaintFigures = periodFigures<ComplaintHistory>('complaints', (history) =>
  complaintContributions(history),
);

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
    add(
      day,
      `ms:${Math.max(0, Date.parse(complaint.resolvedAt) - Date.parse(complaint.filedAt))}@${resolved}`,
    );
  }
  return days;
}
