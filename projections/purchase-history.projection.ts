import { Money } from '../src/domain/money';
import { unchangedBy } from '../src/domain/exhaustive';
import { ConsentHistory, withConsentChange } from './consent';
import { alreadyFolded, PositionedDoc, ProjectedEvent, Projection } from './projection';
import { purchaseCohortFigures, purchaseDaysFigure } from './purchase-cohort.figure';
import { rfmPopulationFigure } from './rfm-population.figure';

/** A dated amount of money: a completed purchase's total or a refund. */
export interface DatedAmount {
  readonly eventId: string;
  readonly at: string;
  readonly amount: Money;
}

/**
 * Every purchase and refund of a customer, dated, with the consent history: the facts RFM segments and
 * purchase cohorts read, as of any instant (`rfm-scoring.ts`, `reports/rfm.ts`, `reports/cohorts.ts`). The population figures
 * kept with the documents (`figures`) answer the same questions without reading every history.
 */
export interface PurchaseHistory extends PositionedDoc {
  readonly customerId: string;
  readonly purchases: readonly DatedAmount[];
  readonly refunds: readonly DatedAmount[];
  /**
   * Consent choices (a copy, see projections/consent.ts): segments need `profiling`, analytics figures
   * `analytics`, as of the instant asked; the RFM population figure is a function of this document alone.
   */
  readonly consents?: ConsentHistory;
}

/** The events this read model folds: only they make or touch a document. */
const FOLDED_TYPES: ReadonlySet<ProjectedEvent['type']> = new Set([
  'PurchaseCompleted',
  'PurchaseRefunded',
  'ConsentGranted',
  'ConsentWithdrawn',
]);

export const purchaseHistoryProjection: Projection<PurchaseHistory> = {
  name: 'purchase-history',
  // 2: the RFM population figure is kept with the documents; 3: its spend in the principal currency only;
  // 4: the purchase cohort figures.
  version: 4,
  indexes: [],
  figures: [
    rfmPopulationFigure,
    purchaseCohortFigures.months,
    purchaseCohortFigures.days,
    purchaseDaysFigure,
  ],
  documentId: (event) => (FOLDED_TYPES.has(event.type) ? event.customerId : undefined),
  evolve: (previous, event) => {
    if (alreadyFolded(previous, event)) return previous;
    const doc: PurchaseHistory = {
      ...(previous ?? { customerId: event.customerId, purchases: [], refunds: [] }),
      position: event.position,
      consents: withConsentChange(previous?.consents, event),
    };
    const fact = { eventId: event.eventId, at: event.occurredAt };
    switch (event.type) {
      case 'PurchaseCompleted':
        return { ...doc, purchases: [...doc.purchases, { ...fact, amount: event.data.total }] };
      case 'PurchaseRefunded':
        return { ...doc, refunds: [...doc.refunds, { ...fact, amount: event.data.amount }] };
      case 'CustomerRegistered':
      case 'ContactDetailsChanged':
      case 'ConsentGranted':
      case 'ConsentWithdrawn':
      case 'ProductBrowsed':
      case 'PurchaseCommitted':
      case 'SurveyAnswered':
      case 'ComplaintFiled':
      case 'ComplaintResolved':
      case 'CustomerContacted':
      case 'CustomerErased':
      case 'CustomerMerged':
      case 'CustomerMergedInto':
      case 'EventTracked':
        return doc;
      default:
        return unchangedBy(event, doc);
    }
  },
};
