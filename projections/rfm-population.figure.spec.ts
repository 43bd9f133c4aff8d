import { ConsentHistory } from './consent';
import { addCounters, figureDeltas, FigureBucket, withDelta } from './population-figure';
import { PurchaseHistory } from './purchase-history.projection';
import { RfmPopulationWalk, rfmPopulationFigure, spendBucket } from './rfm-population.figure';
import {
  customerSegmentAsOf,
  monthEndsBefore,
  rfmMeasures,
  rfmMeasuresOverTime,
  rfmPopulationAsOf,
} from './rfm-scoring';
import { seededRandom } from '../test/fixtures/seeded-random';

const NOW = '2026-07-01T00:00:00.000Z';
const context = { ledgerCurrency: 'EUR', now: NOW };

/** 300 customers over 30 months: purchases and refunds in EUR and GBP, some consent choices, all at noon. */
function shop(seed = 7): PurchaseHistory[] {
  const next = seededRandom(seed);
  const day = () => new Date(Date.UTC(2024, 0, 1 + Math.floor(next() * 900), 12)).toISOString();
  const amount = () => ({
    amountMinor: 100 + Math.floor(next() * 50_000),
    currency: next() < 0.8 ? 'EUR' : 'GBP',
  });
  return Array.from({ length: 300 }, (_, index) => {
    const purchases = Array.from({ length: Math.floor(next() * 6) }, (__, n) => ({
      eventId: `p${index}-${n}`,
      at: day(),
      amount: amount(),
    }));
    const refunds = Array.from({ length: next() < 0.2 ? 1 : 0 }, (__, n) => ({
      eventId: `r${index}-${n}`,
      at: day(),
      amount: amount(),
    }));
    const consents: ConsentHistory | undefined =
      next() < 0.1 ? [{ purpose: 'analytics', granted: false, at: day() }] : undefined;
    return {
      customerId: `c${index}`,
      position: index + 1,
      purchases,
      refunds,
      ...(consents && { consents }),
    };
  });
}

/** The first `count` month ends before an instant, newest first. */
function monthEnds(asOf: string, count: number): string[] {
  const ends: string[] = [];
  for (const monthEnd of monthEndsBefore(asOf)) {
    if (ends.length === count) break;
    ends.push(monthEnd);
  }
  return ends;
}

/** The figure's buckets built as the runner builds them: every document added, one change at a time. */
function bucketsOf(histories: readonly PurchaseHistory[]): FigureBucket[] {
  const stored = new Map<string, FigureBucket>();
  for (const history of histories) {
    for (const [bucket, delta] of figureDeltas(rfmPopulationFigure, [[null, history]])) {
      const next = withDelta(bucket, stored.get(bucket), delta);
      if (next) stored.set(bucket, next);
      else stored.delete(bucket);
    }
  }
  return [...stored.values()];
}

/** The population's histograms at an instant, counted directly from every history. */
function countedAt(histories: readonly PurchaseHistory[], asOf: string): Map<string, number> {
  const counters = new Map<string, number>();
  for (const history of histories) {
    if (history.consents?.some((change) => !change.granted)) continue;
    const measures = rfmMeasures(history, asOf);
    if (!measures) continue;
    const spend = new Map<string, number>();
    for (const purchase of history.purchases.filter(({ at }) => at <= asOf)) {
      const { currency, amountMinor } = purchase.amount;
      spend.set(currency, (spend.get(currency) ?? 0) + amountMinor);
    }
    for (const refund of history.refunds.filter(({ at }) => at <= asOf)) {
      const { currency, amountMinor } = refund.amount;
      spend.set(currency, (spend.get(currency) ?? 0) - amountMinor);
    }
    const day = Math.floor(Date.parse(measures.lastPurchaseAt) / 86_400_000);
    const own = { customers: 1, [`r:${day}`]: 1, [`f:${measures.frequency}`]: 1 } as Record<string, number>;
    own[`m:${measures.monetaryCurrency}:${spendBucket(spend.get(measures.monetaryCurrency) ?? 0)}`] = 1;
    addCounters(counters, own);
  }
  return counters;
}

describe('the RFM population figure', () => {
  it('holds, at every month end, the histograms counted directly from every history', () => {
    const histories = shop();
    const buckets = bucketsOf(histories);
    const asOf = '2026-06-30T12:00:00.000Z';
    const sums = new Map<string, number>();
    for (const monthEnd of monthEnds(asOf, 30).reverse()) {
      sums.clear();
      for (const { bucket, counters } of buckets)
        if (bucket <= monthEnd.slice(0, 7)) addCounters(sums, counters);
      expect(new Map([...sums].sort())).toEqual(new Map([...countedAt(histories, monthEnd)].sort()));
    }
  });

  it('is the same whatever order the documents changed in, and empty once they are gone', () => {
    const histories = shop(11);
    const forwards = bucketsOf(histories);
    const backwards = bucketsOf([...histories].reverse());
    const sorted = (buckets: FigureBucket[]) => [...buckets].sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
    expect(sorted(backwards)).toEqual(sorted(forwards));

    const stored = new Map(forwards.map((bucket) => [bucket.bucket, bucket]));
    const removed = figureDeltas(
      rfmPopulationFigure,
      histories.map((history) => [history, null] as const),
    );
    for (const [bucket, delta] of removed) expect(withDelta(bucket, stored.get(bucket), delta)).toBeNull();
  });

  it('keeps only what changed when a document changes', () => {
    const before = shop()[3]!;
    const after: PurchaseHistory = {
      ...before,
      purchases: [
        ...before.purchases,
        { eventId: 'x', at: '2026-05-03T12:00:00.000Z', amount: { amountMinor: 999, currency: 'EUR' } },
      ],
    };
    const deltas = figureDeltas(rfmPopulationFigure, [[before, after]]);
    expect([...deltas.keys()].every((month) => month >= '2026-05')).toBe(true);
  });

  it('ranks a customer as the exact population does when last purchases fall on distinct days and spends lie apart', () => {
    // Customer i bought i times, the last on day i of May, and spent 2^i hundred euros: no ties anywhere.
    const histories: PurchaseHistory[] = [1, 2, 3, 4, 5, 6, 7].map((i) => ({
      customerId: `c${i}`,
      position: i,
      purchases: Array.from({ length: i }, (_, n) => ({
        eventId: `c${i}-${n}`,
        at: `2026-05-0${i}T${String(10 + n).padStart(2, '0')}:00:00.000Z`,
        amount: { amountMinor: (2 ** i * 10_000) / i, currency: 'EUR' },
      })),
      refunds: [],
    }));
    for (const asOf of ['2026-05-31T23:59:59.999Z', NOW]) {
      const exact = rfmPopulationAsOf(histories, asOf, context);
      for (const history of histories) {
        const population = new RfmPopulationWalk(bucketsOf(histories), asOf).at(asOf);
        const expected = customerSegmentAsOf(history, exact, asOf, context);
        const measures = rfmMeasures(history, asOf)!;
        expect(population.score(measures, true)).toEqual(expected);
      }
    }
  });

  it('ranks spend only among customers of the same principal currency, as the exact population does', () => {
    // Five customers paid in EUR (100 to 500), five in GBP (1 to 5): the biggest GBP spender is the top of
    // their currency although every EUR spender spent more.
    const histories: PurchaseHistory[] = ['EUR', 'GBP'].flatMap((currency, c) =>
      [1, 2, 3, 4, 5].map((i) => ({
        customerId: `${currency}-${i}`,
        position: c * 10 + i,
        purchases: [
          {
            eventId: `${currency}-${i}`,
            at: `2026-05-${String(c * 10 + i).padStart(2, '0')}T10:00:00.000Z`,
            amount: { amountMinor: (currency === 'EUR' ? 10_000 : 100) * i, currency },
          },
        ],
        refunds: [],
      })),
    );
    const exact = rfmPopulationAsOf(histories, NOW, context);
    const figure = new RfmPopulationWalk(bucketsOf(histories), NOW).at(NOW);
    for (const history of histories) {
      const measures = rfmMeasures(history, NOW)!;
      const expected = customerSegmentAsOf(history, exact, NOW, context);
      expect(figure.score(measures, true)).toEqual(expected);
    }
    const topGbp = figure.score(rfmMeasures(histories[9]!, NOW)!, true);
    expect([topGbp.measures.monetaryCurrency, topGbp.monetary]).toEqual(['GBP', 5]);
  });

  it('measures a customer at any instant from the history sorted once, as rfmMeasures does', () => {
    const instants = [...monthEnds(NOW, 30), NOW, '2024-03-15T12:00:00.000Z', '2023-01-01T00:00:00.000Z'];
    for (const history of shop(13)) {
      const measuresAt = rfmMeasuresOverTime(history);
      for (const instant of instants) expect(measuresAt(instant)).toEqual(rfmMeasures(history, instant));
    }
  });

  it('walks back month by month from an instant, newest first', () => {
    const histories = shop(5);
    const walk = new RfmPopulationWalk(bucketsOf(histories), NOW);
    expect(walk.at(NOW).size).toBe(countedAt(histories, NOW).get('customers'));
    for (const monthEnd of monthEnds(NOW, 12)) {
      expect(walk.at(monthEnd).size).toBe(countedAt(histories, monthEnd).get('customers') ?? 0);
    }
    expect(() => walk.at(NOW)).toThrow(/newest first/);
  });
});
