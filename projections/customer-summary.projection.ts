import { ComplaintSeverity, ConsentPurpose } from '../src/domain/customer-events';
import { unchangedBy } from '../src/domain/exhaustive';
import { alreadyFolded, PositionedDoc, ProjectedEvent, Projection } from './projection';

export interface ConsentState {
  readonly granted: boolean;
  readonly at: string;
  readonly legalBasis?: string;
}

export interface OpenComplaint {
  readonly complaintId: string;
  readonly severity: ComplaintSeverity;
  readonly category?: string;
  readonly orderId?: string;
  readonly filedAt: string;
}

/** The profile of a customer; personal data as stored (encrypted), dropped on erasure. */
export interface CustomerSummary extends PositionedDoc {
  readonly customerId: string;
  readonly registered: boolean;
  readonly erased: boolean;
  readonly name?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly country?: string;
  readonly source?: string;
  /** The latest choice per purpose with its legal basis, as the profile shows it (not what checks ask: consent.ts). */
  readonly consents: Partial<Record<ConsentPurpose, ConsentState>>;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly eventCount: number;
  readonly purchaseCount: number;
  /** Lifetime purchases minus refunds in minor units, per currency. */
  readonly netSpendMinor: Record<string, number>;
  /** Completed purchases per currency: which currency is the customer's principal one. */
  readonly purchasesByCurrency: Record<string, number>;
  readonly complaintsFiled: number;
  readonly openComplaints: readonly OpenComplaint[];
  /** Records merged into this customer (duplicates, identified anonymous visitors), in merge order. */
  readonly mergedFrom?: readonly string[];
}

export const customerSummaryProjection: Projection<CustomerSummary> = {
  name: 'customer-summary',
  version: 3,
  indexes: [],
  documentId: (event) => event.customerId,
  evolve: (doc, event) => (alreadyFolded(doc, event) ? doc : fold(doc ?? emptySummary(event), event)),
};

function emptySummary(event: ProjectedEvent): CustomerSummary {
  return {
    customerId: event.customerId,
    position: 0,
    registered: false,
    erased: false,
    consents: {},
    firstSeenAt: event.occurredAt,
    lastSeenAt: event.occurredAt,
    eventCount: 0,
    purchaseCount: 0,
    netSpendMinor: {},
    purchasesByCurrency: {},
    complaintsFiled: 0,
    openComplaints: [],
  };
}

function fold(previous: CustomerSummary, event: ProjectedEvent): CustomerSummary {
  const doc: CustomerSummary = {
    ...previous,
    position: event.position,
    eventCount: previous.eventCount + 1,
    firstSeenAt: event.occurredAt < previous.firstSeenAt ? event.occurredAt : previous.firstSeenAt,
    lastSeenAt: event.occurredAt > previous.lastSeenAt ? event.occurredAt : previous.lastSeenAt,
  };
  // A merged record's history counts, but the survivor's own registration and contact details stand.
  const ownRecord = event.subjectId === event.customerId;
  switch (event.type) {
    case 'CustomerRegistered': {
      if (!ownRecord) return doc;
      const { name, email, phone, country, source } = event.data;
      return { ...doc, registered: true, name, email, phone, country, source };
    }
    case 'ContactDetailsChanged': {
      if (!ownRecord) return doc;
      const { name, email, phone } = event.data;
      return { ...doc, name: name ?? doc.name, email: email ?? doc.email, phone: phone ?? doc.phone };
    }
    case 'CustomerMerged':
      return { ...doc, mergedFrom: [...(doc.mergedFrom ?? []), event.data.duplicateId] };
    case 'ConsentGranted':
    case 'ConsentWithdrawn':
      return {
        ...doc,
        consents: {
          ...doc.consents,
          [event.data.purpose]: {
            granted: event.type === 'ConsentGranted',
            at: event.occurredAt,
            legalBasis: event.data.legalBasis,
          },
        },
      };
    case 'PurchaseCompleted':
      return {
        ...doc,
        purchaseCount: doc.purchaseCount + 1,
        netSpendMinor: addTo(doc.netSpendMinor, event.data.total.currency, event.data.total.amountMinor),
        purchasesByCurrency: addTo(doc.purchasesByCurrency, event.data.total.currency, 1),
      };
    case 'PurchaseRefunded':
      return {
        ...doc,
        netSpendMinor: addTo(doc.netSpendMinor, event.data.amount.currency, -event.data.amount.amountMinor),
      };
    case 'ComplaintFiled': {
      const { complaintId, severity, category, orderId } = event.data;
      return {
        ...doc,
        complaintsFiled: doc.complaintsFiled + 1,
        openComplaints: [
          ...doc.openComplaints,
          { complaintId, severity, category, orderId, filedAt: event.occurredAt },
        ],
      };
    }
    case 'ComplaintResolved':
      return {
        ...doc,
        openComplaints: doc.openComplaints.filter((open) => open.complaintId !== event.data.complaintId),
      };
    case 'CustomerErased':
      return { ...doc, erased: true, name: undefined, email: undefined, phone: undefined };
    case 'ProductBrowsed':
    case 'PurchaseCommitted':
    case 'SurveyAnswered':
    case 'CustomerContacted':
    case 'CustomerMergedInto':
    case 'EventTracked':
      // Other touchpoints only count and date the customer's history (above).
      return doc;
    default:
      return unchangedBy(event, doc);
  }
}

function addTo(totals: Record<string, number>, currency: string, amount: number): Record<string, number> {
  return { ...totals, [currency]: (totals[currency] ?? 0) + amount };
}
