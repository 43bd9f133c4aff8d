import { Inject, Injectable } from '@nestjs/common';
import { consentGiven } from '../../../projections/consent';
import { CustomerSummary } from '../../../projections/customer-summary.projection';
import { ConsentPurpose } from '../../domain/customer-events';
import { FunnelPosition } from '../../../projections/funnel.projection';
import { LoyaltyFacts } from '../../../projections/loyalty.projection';
import { TimelineEntry } from '../../../projections/timeline.projection';
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

  allLoyaltyFacts() {
    return this.store.scan<LoyaltyFacts>(this.engine.collection('loyalty'));
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

  funnelCohort(firstSeenFrom?: string, firstSeenTo?: string) {
    return this.store.scan<FunnelPosition>(this.engine.collection('funnel'), {
      field: 'firstSeenAt',
      from: firstSeenFrom,
      to: firstSeenTo,
    });
  }

  timeline(query: FindQuery) {
    return this.store.find<TimelineEntry>(this.engine.collection('timeline'), query);
  }
}
