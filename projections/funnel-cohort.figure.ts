import { latestConsentGiven } from './consent';
import type { FunnelPosition, FunnelReport } from './funnel.projection';
import { FUNNEL_STAGES } from './funnel-stages';
import { Counters, PopulationFigure } from './population-figure';
import { daysBetween } from './projection';

/**
 * The funnel kept per first-seen period, so that the funnel of a cohort reads a few dozen buckets instead of
 * every customer. A customer counts in the bucket of the day (`funnel-days`, `YYYY-MM-DD`) and of the month
 * (`funnel-months`, `YYYY-MM`) they were first seen, UTC, with `customers`, `reached:<stage>` for each stage
 * reached and `gap:<stage>:<bin>`, the time from the previous stage in bins 1% wide (GAP_BIN_RATIO): the
 * median days between stages are read from those bins, to within 1%, and given to three significant digits
 * (docs/api.md). A customer whose latest
 * choice withdrew analytics consent counts only as `withoutConsent`.
 */
export const funnelMonthsFigure: PopulationFigure<FunnelPosition> = {
  name: 'funnel-months',
  contributions: (position) => new Map([[position.firstSeenAt.slice(0, 7), funnelCounters(position)]]),
};

export const funnelDaysFigure: PopulationFigure<FunnelPosition> = {
  name: 'funnel-days',
  contributions: (position) => new Map([[position.firstSeenAt.slice(0, 10), funnelCounters(position)]]),
};

/** Gaps between stages are kept in bins this much apart (relative): 1%. */
export const GAP_BIN_RATIO = 1.01;

/** What one customer adds to the funnel of their cohort. */
export function funnelCounters(position: FunnelPosition): Counters {
  if (!latestConsentGiven(position.consents, 'analytics')) return { withoutConsent: 1 };
  const counters: Record<string, number> = { customers: 1 };
  FUNNEL_STAGES.forEach((stage, index) => {
    const at = position.reachedAt[stage];
    if (at === undefined) return;
    counters[`reached:${stage}`] = 1;
    const previousAt = index > 0 ? position.reachedAt[FUNNEL_STAGES[index - 1]!] : undefined;
    if (previousAt !== undefined)
      counters[`gap:${stage}:${gapBin(Math.max(0, daysBetween(previousAt, at)))}`] = 1;
  });
  return counters;
}

/** The bin of a gap in days: 0 for under a second, else 1 + floor(log_1.01 seconds). */
function gapBin(days: number): number {
  const seconds = days * 86_400;
  return seconds < 1 ? 0 : 1 + Math.floor(Math.log(seconds) / Math.log(GAP_BIN_RATIO));
}

/** The days a bin stands for: the geometric middle of its bounds (0 for the first). */
function gapOfBin(bin: number): number {
  return bin === 0 ? 0 : GAP_BIN_RATIO ** (bin - 0.5) / 86_400;
}

/** The funnel report of a cohort from its summed counters (see funnelReport for the meaning of each figure). */
export function funnelReportOfCounters(
  counters: ReadonlyMap<string, number>,
  cohort: { firstSeenFrom?: string; firstSeenTo?: string } = {},
): FunnelReport & { readonly withoutConsent: number } {
  const reached = FUNNEL_STAGES.map((stage) => counters.get(`reached:${stage}`) ?? 0);
  return {
    cohort: { ...cohort, customers: counters.get('customers') ?? 0 },
    stages: FUNNEL_STAGES.map((stage, index) => ({
      stage,
      customers: reached[index]!,
      conversionFromPrevious:
        index === 0 ? null : reached[index - 1]! === 0 ? null : reached[index]! / reached[index - 1]!,
      medianDaysFromPrevious: index === 0 ? null : medianGap(counters, stage),
    })),
    withoutConsent: counters.get('withoutConsent') ?? 0,
  };
}

function medianGap(counters: ReadonlyMap<string, number>, stage: string): number | null {
  const prefix = `gap:${stage}:`;
  const bins: [number, number][] = [];
  for (const [name, count] of counters)
    if (name.startsWith(prefix)) bins.push([Number(name.slice(prefix.length)), count]);
  const total = bins.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  bins.sort((a, b) => a[0] - b[0]);
  // The middle one, or the mean of the two middle ones, as the exact median does.
  const at = (rank: number) => {
    let seen = 0;
    for (const [bin, count] of bins) {
      seen += count;
      if (rank < seen) return gapOfBin(bin);
    }
    return gapOfBin(bins[bins.length - 1]![0]);
  };
  const median = total % 2 === 1 ? at((total - 1) / 2) : (at(total / 2 - 1) + at(total / 2)) / 2;
  // Three significant digits: what bins 1% wide can tell.
  return Number(median.toPrecision(3));
}

/** Which buckets and which stretches of time make up a first-seen range (both ends inclusive, optional). */
export interface CohortCover {
  /** Whole months inside the range (any month when both ends are open). */
  readonly month: (month: string) => boolean;
  /** Whole days inside the range, in months only partly inside. */
  readonly days: readonly string[];
  /** Stretches shorter than a day at the ends: their customers are counted one by one. */
  readonly partial: readonly { readonly from: string; readonly to: string }[];
}

export function cohortCover(from?: string, to?: string): CohortCover {
  const fromMs = from === undefined ? -Infinity : Date.parse(from);
  const toMs = to === undefined ? Infinity : Date.parse(to);
  const monthStart = (month: string) => Date.parse(`${month}-01T00:00:00.000Z`);
  const nextMonthStart = (month: string) => {
    const start = new Date(monthStart(month));
    return Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
  };
  const wholeMonth = (month: string) => monthStart(month) >= fromMs && nextMonthStart(month) - 1 <= toMs;
  const days: string[] = [];
  const partial: { from: string; to: string }[] = [];
  const edgeMonths = new Set(
    [from, to]
      .filter((end): end is string => end !== undefined)
      .map((end) => new Date(end).toISOString().slice(0, 7)),
  );
  for (const month of edgeMonths) {
    if (wholeMonth(month)) continue;
    for (let day = monthStart(month); day < nextMonthStart(month); day += 86_400_000) {
      const start = Math.max(day, fromMs);
      const end = Math.min(day + 86_400_000 - 1, toMs);
      if (start > end) continue;
      if (start === day && end === day + 86_400_000 - 1) days.push(new Date(day).toISOString().slice(0, 10));
      else partial.push({ from: new Date(start).toISOString(), to: new Date(end).toISOString() });
    }
  }
  return { month: wholeMonth, days, partial };
}
