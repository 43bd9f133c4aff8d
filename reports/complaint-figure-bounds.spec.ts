import { COMPLAINT_SEVERITIES } from '../src/domain/customer-events';
import {
  complaintCutDays,
  complaintReport,
  ComplaintQuery,
  complaintReportOfFigure,
} from './complaint-analytics';
import { bucketsOf, periodFigureReads } from '../test/support/period-figure-reads';
import { seededRandom } from '../test/fixtures/seeded-random';
import { ComplaintHistory } from '../projections/complaint-history.projection';
import { complaintDaysFigure, complaintFigures, resolutionDays } from '../projections/complaint.figure';
import { FigureBucket } from '../projections/population-figure';

const DAY = 86_400_000;

/**
 * `customers` customers with `each` complaints filed at random instants from `start` over `days` days, each
 * resolved `took()` days later, to the millisecond.
 */
function complaints(
  seed: number,
  {
    customers,
    each,
    start,
    days,
    took,
  }: { customers: number; each: number; start: number; days: number; took: (next: () => number) => number },
): ComplaintHistory[] {
  const next = seededRandom(seed);
  return Array.from({ length: customers }, (_, index) => ({
    customerId: `c${index}`,
    position: 1,
    complaints: Array.from({ length: each }, (__, n) => {
      const filed = start + Math.floor(next() * days * DAY);
      return {
        complaintId: `k${index}-${n}`,
        category: 'delivery',
        severity: COMPLAINT_SEVERITIES[n % COMPLAINT_SEVERITIES.length]!,
        filedAt: new Date(filed).toISOString(),
        resolvedAt: new Date(filed + Math.floor(took(next) * DAY)).toISOString(),
      };
    }),
  }));
}

const tookKeys = ({ counters }: FigureBucket) =>
  Object.keys(counters).filter((name) => name.startsWith('took:')).length;

describe("the complaint figure's bounds", () => {
  it('holds a bounded number of times in a bucket, however many complaints with distinct times it counts', () => {
    // Filed in January 2026, resolved 1 to 90 days later: 1,701 times at three significant digits (1.00 to 90.0).
    const january = (complaintsFiled: number) =>
      complaints(7, {
        customers: complaintsFiled / 1000,
        each: 1000,
        start: Date.UTC(2026, 0, 1),
        days: 31,
        took: (next) => 1 + next() * 89,
      });
    const sizes = [10_000, 40_000].map((complaintsFiled) => {
      const histories = january(complaintsFiled);
      const times = histories.flatMap((h) =>
        h.complaints.map((c) => Date.parse(c.resolvedAt!) - Date.parse(c.filedAt)),
      );
      const kept = new Set(
        histories.flatMap((h) => h.complaints.map((c) => resolutionDays(c.filedAt, c.resolvedAt!))),
      );
      const days = bucketsOf(complaintFigures.days, histories);
      return {
        distinctTimes: new Set(times).size,
        kept: kept.size,
        month: tookKeys(
          bucketsOf(complaintFigures.months, histories).find(({ bucket }) => bucket === '2026-01')!,
        ),
        day: Math.max(...days.map(tookKeys)),
      };
    });
    // A kept time lies in at most two months of resolution, and in a day's bucket in at most two days of
    // resolution (filed that day) and two months of filing (resolved that day): a bound that does not depend
    // on the number of complaints, where times to the millisecond would need a counter for each.
    for (const size of sizes) {
      expect(size.kept).toBeLessThanOrEqual(1_701);
      expect(size.month).toBeLessThanOrEqual(2 * 1_701);
      expect(size.day).toBeLessThanOrEqual(4 * 1_701);
    }
    expect(sizes[0]!.distinctTimes).toBeGreaterThan(9_900);
    expect(sizes[1]!.distinctTimes).toBeGreaterThan(39_000);
  });

  it('answers a median within 0.5% of the exact one over many complaints with distinct times', () => {
    // 20,000 customers, a complaint each over half a year, resolved a minute to 120 days later (log-uniform).
    const histories = complaints(11, {
      customers: 20_000,
      each: 1,
      start: Date.UTC(2026, 0, 1),
      days: 180,
      took: (next) => Math.exp(Math.log(1 / 1440) + next() * Math.log(120 * 1440)),
    });
    const next = seededRandom(3);
    const instant = () => new Date(Date.UTC(2026, 0, 1) + Math.floor(next() * 300 * DAY)).toISOString();
    const NOW = '2027-01-01T00:00:00.000Z';
    for (let run = 0; run < 12; run++) {
      const [a, b, asOf] = [instant(), instant(), instant()];
      const query: ComplaintQuery = { from: a < b ? a : b, to: a < b ? b : a, asOf, now: NOW };
      const cutDays = complaintCutDays(query);
      const reads = periodFigureReads(
        histories,
        complaintFigures,
        complaintDaysFigure,
        (h) => h.customerId,
        cutDays,
      );
      const { report } = complaintReportOfFigure(reads.buckets, reads.cutDocuments, query, cutDays);
      const exact = complaintReport(histories, query).resolution;
      expect(report.resolution.resolved).toBe(exact.resolved);
      if (exact.medianDaysToResolution === null) expect(report.resolution.medianDaysToResolution).toBeNull();
      else
        expect(
          Math.abs(report.resolution.medianDaysToResolution! - exact.medianDaysToResolution),
        ).toBeLessThanOrEqual(0.005 * exact.medianDaysToResolution);
    }
  });
});
