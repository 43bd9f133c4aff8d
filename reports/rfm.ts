import { toDecimal } from '../src/domain/money';
import { consentGiven } from '../projections/consent';
import { PurchaseHistory } from '../projections/purchase-history.projection';
import {
  Quintile,
  RFM_SEGMENT_MEANINGS,
  RFM_SEGMENTS,
  RfmContext,
  rfmMeasures,
  RfmMeasures,
  rfmPopulation,
  RfmPopulation,
  rfmScore,
  RfmScore,
  RfmSegment,
  segmentOf,
} from '../projections/rfm-scoring';

/** Who is scored as of an instant, and who was left out for consent. */
export interface RfmAsOf {
  readonly population: RfmPopulation;
  /** Customers with a segment: in the population and with profiling consent as of the instant. */
  readonly scored: ReadonlyMap<string, RfmScore>;
  /** Customers in the population without a segment: profiling consent withdrawn as of the instant. */
  readonly withheld: ReadonlySet<string>;
  /**
   * Buyers left out: `analytics` (consent withdrawn at the processing instant: not in the population, no
   * figure), `profiling` (in the population, but consent withdrawn as of the instant asked: no segment).
   */
  readonly leftOutWithoutConsent: { readonly analytics: number; readonly profiling: number };
}

/**
 * Scores every customer as of `asOf`, their histories given one at a time (a stream of the read model): only
 * each buyer's measures are kept, never the histories. The population (what quintiles are relative to) is every
 * customer that had bought by then and whose analytics consent holds now; a segment is given to those of them
 * whose profiling consent held as of `asOf`.
 */
export class RfmScoring {
  private readonly inScope: { readonly measures: RfmMeasures; readonly profiling: boolean }[] = [];
  private analyticsLeftOut = 0;

  constructor(
    readonly asOf: string,
    private readonly context: RfmContext,
  ) {}

  add(history: PurchaseHistory): void {
    const measures = rfmMeasures(history, this.asOf);
    if (!measures) return;
    if (!consentGiven(history.consents, 'analytics', this.context.now)) this.analyticsLeftOut++;
    else this.inScope.push({ measures, profiling: consentGiven(history.consents, 'profiling', this.asOf) });
  }

  result(): RfmAsOf {
    const population = rfmPopulation(
      this.inScope.map(({ measures }) => measures),
      this.asOf,
    );
    const scored = new Map<string, RfmScore>();
    const withheld = new Set<string>();
    for (const { measures, profiling } of this.inScope) {
      if (!profiling) withheld.add(measures.customerId);
      else scored.set(measures.customerId, rfmScore(measures, population));
    }
    return {
      population,
      scored,
      withheld,
      leftOutWithoutConsent: { analytics: this.analyticsLeftOut, profiling: withheld.size },
    };
  }
}

/** RfmScoring over histories at hand. */
export function rfmAsOf(histories: Iterable<PurchaseHistory>, asOf: string, context: RfmContext): RfmAsOf {
  const scoring = new RfmScoring(asOf, context);
  for (const history of histories) scoring.add(history);
  return scoring.result();
}

/** Segment counts and the R x FM grid as of an instant. */
export interface RfmReport {
  readonly asOf: string;
  readonly ledgerCurrency: string;
  /** Buyers in the population (what the quintiles are relative to). */
  readonly population: number;
  /** Customers with a segment. */
  readonly customers: number;
  readonly segments: readonly {
    readonly segment: RfmSegment;
    readonly meaning: string;
    readonly customers: number;
    readonly share: number | null;
  }[];
  /** 25 cells: recency 5..1 by FM 1..5, each with its segment and count. */
  readonly grid: readonly {
    readonly recency: Quintile;
    readonly fm: Quintile;
    readonly segment: RfmSegment;
    readonly customers: number;
  }[];
  /** Per score, the range of the raw measure among the scored customers (null where nobody has that score). */
  readonly quintiles: readonly {
    readonly score: Quintile;
    readonly recencyDays: Range | null;
    readonly frequency: Range | null;
    /** Net spend of the customers whose principal currency is the ledger currency, in it. */
    readonly monetary: Range | null;
    /** Net spend by principal currency (each currency is ranked on its own), in that currency. */
    readonly monetaryByCurrency: Readonly<Record<string, Range>>;
  }[];
  readonly leftOutWithoutConsent: { readonly analytics: number; readonly profiling: number };
}

interface Range {
  readonly min: number;
  readonly max: number;
}

const QUINTILES: readonly Quintile[] = [1, 2, 3, 4, 5];

/** The analyst's RFM figures from a scoring as of an instant. */
export function rfmReport(scoring: RfmAsOf, ledgerCurrency: string): RfmReport {
  const scores = [...scoring.scored.values()];
  const bySegment = new Map<RfmSegment, number>();
  const byCell = new Map<string, number>();
  for (const score of scores) {
    bySegment.set(score.segment, (bySegment.get(score.segment) ?? 0) + 1);
    const cell = `${score.recency}:${score.fm}`;
    byCell.set(cell, (byCell.get(cell) ?? 0) + 1);
  }
  const rangeOf = (values: number[]): Range | null =>
    values.length === 0 ? null : { min: Math.min(...values), max: Math.max(...values) };
  const inMajor = (range: Range | null, currency: string): Range | null =>
    range && {
      min: toDecimal({ amountMinor: range.min, currency }),
      max: toDecimal({ amountMinor: range.max, currency }),
    };
  const currencies = [...new Set(scores.map((s) => s.measures.monetaryCurrency))].sort();
  return {
    asOf: scoring.population.asOf,
    ledgerCurrency,
    population: scoring.population.size,
    customers: scores.length,
    segments: RFM_SEGMENTS.map((segment) => ({
      segment,
      meaning: RFM_SEGMENT_MEANINGS[segment],
      customers: bySegment.get(segment) ?? 0,
      share: scores.length === 0 ? null : (bySegment.get(segment) ?? 0) / scores.length,
    })),
    grid: [...QUINTILES].reverse().flatMap((recency) =>
      QUINTILES.map((fm) => ({
        recency,
        fm,
        segment: segmentOf(recency, fm),
        customers: byCell.get(`${recency}:${fm}`) ?? 0,
      })),
    ),
    quintiles: QUINTILES.map((score) => {
      const spendIn = (currency: string) =>
        inMajor(
          rangeOf(
            scores
              .filter((s) => s.monetary === score && s.measures.monetaryCurrency === currency)
              .map((s) => s.measures.monetaryMinor),
          ),
          currency,
        );
      const byCurrency = currencies.flatMap((currency) => {
        const range = spendIn(currency);
        return range ? [[currency, range] as const] : [];
      });
      return {
        score,
        recencyDays: rangeOf(scores.filter((s) => s.recency === score).map((s) => s.measures.recencyDays)),
        frequency: rangeOf(scores.filter((s) => s.frequency === score).map((s) => s.measures.frequency)),
        monetary: spendIn(ledgerCurrency),
        monetaryByCurrency: Object.fromEntries(byCurrency),
      };
    }),
    leftOutWithoutConsent: scoring.leftOutWithoutConsent,
  };
}

/** Where the customers in segment X as of D1 were as of D2 (`none`: not a buyer yet at D1). */
export interface SegmentTransitions {
  readonly from: string;
  readonly to: string;
  /** Every non-empty pair, the most customers first. */
  readonly transitions: readonly {
    readonly from: RfmSegment | 'none';
    readonly to: RfmSegment;
    readonly customers: number;
  }[];
  /** Customers counted in the pairs: those with a segment as of D2. */
  readonly customers: number;
  readonly leftOutWithoutConsent: { readonly analytics: number; readonly profiling: number };
}

/**
 * Counts the movements between two scorings of the same customers (D1 before D2). Counted: every customer with a
 * segment as of D2, coming from their segment as of D1 or from `none` when they had not bought yet. Left out:
 * buyers whose analytics consent is withdrawn (in neither scoring) and those whose profiling consent was
 * withdrawn at either date.
 */
export function segmentTransitions(from: RfmAsOf, to: RfmAsOf): SegmentTransitions {
  const pairs = new Map<string, number>();
  let customers = 0;
  let withheldAtFrom = 0;
  for (const [customerId, after] of to.scored) {
    const before = from.scored.get(customerId);
    // A buyer by D1 without a segment then: profiling was withdrawn at D1 (analytics is asked as of now in both).
    if (!before && from.withheld.has(customerId)) {
      withheldAtFrom++;
      continue;
    }
    customers++;
    const key = `${before?.segment ?? 'none'}>${after.segment}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  }
  return {
    from: from.population.asOf,
    to: to.population.asOf,
    transitions: [...pairs.entries()]
      .map(([key, count]) => {
        const [fromSegment, toSegment] = key.split('>') as [RfmSegment | 'none', RfmSegment];
        return { from: fromSegment, to: toSegment, customers: count };
      })
      .sort((a, b) => b.customers - a.customers || a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    customers,
    leftOutWithoutConsent: {
      analytics: to.leftOutWithoutConsent.analytics,
      profiling: to.leftOutWithoutConsent.profiling + withheldAtFrom,
    },
  };
}
