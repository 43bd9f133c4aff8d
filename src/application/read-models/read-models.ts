import { Inject, Injectable } from '@nestjs/common';
import { consentGiven } from '../../../projections/consent';
import { CustomerSummary } from '../../../projections/customer-summary.projection';
import { ConsentPurpose } from '../../domain/customer-events';
import { FunnelPosition } from '../../../projections/funnel.projection';
import { LoyaltyFacts } from '../../../projections/loyalty.projection';
import { TimelineEntry } from '../../../projections/timeline.projection';
import { PurchaseHistory } from '../../../projections/purchase-history.projection';
import { ComplaintHistory } from '../../../projections/complaint-history.projection';
import { SurveyHistory } from '../../../projections/survey-history.projection';
import { FindQuery, READ_STORE, ReadStore } from '../../ports/read-store.port';
import { PROJECTION_ENGINE, ProjectionEngine } from './projection-engine';

/** Typed access to the active generation of each read model. */
@Injectable()
export class ReadModels {
  private readonly wholeReadModels = new Map<string, { version: string; documents: readonly object[] }>();

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

  /** Every customer's loyalty facts (kept in memory between folds, see everyDocument). */
  async *allLoyaltyFacts(): AsyncIterable<LoyaltyFacts> {
    yield* (await this.everyDocument<LoyaltyFacts>('loyalty')).documents;
  }

  funnel(customerId: string) {
    return this.store.get<FunnelPosition>(this.engine.collection('funnel'), customerId);
  }

  /**
   * Whether processing for a purpose is allowed for a customer at an instant, by the consent history the
   * funnel read model keeps (a customer it has not folded yet has made no recorded choice).
   */
  async consentGiven(customerId: string, purpose: ConsentPurpose, at: string): Promise<boolean> {
    return consentGiven((await this.funnel(customerId))?.consents, purpose, at);
  }

  /** The funnel positions of a first-seen cohort (from memory between folds in a folding process). */
  async *funnelCohort(firstSeenFrom?: string, firstSeenTo?: string): AsyncIterable<FunnelPosition> {
    if (this.engine.foldedPositionOf('funnel') === undefined) {
      yield* this.store.scan<FunnelPosition>(this.engine.collection('funnel'), {
        field: 'firstSeenAt',
        from: firstSeenFrom,
        to: firstSeenTo,
      });
      return;
    }
    for (const position of (await this.everyDocument<FunnelPosition>('funnel')).documents) {
      if (firstSeenFrom !== undefined && position.firstSeenAt < firstSeenFrom) continue;
      if (firstSeenTo !== undefined && position.firstSeenAt > firstSeenTo) continue;
      yield position;
    }
  }

  purchaseHistory(customerId: string) {
    return this.store.get<PurchaseHistory>(this.engine.collection('purchase-history'), customerId);
  }

  /** Every purchase history, and the version it is of (see everyDocument). */
  allPurchaseHistories() {
    return this.everyDocument<PurchaseHistory>('purchase-history');
  }

  allComplaintHistories() {
    return this.everyDocument<ComplaintHistory>('complaint-history');
  }

  allSurveyHistories() {
    return this.everyDocument<SurveyHistory>('survey-history');
  }

  /**
   * Every document of a read model that figures rank or total over all customers. In a process that folds,
   * the documents are kept in memory until the projection folds further (the version names the generation and
   * position), so repeated dashboard and profile reads skip the scan; elsewhere each call scans. The position
   * is read before the scan: a fold during it only makes the next call scan again. Callers must not modify the
   * documents.
   */
  async everyDocument<T extends object>(
    projection: string,
  ): Promise<{ version?: string; documents: readonly T[] }> {
    const collection = this.engine.collection(projection);
    const position = this.engine.foldedPositionOf(projection);
    const version = position === undefined ? undefined : `${collection}@${position}`;
    const cached = this.wholeReadModels.get(projection);
    if (version !== undefined && cached?.version === version)
      return cached as { version: string; documents: T[] };
    const documents: T[] = [];
    for await (const document of this.store.scan<T>(collection)) documents.push(document);
    if (version !== undefined) this.wholeReadModels.set(projection, { version, documents });
    return { version, documents };
  }

  timeline(query: FindQuery) {
    return this.store.find<TimelineEntry>(this.engine.collection('timeline'), query);
  }
}
