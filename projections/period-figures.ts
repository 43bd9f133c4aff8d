import { addCounters, Counters, FigureBucket, PopulationFigure } from './population-figure';

/** `YYYY-MM` of an ISO instant, in UTC. */
export function monthOf(instant: string): string {
  // Stored instants are already in toISOString's form: read the month off without parsing.
  if (instant.length === 24 && instant.endsWith('Z')) return instant.slice(0, 7);
  return new Date(instant).toISOString().slice(0, 7);
}

/** `YYYY-MM-DD` of an ISO instant, in UTC. */
export function dayOf(instant: string): string {
  if (instant.length === 24 && instant.endsWith('Z')) return instant.slice(0, 10);
  return new Date(instant).toISOString().slice(0, 10);
}

/** What a document adds, by the day (`YYYY-MM-DD`) each part belongs to. */
export type DailyContributions = ReadonlyMap<string, Counters>;

/** Adds counters to the entry of `key` in a map of counters. */
export function addTo(map: Map<string, Record<string, number>>, key: string, counters: Counters): void {
  const entry = map.get(key) ?? {};
  for (const [name, count] of Object.entries(counters)) entry[name] = (entry[name] ?? 0) + count;
  map.set(key, entry);
}

/**
 * One figure kept at two resolutions: a bucket per month (`YYYY-MM`) and a bucket per day (`YYYY-MM-DD`) of
 * the period each of a document's contributions belongs to. A question reads the month buckets, and the day
 * buckets of the few months in which it needs to tell days apart (see periodCover). `monthly` says what a
 * counter of a day is called in its month's bucket (by default the same), or that the month does not keep it
 * (undefined): a month can keep a coarser name than its days, so that its bucket stays small.
 */
export function periodFigures<Doc extends object>(
  name: string,
  daily: (doc: Doc) => DailyContributions,
  monthly: (counter: string) => string | undefined = (counter) => counter,
): { readonly months: PopulationFigure<Doc>; readonly days: PopulationFigure<Doc> } {
  return {
    months: {
      name: `${name}-months`,
      contributions(doc) {
        const months = new Map<string, Record<string, number>>();
        for (const [day, counters] of daily(doc)) {
          const named: Record<string, number> = {};
          for (const [counter, count] of Object.entries(counters)) {
            const inMonth = monthly(counter);
            if (inMonth !== undefined) named[inMonth] = (named[inMonth] ?? 0) + count;
          }
          addTo(months, day.slice(0, 7), named);
        }
        return months;
      },
    },
    days: { name: `${name}-days`, contributions: daily },
  };
}

/**
 * Which customers had a fact on which day: a bucket per day (`YYYY-MM-DD`) whose counters are the ids of the
 * customers with a fact dated that day (how many). It finds the few documents whose facts lie on a day that a
 * question cuts in two (its `from`, `to` or `asOf`), to be counted one by one.
 */
export function customersByDayFigure<Doc extends object>(
  name: string,
  customerOf: (doc: Doc) => string,
  instantsOf: (doc: Doc) => Iterable<string>,
): PopulationFigure<Doc> {
  return {
    name,
    contributions(doc) {
      const days = new Map<string, Record<string, number>>();
      for (const instant of instantsOf(doc)) addTo(days, dayOf(instant), { [customerOf(doc)]: 1 });
      return days;
    },
  };
}

/**
 * The buckets that answer a question cut at some days: whole months without a cut day, and every day of the
 * months that hold one. Within a whole month every day lies on the same side of every cut, so a question can
 * treat such a month as any of its days.
 */
export interface PeriodCover {
  readonly wholeMonth: (month: string) => boolean;
  readonly days: readonly string[];
}

export function periodCover(cutDays: Iterable<string>): PeriodCover {
  const cutMonths = new Set([...cutDays].map((day) => day.slice(0, 7)));
  const days: string[] = [];
  for (const month of cutMonths) {
    const first = Date.parse(`${month}-01T00:00:00.000Z`);
    for (let day = first; new Date(day).toISOString().slice(0, 7) === month; day += 86_400_000)
      days.push(new Date(day).toISOString().slice(0, 10));
  }
  return { wholeMonth: (month) => !cutMonths.has(month), days };
}

/** The first day of a bucket's period: the day itself, or the first of the month. */
export const firstDayOf = (period: string) => (period.length === 7 ? `${period}-01` : period);

/**
 * What a question counts, after its cuts: the sum over the covering buckets of what each bucket is counted as
 * (`count`), with the documents whose facts lie on a cut day counted exactly instead (`exact`): their
 * day-resolution share is taken away again and their exact one added.
 */
export function countAcross<Doc extends object>(
  buckets: Iterable<FigureBucket>,
  cutDocuments: Iterable<Doc>,
  daily: (doc: Doc) => DailyContributions,
  count: (period: string, counters: Counters) => Counters,
  exact: (doc: Doc) => Counters,
): Map<string, number> {
  const total = new Map<string, number>();
  for (const { bucket, counters } of buckets) addCounters(total, count(bucket, counters));
  for (const doc of cutDocuments) {
    for (const [day, counters] of daily(doc)) addCounters(total, count(day, counters), -1);
    addCounters(total, exact(doc));
  }
  return total;
}
