import { COMPLAINT_SEVERITIES, ComplaintSeverity } from '../src/domain/customer-events';
import { ComplaintHistory, ComplaintRecord } from '../projections/complaint-history.projection';
import {
  complaintContributions,
  daysInCounter,
  RESOLUTION_DAYS_SIGNIFICANT_DIGITS,
  resolutionDays,
  tookOf,
} from '../projections/complaint.figure';
import { consentGiven, latestConsentGiven } from '../projections/consent';
import { countAcross, dayOf, firstDayOf, periodCover } from '../projections/period-figures';
import { Counters, FigureBucket } from '../projections/population-figure';
import { daysBetween } from '../projections/projection';

/** Age bands of the open backlog, in days since filing: [from, to), the last one open-ended. */
export const BACKLOG_AGE_BANDS: readonly {
  readonly label: string;
  readonly fromDays: number;
  readonly toDays?: number;
}[] = [
  { label: '0-7 days', fromDays: 0, toDays: 7 },
  { label: '7-30 days', fromDays: 7, toDays: 30 },
  { label: '30-90 days', fromDays: 30, toDays: 90 },
  { label: '90+ days', fromDays: 90 },
];

export interface ComplaintReport {
  readonly filedFrom?: string;
  readonly filedTo?: string;
  readonly asOf: string;
  /** Complaints filed in the range (and by asOf). */
  readonly filed: number;
  readonly byCategory: readonly { readonly category: string | null; readonly complaints: number }[];
  readonly bySeverity: readonly { readonly severity: ComplaintSeverity; readonly complaints: number }[];
  /** Of the complaints filed in the range, those resolved by asOf. */
  readonly resolution: {
    readonly resolved: number;
    readonly medianDaysToResolution: number | null;
    /**
     * How finely the times behind the median were kept: to the millisecond (exact), or in days to three
     * significant digits, which puts the median within 0.5% of the exact one (whole days under 1000 exact).
     */
    readonly timesKeptTo: 'millisecond' | '3 significant digits';
    readonly satisfied: number;
    readonly dissatisfied: number;
    /** Resolutions that did not say whether the customer was satisfied. */
    readonly notSaid: number;
    /** satisfied / resolved (null when none was resolved). */
    readonly satisfiedShare: number | null;
  };
  /** Every complaint open as of asOf, whenever filed, by age. */
  readonly backlog: {
    readonly open: number;
    readonly byAge: readonly { readonly band: string; readonly complaints: number }[];
    readonly oldestDays: number | null;
  };
  readonly leftOutWithoutConsent: { readonly analytics: number };
}

export interface ComplaintQuery {
  readonly from?: string;
  readonly to?: string;
  readonly asOf: string;
  /** The processing instant: customers whose analytics consent is withdrawn then are left out. */
  readonly now: string;
}

/**
 * Complaint figures: counts by category and severity and how they were resolved, for the complaints filed in
 * [from, to]; the open backlog as of `asOf` by age band, whenever filed.
 */
export function complaintReport(
  histories: Iterable<ComplaintHistory>,
  query: ComplaintQuery,
): ComplaintReport {
  const filed: ComplaintRecord[] = [];
  const open: ComplaintRecord[] = [];
  let withoutConsent = 0;
  for (const history of histories) {
    const known = history.complaints.filter((complaint) => complaint.filedAt <= query.asOf);
    if (known.length === 0) continue;
    if (!consentGiven(history.consents, 'analytics', query.now)) {
      withoutConsent++;
      continue;
    }
    for (const complaint of known) {
      const inRange =
        (!query.from || complaint.filedAt >= query.from) && (!query.to || complaint.filedAt <= query.to);
      if (inRange) filed.push(complaint);
      if (!resolvedBy(complaint, query.asOf)) open.push(complaint);
    }
  }
  const categories = new Map<string | null, number>();
  for (const complaint of filed)
    categories.set(complaint.category, (categories.get(complaint.category) ?? 0) + 1);
  const resolved = filed.filter((complaint) => resolvedBy(complaint, query.asOf));
  const satisfied = resolved.filter((complaint) => complaint.satisfied === true).length;
  const dissatisfied = resolved.filter((complaint) => complaint.satisfied === false).length;
  const ages = open.map((complaint) => Math.max(0, daysBetween(complaint.filedAt, query.asOf)));
  return {
    ...(query.from && { filedFrom: query.from }),
    ...(query.to && { filedTo: query.to }),
    asOf: query.asOf,
    filed: filed.length,
    byCategory: [...categories.entries()]
      .map(([category, complaints]) => ({ category, complaints }))
      .sort((a, b) => b.complaints - a.complaints || String(a.category).localeCompare(String(b.category))),
    bySeverity: COMPLAINT_SEVERITIES.map((severity) => ({
      severity,
      complaints: filed.filter((complaint) => complaint.severity === severity).length,
    })),
    resolution: {
      resolved: resolved.length,
      medianDaysToResolution: median(resolved.map((c) => Math.max(0, daysBetween(c.filedAt, c.resolvedAt!)))),
      timesKeptTo: 'millisecond',
      satisfied,
      dissatisfied,
      notSaid: resolved.length - satisfied - dissatisfied,
      satisfiedShare: resolved.length === 0 ? null : satisfied / resolved.length,
    },
    backlog: {
      open: open.length,
      byAge: BACKLOG_AGE_BANDS.map((band) => ({
        band: band.label,
        complaints: ages.filter(
          (age) => age >= band.fromDays && (band.toDays === undefined || age < band.toDays),
        ).length,
      })),
      oldestDays: ages.length === 0 ? null : Math.max(...ages),
    },
    leftOutWithoutConsent: { analytics: withoutConsent },
  };
}

function resolvedBy(complaint: ComplaintRecord, asOf: string): boolean {
  return complaint.resolvedAt !== undefined && complaint.resolvedAt <= asOf;
}

/** The middle value (the mean of the two middle ones for an even count), null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The median of values counted so many times each: [value, count] (as median, over the values repeated). */
export function medianOfCounted(counted: Iterable<readonly [value: number, count: number]>): number | null {
  const sorted = [...counted].filter(([, count]) => count > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const at = (rank: number) => {
    let seen = 0;
    for (const [value, count] of sorted) {
      seen += count;
      if (rank < seen) return value;
    }
    return sorted[sorted.length - 1]![0];
  };
  return total % 2 === 1 ? at((total - 1) / 2) : (at(total / 2 - 1) + at(total / 2)) / 2;
}

const DAY_MS = 86_400_000;

/**
 * The days a complaint question cuts in two: those of `from`, of the end of the filing range, of `asOf` and of
 * the age bands' bounds as of `asOf`.
 */
export function complaintCutDays(query: ComplaintQuery): string[] {
  const end = query.to !== undefined && query.to < query.asOf ? query.to : query.asOf;
  const bounds = BACKLOG_AGE_BANDS.filter((band) => band.fromDays > 0).map((band) =>
    new Date(Date.parse(query.asOf) - band.fromDays * DAY_MS).toISOString(),
  );
  return [...new Set([query.from, end, query.asOf, ...bounds].filter((at) => at !== undefined).map(dayOf))];
}

/**
 * The complaint report from the complaint figure (complaintFigures): the buckets that cover `cutDays` (see
 * periodCover) and the complaint histories with a complaint filed or resolved on a cut day (complaintDaysFigure),
 * which are counted exactly. The oldest open complaint is told apart: the answer says in which month or day it
 * was filed, and oldestOpenDay and oldestOpenDays tell its age from that period's buckets and histories. The same
 * answer as complaintReport over every history, but for consent, which is the customers' latest choice (as every
 * kept figure counts it) rather than the choice in force at `now`, and for the median time to resolution, which
 * is that of the times kept to three significant digits (resolutionDays): within 0.5% of the exact one.
 *
 * The times of the complaints filed in a whole month are kept by the month of their resolution: those resolved
 * before the as-of month count from the month's bucket, those resolved in it (always a cut month) from the day
 * buckets of the days of their resolution up to `asOf`.
 */
export function complaintReportOfFigure(
  buckets: Iterable<FigureBucket>,
  cutHistories: readonly ComplaintHistory[],
  query: ComplaintQuery,
  cutDays: readonly string[],
): ComplaintFigureAnswer {
  const cover = periodCover(cutDays);
  const asOfDay = dayOf(query.asOf);
  const asOfMonth = asOfDay.slice(0, 7);
  const from = query.from === undefined ? undefined : dayOf(query.from);
  const end = dayOf(query.to !== undefined && query.to < query.asOf ? query.to : query.asOf);
  const filedInRange = (day: string) => (from === undefined || day >= from) && day <= end;
  const bandBounds = BACKLOG_AGE_BANDS.map((band) =>
    dayOf(new Date(Date.parse(query.asOf) - band.fromDays * DAY_MS).toISOString()),
  );
  const total = countAcross(
    buckets,
    cutHistories,
    (history) => complaintContributions(history),
    (period, counters) => {
      const day = firstDayOf(period);
      if (day > asOfDay) return {};
      // The oldest band whose least age the day reaches (bands are listed youngest first).
      const oldest = bandBounds.findLastIndex((bound) => day <= bound);
      const band = BACKLOG_AGE_BANDS[Math.max(0, oldest)]!;
      const month = period.slice(0, 7);
      const wholeMonth = cover.wholeMonth(month);
      return complaintsCounted(counters, {
        inRange: filedInRange(day),
        resolvedBy: (resolvedDay) => resolvedDay <= asOfDay,
        openAs: [`open:${band.label}`, `open@${wholeMonth ? month : day}`],
        took: {
          resolvedBy: wholeMonth
            ? (resolved) => resolved.slice(0, 7) < asOfMonth
            : (resolvedDay) => resolvedDay <= asOfDay,
          resolvedHereOf: (filedMonth) =>
            month === asOfMonth && cover.wholeMonth(filedMonth) && filedInRange(`${filedMonth}-01`),
        },
      });
    },
    (history) => exactlyCounted(history, query),
  );
  const oldestOpenIn = earliestOpen(total);
  const count = (name: string) => total.get(name) ?? 0;
  const times = [...total]
    .filter(([name]) => name.startsWith('took:'))
    .map(([name, complaints]) => [Number(name.slice('took:'.length)), complaints] as const);
  const byCategory = [...total]
    .filter(([name]) => name === 'category' || name.startsWith('category:'))
    .map(([name, complaints]) => ({
      category: name === 'category' ? null : name.slice('category:'.length),
      complaints,
    }));
  const resolved = count('resolved');
  const satisfied = count('satisfied');
  const dissatisfied = count('dissatisfied');
  const report = {
    ...(query.from && { filedFrom: query.from }),
    ...(query.to && { filedTo: query.to }),
    asOf: query.asOf,
    filed: count('filed'),
    byCategory: byCategory.sort(
      (a, b) => b.complaints - a.complaints || String(a.category).localeCompare(String(b.category)),
    ),
    bySeverity: COMPLAINT_SEVERITIES.map((severity) => ({
      severity,
      complaints: count(`severity:${severity}`),
    })),
    resolution: {
      resolved,
      medianDaysToResolution: medianOfCounted(times),
      timesKeptTo: `${RESOLUTION_DAYS_SIGNIFICANT_DIGITS} significant digits` as const,
      satisfied,
      dissatisfied,
      notSaid: resolved - satisfied - dissatisfied,
      satisfiedShare: resolved === 0 ? null : satisfied / resolved,
    },
    backlog: {
      open: BACKLOG_AGE_BANDS.reduce((sum, band) => sum + count(`open:${band.label}`), 0),
      byAge: BACKLOG_AGE_BANDS.map((band) => ({ band: band.label, complaints: count(`open:${band.label}`) })),
      oldestDays: null,
    },
    leftOutWithoutConsent: { analytics: count('withoutConsent') },
  };
  return { report, ...(oldestOpenIn !== undefined && { oldestOpenIn }) };
}

/** What the complaint figure answers: the report but for the oldest open complaint, and where that one lies. */
export interface ComplaintFigureAnswer {
  /** The report, `backlog.oldestDays` left null (see oldestOpenDay and oldestOpenDays). */
  readonly report: ComplaintReport;
  /** The month or the day (`YYYY-MM`, `YYYY-MM-DD`) the oldest open complaint was filed in, if any is open. */
  readonly oldestOpenIn?: string;
}

/** The earliest period with an open complaint, from `open@<period>` counts. */
function earliestOpen(counts: ReadonlyMap<string, number>): string | undefined {
  let earliest: string | undefined;
  for (const [name, count] of counts) {
    if (!name.startsWith('open@') || count <= 0) continue;
    const period = name.slice('open@'.length);
    if (earliest === undefined || period < earliest) earliest = period;
  }
  return earliest;
}

/**
 * The day the oldest open complaint was filed on, when `oldestOpenIn` named a month: from that month's day
 * buckets of the complaint figure, the histories with a complaint on a cut day counted exactly as before.
 */
export function oldestOpenDay(
  dayBuckets: Iterable<FigureBucket>,
  cutHistories: readonly ComplaintHistory[],
  month: string,
  query: ComplaintQuery,
): string {
  const asOfDay = dayOf(query.asOf);
  const inMonth = (counted: Counters) =>
    Object.fromEntries(Object.entries(counted).filter(([name]) => name.startsWith(`open@${month}`)));
  const total = countAcross(
    dayBuckets,
    cutHistories,
    (history) => complaintContributions(history),
    (day, counters) =>
      day.startsWith(month)
        ? complaintsCounted(counters, {
            inRange: false,
            resolvedBy: (resolvedDay) => resolvedDay <= asOfDay,
            openAs: [`open@${day}`],
          })
        : {},
    (history) => inMonth(exactlyCounted(history, query)),
  );
  return earliestOpen(total)!;
}

/**
 * backlog.oldestDays: the age of the oldest complaint open as of `asOf` among those filed on `day`, from the
 * histories of every customer with a complaint filed that day.
 */
export function oldestOpenDays(
  histories: readonly ComplaintHistory[],
  day: string,
  query: ComplaintQuery,
): number {
  const oldest = histories
    .filter((history) => latestConsentGiven(history.consents, 'analytics'))
    .flatMap((history) => history.complaints)
    .filter((c) => c.filedAt <= query.asOf && !resolvedBy(c, query.asOf) && dayOf(c.filedAt) === day)
    .reduce((earliest, c) => (c.filedAt < earliest ? c.filedAt : earliest), '~');
  return Math.max(0, daysBetween(oldest, query.asOf));
}

/**
 * A bucket's counters as the report counts them: filed in the range, resolved by asOf, open as of asOf; with
 * `took`, the times of the complaints filed in the range and resolved by asOf, from the bucket of their filing
 * (`resolvedBy` their day or month of resolution) or, for those filed in a whole month, from the bucket of their
 * resolution (`resolvedHereOf` their month of filing).
 */
function complaintsCounted(
  counters: Counters,
  at: {
    inRange: boolean;
    resolvedBy: (day: string) => boolean;
    openAs: readonly string[];
    took?: { resolvedBy: (dayOrMonth: string) => boolean; resolvedHereOf: (filedMonth: string) => boolean };
  },
): Counters {
  const counted: Record<string, number> = {};
  const add = (name: string, count: number) => (counted[name] = (counted[name] ?? 0) + count);
  for (const [name, count] of Object.entries(counters)) {
    const took = tookOf(name);
    if (took !== undefined) {
      if (at.took === undefined) continue;
      const counts =
        took.filedIn === undefined
          ? at.inRange && at.took.resolvedBy(took.resolvedOn)
          : at.took.resolvedHereOf(took.filedIn);
      if (counts) add(`took:${took.days}`, count);
    } else if (name === 'withoutConsent') add(name, count);
    else if (name === 'pending') at.openAs.forEach((open) => add(open, count));
    else if (name.startsWith('pending@')) {
      if (!at.resolvedBy(name.slice('pending@'.length))) at.openAs.forEach((open) => add(open, count));
    } else if (!at.inRange) continue;
    else if (
      name === 'filed' ||
      name === 'category' ||
      name.startsWith('category:') ||
      name.startsWith('severity:')
    )
      add(name, count);
    else {
      const separator = name.lastIndexOf('@');
      if (at.resolvedBy(name.slice(separator + 1))) add(name.slice(0, separator), count);
    }
  }
  return counted;
}

/** What one customer's complaints count, to the instant (a customer with a complaint on a cut day). */
function exactlyCounted(history: ComplaintHistory, query: ComplaintQuery): Counters {
  const known = history.complaints.filter((complaint) => complaint.filedAt <= query.asOf);
  if (known.length === 0) return {};
  if (!latestConsentGiven(history.consents, 'analytics')) return { withoutConsent: 1 };
  const counted: Record<string, number> = {};
  const add = (name: string) => (counted[name] = (counted[name] ?? 0) + 1);
  for (const complaint of known) {
    if (!resolvedBy(complaint, query.asOf)) {
      const age = Math.max(0, daysBetween(complaint.filedAt, query.asOf));
      const band = BACKLOG_AGE_BANDS.find(
        (b) => age >= b.fromDays && (b.toDays === undefined || age < b.toDays),
      )!;
      add(`open:${band.label}`);
      add(`open@${dayOf(complaint.filedAt)}`);
    }
    if ((query.from && complaint.filedAt < query.from) || (query.to && complaint.filedAt > query.to))
      continue;
    add('filed');
    add(complaint.category === null ? 'category' : `category:${complaint.category}`);
    add(`severity:${complaint.severity}`);
    if (!resolvedBy(complaint, query.asOf)) continue;
    add('resolved');
    if (complaint.satisfied !== undefined) add(complaint.satisfied ? 'satisfied' : 'dissatisfied');
    add(`took:${daysInCounter(resolutionDays(complaint.filedAt, complaint.resolvedAt!))}`);
  }
  return counted;
}
