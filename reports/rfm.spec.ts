import { ConsentHistory } from '../projections/consent';
import { PurchaseHistory } from '../projections/purchase-history.projection';
import {
  customerSegmentAsOf,
  fmScore,
  isWithheldSegment,
  monthEndsBefore,
  quintileOf,
  RFM_SEGMENT_MAP,
  RFM_SEGMENTS,
  rfmMeasures,
  rfmPopulationAsOf,
  segmentOf,
  segmentSince,
} from '../projections/rfm-scoring';
import { rfmAsOf, rfmReport, segmentTransitions } from './rfm';

const AS_OF = '2026-06-30T00:00:00.000Z';
const NOW = '2026-07-01T00:00:00.000Z';
const context = { ledgerCurrency: 'EUR', now: NOW };
let position = 0;

/** A purchase history built directly: purchases as [instant, euros], refunds likewise. */
function history(
  customerId: string,
  purchases: [string, number][],
  refunds: [string, number][] = [],
  consents?: ConsentHistory,
): PurchaseHistory {
  const amount = (euros: number) => ({ amountMinor: Math.round(euros * 100), currency: 'EUR' });
  return {
    customerId,
    position: ++position,
    purchases: purchases.map(([at, euros], index) => ({
      eventId: `${customerId}-p${index}`,
      at,
      amount: amount(euros),
    })),
    refunds: refunds.map(([at, euros], index) => ({
      eventId: `${customerId}-r${index}`,
      at,
      amount: amount(euros),
    })),
    ...(consents && { consents }),
  };
}

/** Customer i (1..5) bought i times, the last time later the higher i, and spent 100 * i euros each time. */
function ladder(): PurchaseHistory[] {
  return [1, 2, 3, 4, 5].map((i) =>
    history(
      `c${i}`,
      Array.from(
        { length: i },
        (_, n) => [`2026-0${i}-0${n + 1}T10:00:00.000Z`, 100 * i] as [string, number],
      ),
    ),
  );
}

describe('RFM segments', () => {
  describe('the segment map', () => {
    it('names one of the known segments in each of the 25 cells, and uses every segment', () => {
      const cells = ([5, 4, 3, 2, 1] as const).flatMap((r) =>
        ([1, 2, 3, 4, 5] as const).map((fm) => segmentOf(r, fm)),
      );
      expect(cells).toHaveLength(25);
      expect(new Set(cells)).toEqual(new Set(RFM_SEGMENTS));
      expect(RFM_SEGMENT_MAP[5][4]).toBe('champions');
      expect(segmentOf(1, 1)).toBe('lost');
      expect(segmentOf(2, 4)).toBe('at-risk');
      expect(segmentOf(5, 1)).toBe('new');
    });

    it.each([
      [5, 4, 5],
      [4, 1, 3],
      [1, 2, 2],
      [3, 3, 3],
      [1, 1, 1],
    ] as const)('FM of F %d and M %d is %d (the mean rounded half up)', (f, m, fm) => {
      expect(fmScore(f, m)).toBe(fm);
    });
  });

  describe('quintileOf (share of the population below)', () => {
    it('gives tied values one score, the lowest value 1 however common', () => {
      const sorted = [1, 1, 1, 2, 3];
      // 1: 0 below -> 1; 2: 3 of 5 below = 0.6 -> 4; 3: 4 of 5 below = 0.8 -> 5
      expect([1, 2, 3].map((value) => quintileOf(sorted, value))).toEqual([1, 4, 5]);
    });

    it('spreads five distinct values over the five scores', () => {
      expect([10, 20, 30, 40, 50].map((value) => quintileOf([10, 20, 30, 40, 50], value))).toEqual([
        1, 2, 3, 4, 5,
      ]);
    });

    it('ranks a value outside the population as if it were added', () => {
      // 25 among [10, 20, 30, 40] + itself: 2 of 5 below = 0.4 -> 3
      expect(quintileOf([10, 20, 30, 40], 25, false)).toBe(3);
      expect(quintileOf([], 25, false)).toBe(1);
    });
  });

  describe('measures as of an instant', () => {
    it('counts lifetime purchases, net spend in the ledger currency and days since the last purchase', () => {
      const doc = history(
        'c-ada',
        [
          ['2026-01-10T00:00:00.000Z', 100],
          ['2026-06-20T00:00:00.000Z', 50.5],
          ['2026-07-15T00:00:00.000Z', 999],
        ],
        [['2026-02-01T00:00:00.000Z', 20]],
      );
      const usdPurchase = {
        eventId: 'usd',
        at: '2026-03-01T00:00:00.000Z',
        amount: { amountMinor: 5000, currency: 'USD' },
      };
      expect(rfmMeasures({ ...doc, purchases: [...doc.purchases, usdPurchase] }, AS_OF)).toEqual({
        customerId: 'c-ada',
        firstPurchaseAt: '2026-01-10T00:00:00.000Z',
        lastPurchaseAt: '2026-06-20T00:00:00.000Z',
        recencyDays: 10,
        frequency: 3,
        monetaryMinor: 10000 + 5050 - 2000,
        monetaryCurrency: 'EUR',
      });
      expect(rfmMeasures(doc, '2026-01-09T00:00:00.000Z')).toBeUndefined();
    });
  });

  describe('scoring a population', () => {
    it('ranks five customers with rising recency, frequency and spend from lost to champions', () => {
      const scoring = rfmAsOf(ladder(), AS_OF, context);
      expect(
        [...scoring.scored.values()].map((s) => [
          s.measures.customerId,
          s.recency,
          s.frequency,
          s.monetary,
          s.segment,
        ]),
      ).toEqual([
        ['c1', 1, 1, 1, 'lost'],
        ['c2', 2, 2, 2, 'hibernating'],
        ['c3', 3, 3, 3, 'needs-attention'],
        ['c4', 4, 4, 4, 'loyal'],
        ['c5', 5, 5, 5, 'champions'],
      ]);
    });

    it('leaves out buyers without analytics consent now, and gives no segment without profiling consent then', () => {
      const noAnalytics = history(
        'c-no-analytics',
        [['2026-06-01T00:00:00.000Z', 10]],
        [],
        [{ purpose: 'analytics', granted: false, at: '2026-06-30T12:00:00.000Z' }],
      );
      const noProfiling = history(
        'c-no-profiling',
        [['2026-06-01T00:00:00.000Z', 10]],
        [],
        [{ purpose: 'profiling', granted: false, at: '2026-05-01T00:00:00.000Z' }],
      );
      const neverBought = history('c-browser', []);
      const scoring = rfmAsOf([...ladder(), noAnalytics, noProfiling, neverBought], AS_OF, context);

      expect(scoring.population.size).toBe(6);
      expect([...scoring.scored.keys()].sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
      expect(scoring.leftOutWithoutConsent).toEqual({ analytics: 1, profiling: 1 });
    });

    it('reports segment counts, the grid and the range of each quintile', () => {
      const report = rfmReport(rfmAsOf(ladder(), AS_OF, context), 'EUR');
      expect(report.customers).toBe(5);
      expect(report.segments.filter((s) => s.customers > 0).map((s) => [s.segment, s.customers])).toEqual([
        ['champions', 1],
        ['loyal', 1],
        ['needs-attention', 1],
        ['hibernating', 1],
        ['lost', 1],
      ]);
      expect(report.grid).toHaveLength(25);
      expect(report.grid.find((cell) => cell.recency === 5 && cell.fm === 5)).toEqual({
        recency: 5,
        fm: 5,
        segment: 'champions',
        customers: 1,
      });
      expect(report.quintiles[4]).toMatchObject({
        score: 5,
        frequency: { min: 5, max: 5 },
        monetary: { min: 2500, max: 2500 },
      });
    });
  });

  describe('one customer', () => {
    const population = rfmPopulationAsOf(ladder(), AS_OF, context);

    it('says why there is no segment: no purchase yet, or profiling withdrawn as of the instant', () => {
      const browser = customerSegmentAsOf(history('c-new', []), population, AS_OF, context);
      expect(browser).toEqual({ name: null, asOf: AS_OF, reason: 'no purchase yet: segments need one' });
      const withdrawn = customerSegmentAsOf(
        history(
          'c-x',
          [['2026-06-01T00:00:00.000Z', 10]],
          [],
          [{ purpose: 'profiling', granted: false, at: '2026-03-01T00:00:00.000Z' }],
        ),
        population,
        AS_OF,
        context,
      );
      expect(withdrawn).toMatchObject({
        name: null,
        withheld: { purpose: 'profiling', since: '2026-03-01T00:00:00.000Z' },
      });
      expect(isWithheldSegment(withdrawn)).toBe(true);
    });

    it('ranks the customer against the population', () => {
      const scored = customerSegmentAsOf(ladder()[4]!, population, AS_OF, context);
      expect(isWithheldSegment(scored) ? null : scored.segment).toBe('champions');
    });
  });

  describe('membership history', () => {
    it('lists the month ends before an instant, newest first', () => {
      const ends = monthEndsBefore('2026-03-15T00:00:00.000Z');
      expect([ends.next().value, ends.next().value, ends.next().value]).toEqual([
        '2026-02-28T23:59:59.999Z',
        '2026-01-31T23:59:59.999Z',
        '2025-12-31T23:59:59.999Z',
      ]);
    });

    it('dates the entry to the month after the last month end in another segment', () => {
      const asked: string[] = [];
      const since = segmentSince(
        'loyal',
        '2026-05-15T00:00:00.000Z',
        '2025-01-01T00:00:00.000Z',
        (instant) => {
          asked.push(instant);
          return instant >= '2026-03-01' ? 'loyal' : 'at-risk';
        },
      );
      expect(since).toEqual({ since: '2026-03-01T00:00:00.000Z' });
      expect(asked).toEqual([
        '2026-04-30T23:59:59.999Z',
        '2026-03-31T23:59:59.999Z',
        '2026-02-28T23:59:59.999Z',
      ]);
    });

    it('dates it to the first purchase when the customer has been in it ever since', () => {
      expect(
        segmentSince('new', '2026-05-15T00:00:00.000Z', '2026-04-10T08:00:00.000Z', () => 'new'),
      ).toEqual({
        since: '2026-04-10T08:00:00.000Z',
      });
    });

    it('stops at its limit and says the customer has been in it at least since the earliest month end checked', () => {
      expect(
        segmentSince('lost', '2026-05-15T00:00:00.000Z', '2020-01-01T00:00:00.000Z', () => 'lost', 3),
      ).toEqual({
        since: '2026-02-28T23:59:59.999Z',
        searchLimitReached: true,
      });
    });

    it('counts the moves between two dates, newcomers coming from none', () => {
      const customers = [
        ...ladder(),
        history('late', [
          ['2026-06-10T00:00:00.000Z', 10],
          ['2026-06-11T00:00:00.000Z', 10],
        ]),
      ];
      const from = rfmAsOf(customers, '2026-04-30T00:00:00.000Z', context);
      const to = rfmAsOf(customers, AS_OF, context);
      const moves = segmentTransitions(from, to);
      // 30 April, c1..c4 only: 0, 1, 2, 3 of 4 below give R = F = M = 1, 2, 3, 4: lost, hibernating,
      // needs-attention, loyal. 30 June, six buyers: recency by last purchase c1 < c2 < c3 < c4 < c5 < late
      // gives R 1, 1, 2, 3, 4, 5; frequencies [c1 1, c2 2, late 2, c3 3, c4 4, c5 5] give F 1, 1, 1, 3, 4, 5;
      // spend [late 20, c1 100, c2 400, c3 900, c4 1600, c5 2500] gives M late 1, c1 1, c2 2, c3 3, c4 4,
      // c5 5. So c1 R1 FM1 lost, c2 R1 FM2 lost, c3 R2 FM3 at-risk, c4 R3 FM4 loyal, c5 R4 FM5 loyal, late
      // R5 FM1 new.
      expect(from.scored.get('c4')?.segment).toBe('loyal');
      expect(moves.customers).toBe(6);
      expect(moves.transitions).toEqual([
        { from: 'hibernating', to: 'lost', customers: 1 },
        { from: 'lost', to: 'lost', customers: 1 },
        { from: 'loyal', to: 'loyal', customers: 1 },
        { from: 'needs-attention', to: 'at-risk', customers: 1 },
        { from: 'none', to: 'loyal', customers: 1 },
        { from: 'none', to: 'new', customers: 1 },
      ]);
    });
  });
});
