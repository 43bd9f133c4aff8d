import {
  aComplaintFiled,
  aComplaintResolved,
  aConsentGranted,
  aConsentWithdrawn,
  aPurchaseCompleted,
  aPurchaseRefunded,
  aSurveyAnswered,
  fold,
} from '../test/fixtures/projected-events';
import { seededRandom } from '../test/fixtures/seeded-random';
import { ExchangeRates } from '../src/domain/exchange-rates';
import { toDecimal } from '../src/domain/money';
import { summarizePurchases } from '../src/domain/predictions/purchase-summary';
import {
  complaintMonthsToRead,
  CustomerFigures,
  CustomerFiguresOverTime,
  customerMonths,
  monthsToRead,
} from './customer-figures';
import {
  complaintInstantsBucket,
  CustomerPage,
  customerPagesProjection,
  MonthPage,
  monthPageId,
} from './customer-pages.projection';
import { loyaltyAsOf, loyaltyOfInputsAsOf, loyaltyProjection } from './loyalty.projection';
import { figureDeltas, FigureBucket, withDelta } from './population-figure';
import { ProjectedEvent } from './projection';
import { purchaseHistoryProjection } from './purchase-history.projection';
import { rfmMeasures } from './rfm-scoring';

const CUSTOMER = 'c-1';
const DAY = 86_400_000;
const YEAR = 365 * DAY;

/**
 * A seeded customer history over three years: purchases in three currencies, refunds, survey answers of every
 * kind, complaints filed and resolved (some resolved before they were filed, some twice, some ids filed
 * twice, some resolutions of nothing), consent choices, recorded out of time order now and then.
 */
function historyOf(seed: number, count = 400): ProjectedEvent[] {
  const next = seededRandom(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  const start = Date.UTC(2024, 0, 1);
  const instant = () => new Date(start + Math.floor(next() * 3 * YEAR)).toISOString();
  const meta = () => ({ occurredAt: instant(), customerId: CUSTOMER });
  const complaints: string[] = [];
  return Array.from({ length: count }, (_, index) => {
    const kind = next();
    const money = () => ({
      amountMinor: 100 + Math.floor(next() * 20_000),
      currency: pick(['EUR', 'EUR', 'GBP', 'USD']),
    });
    if (kind < 0.35) return aPurchaseCompleted({ total: money() }, meta());
    if (kind < 0.45) return aPurchaseRefunded({ amount: money() }, meta());
    if (kind < 0.65) {
      const survey = pick(['nps', 'csat', 'ces'] as const);
      const score = {
        nps: Math.floor(next() * 11),
        csat: 1 + Math.floor(next() * 5),
        ces: 1 + Math.floor(next() * 7),
      }[survey];
      return aSurveyAnswered({ kind: survey, score }, meta());
    }
    if (kind < 0.8) {
      const complaintId = next() < 0.1 && complaints.length > 0 ? pick(complaints) : `k-${index}`;
      complaints.push(complaintId);
      return aComplaintFiled({ complaintId }, meta());
    }
    if (kind < 0.95) {
      const complaintId = next() < 0.1 || complaints.length === 0 ? `never-${index}` : pick(complaints);
      return aComplaintResolved({ complaintId }, meta());
    }
    return (next() < 0.5 ? aConsentGranted : aConsentWithdrawn)(
      { purpose: pick(['profiling', 'analytics'] as const) },
      meta(),
    );
  });
}

/** The pages and figure buckets as the runner keeps them: each event folded, each figure changed in step. */
function pagesOf(events: readonly ProjectedEvent[]) {
  const pages = new Map<string, CustomerPage>();
  const figures = new Map(
    customerPagesProjection.figures!.map((figure) => [figure.name, new Map<string, FigureBucket>()]),
  );
  for (const event of events) {
    const id = customerPagesProjection.documentId(event);
    if (id === undefined) continue;
    const before = pages.get(id) ?? null;
    const after = customerPagesProjection.evolve(before, event);
    if (after) pages.set(id, after);
    else pages.delete(id);
    for (const figure of customerPagesProjection.figures!) {
      const buckets = figures.get(figure.name)!;
      for (const [bucket, delta] of figureDeltas(figure, [[before, after]])) {
        const stored = withDelta(bucket, buckets.get(bucket), delta);
        if (stored) buckets.set(bucket, stored);
        else buckets.delete(bucket);
      }
    }
  }
  return { pages, figures };
}

/** What ReadModels.customerFigures reads: the totals, then only the pages and buckets the instant needs. */
function figuresAsOf(
  { pages, figures }: ReturnType<typeof pagesOf>,
  asOf: string,
  modelCurrency?: string,
): CustomerFigures {
  const months = customerMonths(figures.get('customer-totals')!.get(CUSTOMER)?.counters, asOf);
  const instants = figures.get('complaint-instants')!;
  return {
    customerId: CUSTOMER,
    asOf,
    modelCurrency,
    months,
    pages: new Map(
      monthsToRead(months, asOf, modelCurrency).map((month) => [
        month,
        pages.get(monthPageId(CUSTOMER, month)) as MonthPage | undefined,
      ]),
    ),
    complaintInstants: new Map(
      complaintMonthsToRead(asOf).map((month) => [
        month,
        instants.get(complaintInstantsBucket(CUSTOMER, month))?.counters,
      ]),
    ),
  };
}

/** Instants to ask at: random ones, month ends, facts' own instants and those a loyalty window away from them. */
function instantsFor(events: readonly ProjectedEvent[], seed: number): string[] {
  const next = seededRandom(seed);
  const random = Array.from({ length: 40 }, () =>
    new Date(Date.UTC(2023, 11, 1) + Math.floor(next() * 3.3 * YEAR)).toISOString(),
  );
  const facts = events
    .filter(() => next() < 0.1)
    .flatMap((event) => [
      event.occurredAt,
      new Date(Date.parse(event.occurredAt) + YEAR).toISOString(),
      new Date(Date.parse(event.occurredAt) + YEAR + 1).toISOString(),
    ]);
  return [
    ...random,
    ...facts,
    '2025-06-30T23:59:59.999Z',
    '2025-07-01T00:00:00.000Z',
    '2030-01-01T00:00:00.000Z',
  ];
}

const RATES: ExchangeRates = {
  GBP: [
    { from: '2023-01-01', rate: 1.17 },
    { from: '2025-03-01', rate: 1.19 },
  ],
  USD: [{ from: '2025-01-01', rate: 0.92 }],
};

describe("a customer's figures from month pages and totals", () => {
  it.each([1, 2, 3])(
    'give the loyalty score and RFM measures of the whole history, at any instant (seed %i)',
    (seed) => {
      const events = historyOf(seed);
      const loyaltyFacts = fold(loyaltyProjection, events);
      const history = fold(purchaseHistoryProjection, events)!;
      const kept = pagesOf(events);
      for (const asOf of instantsFor(events, seed)) {
        const figures = figuresAsOf(kept, asOf);
        const overTime = new CustomerFiguresOverTime(figures);
        expect(overTime.measures(asOf)).toEqual(rfmMeasures(history, asOf));
        for (const rates of [undefined, RATES]) {
          const whole = loyaltyAsOf(loyaltyFacts, asOf, 'EUR', ['profiling'], rates);
          const { contributingEvents: _, ...expected } = whole as typeof whole & {
            contributingEvents?: unknown;
          };
          expect(
            loyaltyOfInputsAsOf(overTime.loyaltyInputs(asOf), loyaltyFacts!.consents, 'EUR', rates),
          ).toEqual(
            'withheld' in expected
              ? expected
              : { score: expected.score, tier: expected.tier, components: expected.components },
          );
        }
      }
    },
  );

  it.each([
    [4, 'EUR', 'day'],
    [5, 'GBP', 'week'],
    [6, 'USD', 'day'],
  ] as const)(
    "give the customer-base models' purchase summary of the whole history, at any instant (seed %i, %s, %s)",
    (seed, currency, unit) => {
      const events = historyOf(seed);
      const purchases = fold(purchaseHistoryProjection, events)!
        .purchases.filter(({ amount }) => amount.currency === currency)
        .map(({ at, amount }) => ({ at, value: toDecimal(amount) }));
      const kept = pagesOf(events);
      for (const asOf of instantsFor(events, seed)) {
        const summary = new CustomerFiguresOverTime(figuresAsOf(kept, asOf, currency)).purchaseSummary(
          asOf,
          unit,
        );
        const expected = summarizePurchases(purchases, asOf, unit);
        if (expected === undefined) expect(summary).toBeUndefined();
        else {
          const { meanRepeatValue, ...counts } = expected;
          expect(summary).toEqual({ ...counts, meanRepeatValue: expect.closeTo(meanRepeatValue, 6) });
        }
      }
    },
  );

  it('say when the totals predate the purchase-day counts (folded by customer-pages version 1)', () => {
    const kept = pagesOf(historyOf(7));
    const asOf = '2026-06-15T00:00:00.000Z';
    expect(new CustomerFiguresOverTime(figuresAsOf(kept, asOf, 'EUR')).countsPurchaseDays()).toBe(true);
    const totals = kept.figures.get('customer-totals')!.get(CUSTOMER)!;
    const withoutDays = Object.fromEntries(
      Object.entries(totals.counters).filter(([name]) => !name.startsWith('d:')),
    );
    kept.figures.get('customer-totals')!.set(CUSTOMER, { ...totals, counters: withoutDays });
    expect(new CustomerFiguresOverTime(figuresAsOf(kept, asOf, 'EUR')).countsPurchaseDays()).toBe(false);
  });

  it('give the RFM measures at every month end without reading a page beyond those of the instant asked', () => {
    const events = historyOf(9);
    const history = fold(purchaseHistoryProjection, events)!;
    const asOf = '2026-12-15T12:00:00.000Z';
    const overTime = new CustomerFiguresOverTime(figuresAsOf(pagesOf(events), asOf));
    for (let month = 0; month < 40; month++) {
      const monthEnd = new Date(Date.UTC(2026, 11 - month, 1) - 1).toISOString();
      expect(overTime.measures(monthEnd)).toEqual(rfmMeasures(history, monthEnd));
    }
  });

  it('keep small documents: a page per month and a complaint, the totals a few counters per month', () => {
    const events = historyOf(5, 2000);
    const { pages, figures } = pagesOf(events);
    const totals = figures.get('customer-totals')!.get(CUSTOMER)!.counters;
    const months = new Set(Object.keys(totals).map((name) => name.split(':')[1]));
    expect(months.size).toBeLessThanOrEqual(36);
    // Purchases, spend, refunds and purchase days in three currencies, and five counters of their own.
    expect(Object.keys(totals).length).toBeLessThanOrEqual(months.size * 17);
    const read = figuresAsOf({ pages, figures }, '2026-06-15T00:00:00.000Z');
    expect(read.pages.size).toBeLessThanOrEqual(14);
    expect(read.complaintInstants.size).toBe(2);
  });

  it('asks for the page it needs: a page not read is an error, not a wrong answer', () => {
    const events = historyOf(6);
    const kept = pagesOf(events);
    const overTime = new CustomerFiguresOverTime(figuresAsOf(kept, '2026-06-15T00:00:00.000Z'));
    expect(() => overTime.measures('2024-06-10T00:00:00.000Z')).toThrow(/the page of 2024-06 was not read/);
    expect(() => overTime.measures('2026-07-01T00:00:00.000Z')).toThrow(/read as of 2026-06-15/);
  });
});
