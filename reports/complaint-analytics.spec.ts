import { complaintReport, median, medianOfCounted } from './complaint-analytics';
import { ComplaintHistory, ComplaintRecord } from '../projections/complaint-history.projection';

const NOW = '2026-07-01T00:00:00.000Z';

function history(
  customerId: string,
  complaints: ComplaintRecord[],
  analyticsWithdrawn = false,
): ComplaintHistory {
  return {
    customerId,
    position: 1,
    complaints,
    ...(analyticsWithdrawn && {
      consents: [{ purpose: 'analytics' as const, granted: false, at: '2026-01-01T00:00:00.000Z' }],
    }),
  };
}

const complaint = (id: string, filedAt: string, extra: Partial<ComplaintRecord> = {}): ComplaintRecord => ({
  complaintId: id,
  category: 'delivery',
  severity: 'medium',
  filedAt,
  ...extra,
});

describe('complaint analytics', () => {
  const customers = [
    history('a', [
      complaint('K-1', '2026-05-01T00:00:00.000Z', {
        resolvedAt: '2026-05-03T00:00:00.000Z',
        satisfied: true,
      }),
      complaint('K-2', '2026-05-10T00:00:00.000Z', {
        category: 'billing',
        severity: 'high',
        resolvedAt: '2026-05-20T00:00:00.000Z',
        satisfied: false,
      }),
    ]),
    history('b', [
      complaint('K-3', '2026-06-25T00:00:00.000Z', {
        severity: 'critical',
        resolvedAt: '2026-07-05T00:00:00.000Z',
      }),
      complaint('K-4', '2026-01-01T00:00:00.000Z', { category: null, severity: 'low' }),
      complaint('K-5', '2026-06-01T00:00:00.000Z', { resolvedAt: '2026-06-05T00:00:00.000Z' }),
    ]),
    history('withdrawn', [complaint('K-9', '2026-05-01T00:00:00.000Z')], true),
  ];

  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('takes the same median of values counted so many times each', () => {
    expect(
      medianOfCounted([
        [5, 1],
        [1, 1],
        [3, 1],
      ]),
    ).toBe(3);
    expect(
      medianOfCounted([
        [4, 1],
        [1, 1],
        [3, 1],
        [2, 1],
      ]),
    ).toBe(2.5);
    expect(
      medianOfCounted([
        [7, 2],
        [1, 3],
        [2, 0],
      ]),
    ).toBe(1);
    expect(
      medianOfCounted([
        [7, 3],
        [1, 3],
      ]),
    ).toBe(4);
    expect(medianOfCounted([[2, 0]])).toBeNull();
  });

  it('counts by category and severity, measures resolution and ages the open backlog as of an instant', () => {
    const report = complaintReport(customers, {
      from: '2026-04-01T00:00:00.000Z',
      to: '2026-06-30T23:59:59.999Z',
      asOf: '2026-06-30T00:00:00.000Z',
      now: NOW,
    });
    expect(report).toEqual({
      filedFrom: '2026-04-01T00:00:00.000Z',
      filedTo: '2026-06-30T23:59:59.999Z',
      asOf: '2026-06-30T00:00:00.000Z',
      filed: 4,
      byCategory: [
        { category: 'delivery', complaints: 3 },
        { category: 'billing', complaints: 1 },
      ],
      bySeverity: [
        { severity: 'low', complaints: 0 },
        { severity: 'medium', complaints: 2 },
        { severity: 'high', complaints: 1 },
        { severity: 'critical', complaints: 1 },
      ],
      // K-1 in 2 days, K-5 in 4, K-2 in 10; K-3 is resolved only after asOf.
      resolution: {
        resolved: 3,
        medianDaysToResolution: 4,
        satisfied: 1,
        dissatisfied: 1,
        notSaid: 1,
        satisfiedShare: 1 / 3,
        timesKeptTo: 'millisecond',
      },
      // Open on 30 June: K-3 (5 days old) and K-4 (180 days old, filed before the range).
      backlog: {
        open: 2,
        byAge: [
          { band: '0-7 days', complaints: 1 },
          { band: '7-30 days', complaints: 0 },
          { band: '30-90 days', complaints: 0 },
          { band: '90+ days', complaints: 1 },
        ],
        oldestDays: 180,
      },
      leftOutWithoutConsent: { analytics: 1 },
    });
  });
});
