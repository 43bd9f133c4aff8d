import { PurchaseHistory } from '../projections/purchase-history.projection';
import { purchaseCohortFigures, purchaseDaysFigure } from '../projections/purchase-cohort.figure';
import { cohortCutDays, cohortReport, CohortQuery, cohortReportOfFigure } from './cohorts';
import { periodFigureReads } from '../test/support/period-figure-reads';
import { seededRandom } from '../test/fixtures/seeded-random';

const NOW = '2027-01-01T00:00:00.000Z';
const DAY = 86_400_000;

/** 250 customers over 14 months: purchases and refunds in EUR and GBP, some at midnight, some consent choices. */
function shop(seed: number): PurchaseHistory[] {
  const next = seededRandom(seed);
  const instant = () => {
    // Every seventh day only: many facts share a day, so the cuts fall between facts of one day.
    const day = Date.UTC(2025, 9, 1) + Math.floor(next() * 60) * 7 * DAY;
    return new Date(next() < 0.3 ? day : day + Math.floor(next() * DAY)).toISOString();
  };
  const amount = () => ({
    amountMinor: 100 + Math.floor(next() * 9_000),
    currency: next() < 0.85 ? 'EUR' : 'GBP',
  });
  return Array.from({ length: 250 }, (_, index) => {
    const fact = (n: number) => ({ eventId: `e${index}-${n}`, at: instant(), amount: amount() });
    const consent = next();
    return {
      customerId: `c${index}`,
      position: 1,
      purchases: Array.from({ length: Math.floor(next() * 5) }, (__, n) => fact(n)),
      refunds: Array.from({ length: next() < 0.2 ? 1 : 0 }, (__, n) => fact(100 + n)),
      ...(consent < 0.15 && {
        consents: [
          { purpose: 'analytics' as const, granted: false, at: '2025-11-01T00:00:00.000Z' },
          ...(consent < 0.05
            ? [{ purpose: 'analytics' as const, granted: true, at: '2026-02-01T00:00:00.000Z' }]
            : []),
        ],
      }),
    };
  });
}

describe('the purchase cohort figure', () => {
  it('answers exactly what the cohort report computes over every history, for any range and as-of', () => {
    const histories = shop(11);
    const next = seededRandom(5);
    const facts = histories.flatMap((h) => [...h.purchases, ...h.refunds]).map((fact) => fact.at);
    const instant = (): string | undefined => {
      const pick = next();
      if (pick < 0.2) return undefined;
      if (pick < 0.5) return facts[Math.floor(next() * facts.length)]!; // exactly on a fact
      if (pick < 0.7) return new Date(Date.UTC(2025, 9, 1) + Math.floor(next() * 430) * DAY).toISOString();
      return new Date(Date.UTC(2025, 9, 1) + Math.floor(next() * 430 * DAY)).toISOString();
    };
    for (let run = 0; run < 60; run++) {
      const [a, b] = [instant(), instant()];
      const [from, to] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
      const query: CohortQuery = { from, to, asOf: instant() ?? NOW, ledgerCurrency: 'EUR', now: NOW };
      const reads = periodFigureReads(
        histories,
        purchaseCohortFigures,
        purchaseDaysFigure,
        (history) => history.customerId,
        cohortCutDays(query),
      );
      expect(cohortReportOfFigure(reads.buckets, reads.cutDocuments, query)).toEqual(
        cohortReport(histories, query),
      );
    }
  });

  it('reads the histories of the cut days only', () => {
    const histories = shop(12);
    const query = { asOf: '2026-06-15T12:00:00.000Z', ledgerCurrency: 'EUR', now: NOW };
    const reads = periodFigureReads(
      histories,
      purchaseCohortFigures,
      purchaseDaysFigure,
      (history) => history.customerId,
      cohortCutDays(query),
    );
    expect(reads.cutDocuments.length).toBeLessThan(10);
    expect(
      reads.cutDocuments.every((h) =>
        [...h.purchases, ...h.refunds].some((f) => f.at.startsWith('2026-06-15')),
      ),
    ).toBe(true);
    expect(cohortReportOfFigure(reads.buckets, reads.cutDocuments, query).customers).toBeGreaterThan(100);
  });
});
