import { formatMoney, Money } from '../src/domain/money';
import { isAnonymousCustomerId, LineItem } from '../src/domain/customer-events';
import { ProjectedEvent, Projection } from './projection';

/** One timeline entry per event; `details` keeps the stored data (personal data encrypted) for display. */
export interface TimelineEntry {
  readonly entryId: string;
  readonly customerId: string;
  /** The merged record that recorded the entry, whose key decrypts its details; absent for the customer's own. */
  readonly subjectId?: string;
  readonly type: ProjectedEvent['type'];
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly position: number;
  readonly channel?: string;
  readonly actor: string;
  readonly summary: string;
  readonly details: Record<string, unknown>;
}

export const timelineProjection: Projection<TimelineEntry> = {
  name: 'timeline',
  // 2: `details` of a browse hold ProductBrowsed v2 (product, page), so entries folded from v1 data are rebuilt;
  // entries of merged records name their subject.
  version: 2,
  indexes: [
    [
      ['customerId', 1],
      ['occurredAt', -1],
      ['position', -1],
    ],
    [
      ['customerId', 1],
      ['recordedAt', -1],
      ['position', -1],
    ],
    [
      ['customerId', 1],
      ['type', 1],
      ['occurredAt', -1],
    ],
  ],
  documentPerEvent: true,
  documentId: (event) => event.eventId,
  evolve: (entry, event) =>
    entry ?? {
      entryId: event.eventId,
      customerId: event.customerId,
      ...(event.subjectId !== event.customerId && { subjectId: event.subjectId }),
      type: event.type,
      occurredAt: event.occurredAt,
      recordedAt: event.recordedAt,
      position: event.position,
      channel: event.channel,
      actor: event.actor,
      summary: event.redacted ? `${event.type}: details removed by retention` : summarize(event),
      details: event.data as Record<string, unknown>,
    },
};

/** A one-line human summary built from fields that hold no personal data. */
export function summarize(event: ProjectedEvent): string {
  switch (event.type) {
    case 'CustomerRegistered':
      return join(
        'Registered',
        event.data.country && `in ${event.data.country}`,
        event.data.source && `via ${event.data.source}`,
      );
    case 'ContactDetailsChanged': {
      const fields = (['name', 'email', 'phone'] as const).filter((field) => event.data[field] !== undefined);
      return `Changed contact details: ${fields.join(', ')}`;
    }
    case 'ConsentGranted':
      return join(
        `Granted consent for ${event.data.purpose}`,
        event.data.legalBasis && `(${event.data.legalBasis})`,
      );
    case 'ConsentWithdrawn':
      return `Withdrew consent for ${event.data.purpose}`;
    case 'ProductBrowsed': {
      const { product, page, campaign } = event.data;
      const category = product ? product.category : page?.category;
      return join(
        product ? `Browsed product ${product.id}` : `Browsed ${page?.url}`,
        product?.name && `(${product.name})`,
        product?.price && `at ${formatMoney(product.price)}`,
        !product && page?.title && `(${page.title})`,
        category && `in ${category}`,
        campaign && `from campaign ${campaign}`,
      );
    }
    case 'PurchaseCommitted':
      return join(
        'Committed to',
        event.data.items ? itemCount(event.data.items) : 'a purchase',
        event.data.value && `worth ${formatMoney(event.data.value)}`,
        event.data.orderId ? `, order ${event.data.orderId}` : `, cart ${event.data.cartId}`,
      );
    case 'PurchaseCompleted':
      return join(
        'Purchased',
        event.data.items ? itemCount(event.data.items) : '',
        `for ${formatMoney(event.data.total)}, order ${event.data.orderId}`,
      );
    case 'PurchaseRefunded':
      return `Refunded ${formatMoney(event.data.amount)} on order ${event.data.orderId}`;
    case 'SurveyAnswered':
      return join(
        `Answered ${event.data.kind.toUpperCase()} survey: ${event.data.score}`,
        scale(event.data.kind),
      );
    case 'ComplaintFiled':
      return join(
        `Filed ${event.data.severity} complaint ${event.data.complaintId}`,
        event.data.category && `about ${event.data.category}`,
      );
    case 'ComplaintResolved':
      return join(
        `Complaint ${event.data.complaintId} resolved`,
        event.data.satisfied === undefined
          ? ''
          : event.data.satisfied
            ? ', customer satisfied'
            : ', customer not satisfied',
      );
    case 'CustomerContacted':
      return join(
        `${event.data.direction === 'inbound' ? 'Contacted us' : 'Was contacted'}${event.channel ? ` by ${event.channel}` : ''}`,
        event.data.topic && `about ${event.data.topic}`,
        event.data.durationSeconds !== undefined && `(${Math.round(event.data.durationSeconds / 60)} min)`,
      );
    case 'CustomerErased':
      return `Personal data erased (request ${event.data.requestId})`;
    case 'CustomerMerged':
      return isAnonymousCustomerId(event.data.duplicateId)
        ? `Identified as ${event.data.duplicateId}: the visitor's history joined this record`
        : `Merged with duplicate record ${event.data.duplicateId}`;
    case 'EventTracked':
      return `Tracked "${event.data.event}"`;
    case 'CustomerMergedInto':
      return `Record ${event.subjectId} merged into ${event.data.survivorId}`;
  }
}

function itemCount(items: readonly LineItem[]): string {
  const count = items.reduce((sum, item) => sum + item.quantity, 0);
  return `${count} ${count === 1 ? 'item' : 'items'}`;
}

function scale(kind: 'nps' | 'csat' | 'ces'): string {
  return { nps: 'of 10', csat: 'of 5', ces: 'of 7' }[kind];
}

function join(...parts: (string | undefined | false | Money)[]): string {
  return parts
    .filter((part): part is string => typeof part === 'string' && part.length > 0)
    .join(' ')
    .replace(/ ,/g, ',');
}
