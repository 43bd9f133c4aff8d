import { COMPLAINT_SEVERITIES, ComplaintSeverity } from '../src/domain/customer-events';
import { ComplaintHistory, ComplaintRecord } from '../projections/complaint-history.projection';
import { consentGiven } from '../projections/consent';
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
