import { ComplaintSeverity } from '../src/domain/customer-events';
import { unchangedBy } from '../src/domain/exhaustive';
import { complaintDaysFigure, complaintFigures } from './complaint.figure';
import { ConsentHistory, withConsentChange } from './consent';
import { alreadyFolded, PositionedDoc, ProjectedEvent, Projection } from './projection';

/** One complaint as complaint analytics read it: no description or resolution text (personal data). */
export interface ComplaintRecord {
  readonly complaintId: string;
  readonly category: string | null;
  readonly severity: ComplaintSeverity;
  readonly filedAt: string;
  readonly resolvedAt?: string;
  /** What the resolution said about the customer's satisfaction; absent when it said nothing. */
  readonly satisfied?: boolean;
}

/** A customer's complaints, filed and resolved, with the consent history (analytics figures need `analytics`). */
export interface ComplaintHistory extends PositionedDoc {
  readonly customerId: string;
  readonly complaints: readonly ComplaintRecord[];
  /**
   * Consent choices (a copy, see projections/consent.ts): the complaint report scans every complaint history
   * and leaves out customers whose analytics consent is withdrawn, without a lookup per customer.
   */
  readonly consents?: ConsentHistory;
}

const FOLDED_TYPES: ReadonlySet<ProjectedEvent['type']> = new Set([
  'ComplaintFiled',
  'ComplaintResolved',
  'ConsentGranted',
  'ConsentWithdrawn',
]);

export const complaintHistoryProjection: Projection<ComplaintHistory> = {
  name: 'complaint-history',
  // 2: the complaint figures. 3: times to resolution kept to three significant digits, by month in the months.
  version: 3,
  indexes: [],
  figures: [complaintFigures.months, complaintFigures.days, complaintDaysFigure],
  documentId: (event) => (FOLDED_TYPES.has(event.type) ? event.customerId : undefined),
  evolve: (previous, event) => {
    if (alreadyFolded(previous, event)) return previous;
    const doc: ComplaintHistory = {
      ...(previous ?? { customerId: event.customerId, complaints: [] }),
      position: event.position,
      consents: withConsentChange(previous?.consents, event),
    };
    switch (event.type) {
      case 'ComplaintFiled':
        return {
          ...doc,
          complaints: [
            ...doc.complaints,
            {
              complaintId: event.data.complaintId,
              category: event.data.category ?? null,
              severity: event.data.severity,
              filedAt: event.occurredAt,
            },
          ],
        };
      case 'ComplaintResolved': {
        const { complaintId, satisfied } = event.data;
        return {
          ...doc,
          complaints: doc.complaints.map((complaint) =>
            complaint.complaintId === complaintId && complaint.resolvedAt === undefined
              ? { ...complaint, resolvedAt: event.occurredAt, ...(satisfied !== undefined && { satisfied }) }
              : complaint,
          ),
        };
      }
      case 'CustomerRegistered':
      case 'ContactDetailsChanged':
      case 'ConsentGranted':
      case 'ConsentWithdrawn':
      case 'ProductBrowsed':
      case 'PurchaseCommitted':
      case 'PurchaseCompleted':
      case 'PurchaseRefunded':
      case 'SurveyAnswered':
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
