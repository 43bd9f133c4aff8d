import { ComplaintHistory } from '../projections/complaint-history.projection';
import {
  complaintDaysFigure,
  complaintFigures,
  daysInCounter,
  resolutionDays,
} from '../projections/complaint.figure';
import { latestConsentGiven } from '../projections/consent';
import { COMPLAINT_SEVERITIES } from '../src/domain/customer-events';
import {
  complaintCutDays,
  complaintReport,
  ComplaintQuery,
  ComplaintReport,
  complaintReportOfFigure,
  median,
  oldestOpenDay,
  oldestOpenDays,
} from './complaint-analytics';
import { bucketsOf, periodFigureReads } from '../test/support/period-figure-reads';
import { seededRandom } from '../test/fixtures/seeded-random';

const NOW = '2027-01-01T00:00:00.000Z';
const DAY = 86_400_000;

/** 250 customers filing complaints on 60 days over 14 months, most resolved days or months later. */
function complaints(seed: number): ComplaintHistory[] {
  const next = seededRandom(seed);
  const onADay = (after: number) => {
    const day = after + Math.floor(next() * 20) * 3 * DAY;
    return next() < 0.3 ? day - (day % DAY) : day - (day % DAY) + Math.floor(next() * DAY);
  };
  return Array.from({ length: 250 }, (_, index) => ({
    customerId: `c${index}`,
    position: 1,
    complaints: Array.from({ length: Math.floor(next() * 4) }, (__, n) => {
      const filed = onADay(Date.UTC(2025, 9, 1) + Math.floor(next() * 6) * 60 * DAY);
      const resolution = next();
      return {
        complaintId: `k${index}-${n}`,
        category: next() < 0.2 ? null : ['delivery', 'billing', 'quality'][Math.floor(next() * 3)]!,
        severity: COMPLAINT_SEVERITIES[Math.floor(next() * COMPLAINT_SEVERITIES.length)]!,
        filedAt: new Date(filed).toISOString(),
        ...(resolution < 0.75 && {
          resolvedAt: new Date(next() < 0.2 ? filed + Math.floor(next() * DAY) : onADay(filed)).toISOString(),
          ...(resolution < 0.5 && { satisfied: resolution < 0.3 }),
        }),
      };
    }),
    ...(next() < 0.12 && {
      consents: [{ purpose: 'analytics' as const, granted: false, at: '2025-11-01T00:00:00.000Z' }],
    }),
  }));
}

/** The complaint report as the query handler reads it: the figure, then the oldest open complaint's day. */
function reportOfFigure(histories: ComplaintHistory[], query: ComplaintQuery): ComplaintReport {
  const customerOf = (history: ComplaintHistory) => history.customerId;
  const cutDays = complaintCutDays(query);
  const reads = periodFigureReads(histories, complaintFigures, complaintDaysFigure, customerOf, cutDays);
  const { report, oldestOpenIn } = complaintReportOfFigure(reads.buckets, reads.cutDocuments, query, cutDays);
  if (oldestOpenIn === undefined) return report;
  const day =
    oldestOpenIn.length === 10
      ? oldestOpenIn
      : oldestOpenDay(
          bucketsOf(complaintFigures.days, histories).filter(({ bucket }) => bucket.startsWith(oldestOpenIn)),
          reads.cutDocuments,
          oldestOpenIn,
          query,
        );
  const filedThatDay = cutDays.includes(day)
    ? reads.cutDocuments
    : periodFigureReads(histories, complaintFigures, complaintDaysFigure, customerOf, [day]).cutDocuments;
  return { ...report, backlog: { ...report.backlog, oldestDays: oldestOpenDays(filedThatDay, day, query) } };
}

/** The times from filing to resolution, kept to three significant digits, of the complaints a query counts. */
function keptTimes(histories: readonly ComplaintHistory[], query: ComplaintQuery): number[] {
  return histories
    .filter((history) => latestConsentGiven(history.consents, 'analytics'))
    .flatMap((history) => history.complaints)
    .filter(
      (c) =>
        c.filedAt <= query.asOf &&
        (!query.from || c.filedAt >= query.from) &&
        (!query.to || c.filedAt <= query.to) &&
        c.resolvedAt !== undefined &&
        c.resolvedAt <= query.asOf,
    )
    .map((c) => resolutionDays(c.filedAt, c.resolvedAt!));
}

/**
 * The figure's answer against the exact one: the same, but for the median time to resolution, which is the
 * median of the times kept to three significant digits, and so within 0.5% of the exact median.
 */
function expectExactButTheMedian(
  histories: readonly ComplaintHistory[],
  query: ComplaintQuery,
  answer: ComplaintReport,
  exact: ComplaintReport,
): void {
  const { medianDaysToResolution: kept, timesKeptTo, ...counted } = answer.resolution;
  const { medianDaysToResolution: exactMedian, timesKeptTo: _exactly, ...exactlyCounted } = exact.resolution;
  expect({ ...answer, resolution: counted }).toEqual({ ...exact, resolution: exactlyCounted });
  expect(timesKeptTo).toBe('3 significant digits');
  expect(kept).toBe(median(keptTimes(histories, query)));
  if (exactMedian === null) expect(kept).toBeNull();
  else expect(Math.abs(kept! - exactMedian)).toBeLessThanOrEqual(0.005 * exactMedian);
}

describe('the complaint figure', () => {
  it('keeps times in days to three significant digits: whole days under 1000 exactly, others within 0.5%', () => {
    const at = (days: number) => new Date(Date.UTC(2026, 0, 1) + days * DAY).toISOString();
    expect([0, 1, 12, 99, 215, 999].map((days) => resolutionDays(at(0), at(days)))).toEqual([
      0, 1, 12, 99, 215, 999,
    ]);
    expect(resolutionDays(at(0), at(1234))).toBe(1230);
    expect(resolutionDays(at(0), new Date(Date.UTC(2026, 0, 1) + 1).toISOString())).toBe(1.16e-8);
    expect(resolutionDays(at(1), at(0))).toBe(0);
    expect([0, 1.16e-8, 0.104, 12.3, 215, 1230].map(daysInCounter)).toEqual([
      '0',
      '116e-10',
      '104e-3',
      '123e-1',
      '215e0',
      '123e1',
    ]);
    expect(['116e-10', '104e-3', '123e-1', '215e0', '123e1'].map(Number)).toEqual([
      1.16e-8, 0.104, 12.3, 215, 1230,
    ]);
  });

  it('answers what the complaint report computes over every history, for any range and as-of', () => {
    const histories = complaints(31);
    const next = seededRandom(9);
    const instants = histories.flatMap((history) =>
      history.complaints.flatMap((c) => [c.filedAt, ...(c.resolvedAt ? [c.resolvedAt] : [])]),
    );
    const instant = (): string | undefined => {
      const pick = next();
      if (pick < 0.2) return undefined;
      if (pick < 0.5) return instants[Math.floor(next() * instants.length)]!;
      if (pick < 0.7) return new Date(Date.UTC(2025, 9, 1) + Math.floor(next() * 500) * DAY).toISOString();
      return new Date(Date.UTC(2025, 9, 1) + Math.floor(next() * 500 * DAY)).toISOString();
    };
    const seen = { open: 0, resolved: 0, leftOut: 0 };
    for (let run = 0; run < 80; run++) {
      const [a, b] = [instant(), instant()];
      const [from, to] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
      const query: ComplaintQuery = { from, to, asOf: instant() ?? NOW, now: NOW };
      const exact = complaintReport(histories, query);
      seen.open += exact.backlog.open;
      seen.resolved += exact.resolution.resolved;
      seen.leftOut += exact.leftOutWithoutConsent.analytics;
      expectExactButTheMedian(histories, query, reportOfFigure(histories, query), exact);
    }
    expect(Math.min(seen.open, seen.resolved, seen.leftOut)).toBeGreaterThan(0);
  });
});
