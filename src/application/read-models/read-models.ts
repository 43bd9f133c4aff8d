import { Inject, Injectable } from '@nestjs/common';
import { consentGiven } from '../../../projections/consent';
import { CustomerSummary } from '../../../projections/customer-summary.projection';
import { ConsentPurpose } from '../../domain/customer-events';
import { FunnelPosition } from '../../../projections/funnel.projection';
import { LoyaltyFacts } from '../../../projections/loyalty.projection';
import { TimelineEntry } from '../../../projections/timeline.projection';
import { PurchaseHistory } from '../../../projections/purchase-history.projection';
import {
  cohortCover,
  funnelCounters,
  funnelDaysFigure,
  funnelMonthsFigure,
} from '../../../projections/funnel-cohort.figure';
import { periodCover } from '../../../projections/period-figures';
import { addCounters, FigureBucket, PopulationFigure } from '../../../projections/population-figure';
import { rfmPopulationFigure } from '../../../projections/rfm-population.figure';
import {
  complaintInstantsBucket,
  complaintInstantsFigure,
  customerPagesProjection,
  customerTotalsFigure,
  MonthPage,
  monthPageId,
} from '../../../projections/customer-pages.projection';
import {
  complaintMonthsToRead,
  CustomerFigures,
  customerMonths,
  monthsToRead,
} from '../../../projections/customer-figures';
import { RfmContext } from '../../../projections/rfm-scoring';
import { RfmAsOf, RfmScoring } from '../../../reports/rfm';
import { FindQuery, READ_STORE, ReadStore } from '../../ports/read-store.port';
import { PROJECTION_ENGINE, ProjectionEngine } from './projection-engine';

/** Typed access to the active generation of each read model. */
@Injectable()
export class ReadModels {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
  ) {}

  summary(customerId: string) {
    return this.store.get<CustomerSummary>(this.engine.collection('customer-summary'), customerId);
  }

  loyaltyFacts(customerId: string) {
    return this.store.get<LoyaltyFacts>(this.engine.collection('loyalty'), customerId);
  }

  /** Every customer's loyalty facts, streamed. */
  allLoyaltyFacts(): AsyncIterable<LoyaltyFacts> {
    return this.store.scan<LoyaltyFacts>(this.engine.collection('loyalty'));
  }

  funnel(customerId: string) {
    return this.store.get<FunnelPosition>(this.engine.collection('funnel'), customerId);
  }

  /**
   * The consent query: whether processing for a purpose is allowed for a customer at an instant, by the consent
   * history the funnel read model keeps (a customer it has not folded yet has made no recorded choice). Every
   * question about one customer's consent asks here; copies in other documents serve figures and scans only
   * (see projections/consent.ts).
   */
  async consentGiven(customerId: string, purpose: ConsentPurpose, at: string): Promise<boolean> {
    return consentGiven((await this.funnel(customerId))?.consents, purpose, at);
  }

  /**
   * The funnel counters of a first-seen cohort (both ends optional, inclusive): whole months and days from the
   * funnel figures, the stretches shorter than a day at the ends counted customer by customer.
   */
  async funnelCohortCounters(firstSeenFrom?: string, firstSeenTo?: string): Promise<Map<string, number>> {
    const cover = cohortCover(firstSeenFrom, firstSeenTo);
    const total = new Map<string, number>();
    const months = this.engine.figureCollection('funnel', funnelMonthsFigure.name);
    for await (const { bucket, counters } of this.store.scan<FigureBucket>(months)) {
      if (cover.month(bucket)) addCounters(total, counters);
    }
    const days = this.engine.figureCollection('funnel', funnelDaysFigure.name);
    for (const { counters } of (await this.store.getMany<FigureBucket>(days, cover.days)).values()) {
      addCounters(total, counters);
    }
    for (const { from, to } of cover.partial) {
      const range = { field: 'firstSeenAt', from, to };
      for await (const position of this.store.scan<FunnelPosition>(this.engine.collection('funnel'), range)) {
        addCounters(total, funnelCounters(position));
      }
    }
    return total;
  }

  /** The buckets of the RFM population figure (a few per month of history, see rfmPopulationFigure). */
  async rfmPopulation(): Promise<FigureBucket[]> {
    const buckets: FigureBucket[] = [];
    const collection = this.engine.figureCollection('purchase-history', rfmPopulationFigure.name);
    for await (const bucket of this.store.scan<FigureBucket>(collection)) buckets.push(bucket);
    return buckets;
  }

  /**
   * What a question about one customer as of an instant reads (customer-figures.ts): the customer's month
   * totals, then the few month pages and complaint instants the instant needs; never the whole history.
   * With `modelCurrency`, also what the customer-base models read of the purchases in that currency.
   */
  async customerFigures(customerId: string, asOf: string, modelCurrency?: string): Promise<CustomerFigures> {
    const { name } = customerPagesProjection;
    const totals = await this.store.get<FigureBucket>(
      this.engine.figureCollection(name, customerTotalsFigure.name),
      customerId,
    );
    const totalsByMonth = customerMonths(totals?.counters, asOf);
    const months = monthsToRead(totalsByMonth, asOf, modelCurrency);
    const complaintMonths = complaintMonthsToRead(asOf);
    const [pages, instants] = await Promise.all([
      this.store.getMany<MonthPage>(
        this.engine.collection(name),
        months.map((month) => monthPageId(customerId, month)),
      ),
      this.store.getMany<FigureBucket>(
        this.engine.figureCollection(name, complaintInstantsFigure.name),
        complaintMonths.map((month) => complaintInstantsBucket(customerId, month)),
      ),
    ]);
    return {
      customerId,
      asOf,
      modelCurrency,
      months: totalsByMonth,
      pages: new Map(months.map((month) => [month, pages.get(monthPageId(customerId, month))])),
      complaintInstants: new Map(
        complaintMonths.map((month) => [
          month,
          instants.get(complaintInstantsBucket(customerId, month))?.counters,
        ]),
      ),
    };
  }

  /**
   * The RFM scorings of every customer as of each instant, from one stream of the purchase histories: each
   * history is measured as it is read and let go (RfmScoring keeps the buyers' measures only).
   */
  async rfmScorings(instants: readonly string[], context: RfmContext): Promise<RfmAsOf[]> {
    const scorings = instants.map((instant) => new RfmScoring(instant, context));
    const collection = this.engine.collection('purchase-history');
    for await (const history of this.store.scan<PurchaseHistory>(collection)) {
      for (const scoring of scorings) scoring.add(history);
    }
    return scorings.map((scoring) => scoring.result());
  }

  /** Every purchase history, read afresh (the analyst's reports that rank every customer exactly). */
  allPurchaseHistories(): Promise<PurchaseHistory[]> {
    return this.everyDocument<PurchaseHistory>('purchase-history');
  }

  /**
   * What a question cut at some days reads of a figure kept by month and by day (periodFigures): the month
   * buckets without a cut day, the day buckets of the months with one, and the documents with a fact on a cut
   * day (found through the projection's customers-by-day figure), to be counted one by one. A few dozen small
   * buckets and a day's documents, whatever the number of customers.
   */
  async periodFigure<Doc extends object>(
    projection: string,
    figures: { readonly months: PopulationFigure<Doc>; readonly days: PopulationFigure<Doc> },
    customersByDay: PopulationFigure<Doc>,
    cutDays: readonly string[],
  ): Promise<{ buckets: FigureBucket[]; cutDocuments: Doc[] }> {
    const cover = periodCover(cutDays);
    const buckets: FigureBucket[] = [];
    const months = this.engine.figureCollection(projection, figures.months.name);
    for await (const bucket of this.store.scan<FigureBucket>(months)) {
      if (cover.wholeMonth(bucket.bucket)) buckets.push(bucket);
    }
    const days = this.engine.figureCollection(projection, figures.days.name);
    buckets.push(...(await this.store.getMany<FigureBucket>(days, cover.days)).values());
    return { buckets, cutDocuments: await this.documentsOn(projection, customersByDay, cutDays) };
  }

  /** Some buckets of a figure, by id. */
  async figureBuckets<Doc extends object>(
    projection: string,
    figure: PopulationFigure<Doc>,
    ids: readonly string[],
  ): Promise<FigureBucket[]> {
    const collection = this.engine.figureCollection(projection, figure.name);
    return [...(await this.store.getMany<FigureBucket>(collection, ids)).values()];
  }

  /** The documents of the customers with a fact on one of the days, by the projection's customers-by-day figure. */
  async documentsOn<Doc extends object>(
    projection: string,
    customersByDay: PopulationFigure<Doc>,
    days: readonly string[],
  ): Promise<Doc[]> {
    const ids = (await this.figureBuckets(projection, customersByDay, days)).flatMap(({ counters }) =>
      Object.keys(counters),
    );
    return [...(await this.store.getMany<Doc>(this.engine.collection(projection), ids)).values()];
  }

  /** Every document of a read model, for one request: nothing is kept between requests (the RFM report's). */
  private async everyDocument<T extends object>(projection: string): Promise<T[]> {
    const documents: T[] = [];
    for await (const document of this.store.scan<T>(this.engine.collection(projection)))
      documents.push(document);
    return documents;
  }

  timeline(query: FindQuery) {
    return this.store.find<TimelineEntry>(this.engine.collection('timeline'), query);
  }
}
