import { Money } from './money';

export const CONSENT_PURPOSES = ['marketing', 'analytics', 'profiling'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

export const SURVEY_KINDS = ['nps', 'csat', 'ces'] as const;
export type SurveyKind = (typeof SURVEY_KINDS)[number];
/** Inclusive score range of each survey kind. */
export const SURVEY_SCALES: Record<SurveyKind, { min: number; max: number }> = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
  ces: { min: 1, max: 7 },
};

export const COMPLAINT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ComplaintSeverity = (typeof COMPLAINT_SEVERITIES)[number];

export interface LineItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: Money;
}

interface DomainEvent<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

export type CustomerRegistered = DomainEvent<
  'CustomerRegistered',
  { name: string; email: string; phone?: string; country?: string; source?: string }
>;
export type ContactDetailsChanged = DomainEvent<
  'ContactDetailsChanged',
  { name?: string; email?: string; phone?: string; reason: string }
>;
export type ConsentGranted = DomainEvent<'ConsentGranted', { purpose: ConsentPurpose; legalBasis?: string }>;
export type ConsentWithdrawn = DomainEvent<
  'ConsentWithdrawn',
  { purpose: ConsentPurpose; legalBasis?: string }
>;
/** The product a browse looked at (the Segment e-commerce spec's Product Viewed). */
export interface BrowsedProduct {
  readonly id: string;
  readonly category?: string;
  readonly name?: string;
  readonly price?: Money;
}
/** The page a browse was on (the Segment page spec); `category` is the page's own when no product is named. */
export interface BrowsedPage {
  readonly url?: string;
  readonly referrer?: string;
  readonly title?: string;
  readonly category?: string;
}
/**
 * Schema v2: a product, a page with a url, or both (v1 was flat: url, productId, category, referrer; its events
 * are upcast on read, src/domain/event-upcasters.ts).
 */
export type ProductBrowsed = DomainEvent<
  'ProductBrowsed',
  { product?: BrowsedProduct; page?: BrowsedPage; campaign?: string; sessionId?: string }
>;
export type PurchaseCommitted = DomainEvent<
  'PurchaseCommitted',
  { cartId?: string; orderId?: string; items?: LineItem[]; value?: Money }
>;
export type PurchaseCompleted = DomainEvent<
  'PurchaseCompleted',
  { orderId: string; items?: LineItem[]; total: Money }
>;
export type PurchaseRefunded = DomainEvent<
  'PurchaseRefunded',
  { orderId: string; amount: Money; reason?: string }
>;
export type SurveyAnswered = DomainEvent<
  'SurveyAnswered',
  { surveyId?: string; kind: SurveyKind; score: number; comment?: string; orderId?: string }
>;
export type ComplaintFiled = DomainEvent<
  'ComplaintFiled',
  {
    complaintId: string;
    category?: string;
    severity: ComplaintSeverity;
    description?: string;
    orderId?: string;
  }
>;
export type ComplaintResolved = DomainEvent<
  'ComplaintResolved',
  { complaintId: string; resolution?: string; satisfied?: boolean }
>;
export const CONTACT_DIRECTIONS = ['inbound', 'outbound'] as const;
export type ContactDirection = (typeof CONTACT_DIRECTIONS)[number];
/** A conversation with the customer (a call, a chat) and what was said: the rep's note is personal data. */
export type CustomerContacted = DomainEvent<
  'CustomerContacted',
  { direction: ContactDirection; topic?: string; note?: string; durationSeconds?: number }
>;
export type CustomerErased = DomainEvent<'CustomerErased', { requestId: string; reason: string }>;
/**
 * Two records of one person became one: recorded on the survivor, naming the duplicate whose history it now
 * includes. An anonymous visitor identified as a customer is merged the same way.
 */
export type CustomerMerged = DomainEvent<'CustomerMerged', { duplicateId: string }>;
/**
 * Something a tracker reported that maps to no touchpoint (a "Wishlist Added", a "Video Played"), kept as sent:
 * its name, and its properties as JSON text, encrypted as personal data since the ledger cannot know what they
 * hold.
 */
export type EventTracked = DomainEvent<'EventTracked', { event: string; properties?: string }>;
/** The last event of a duplicate's stream: from here on its id stands for the survivor. */
export type CustomerMergedInto = DomainEvent<'CustomerMergedInto', { survivorId: string }>;

/** Every fact the ledger records about a customer, past tense, as stored in `customer-<id>`. */
export type CustomerEvent =
  | CustomerRegistered
  | ContactDetailsChanged
  | ConsentGranted
  | ConsentWithdrawn
  | ProductBrowsed
  | PurchaseCommitted
  | PurchaseCompleted
  | PurchaseRefunded
  | SurveyAnswered
  | ComplaintFiled
  | ComplaintResolved
  | CustomerContacted
  | CustomerErased
  | CustomerMerged
  | CustomerMergedInto
  | EventTracked;

export type CustomerEventType = CustomerEvent['type'];

/**
 * The schema version of an event type whose catalog entry declares none: every type's first. The version new
 * events are written in is `schemaVersionOf(type)`.
 */
export const CUSTOMER_EVENT_SCHEMA_VERSION = 1;

/** Event types retention may redact: the folds use only their envelope (customer, time), never their data. */
export const RETAINABLE_EVENT_TYPES = ['ProductBrowsed', 'PurchaseCommitted'] as const;

/**
 * How one stored field is checked. Personal data is stored encrypted, so it can only be checked to be a string;
 * it is encrypted field by field at the top level of the data, so a nested object holds none.
 */
export type FieldRule =
  | ValueRule
  | { readonly kind: 'personal-data' }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, NestedFieldSpec>> };

/** The rules of fields that hold no personal data. */
export type ValueRule =
  | { readonly kind: 'id' }
  | { readonly kind: 'text' }
  | { readonly kind: 'one-of'; readonly values: readonly string[] }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'score-on-scale-of'; readonly field: string }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'money' }
  | { readonly kind: 'line-items' };

export interface FieldSpec {
  readonly rule: FieldRule;
  readonly required: boolean;
}

/** A field of a nested object. */
export interface NestedFieldSpec {
  readonly rule: ValueRule;
  readonly required: boolean;
}

/**
 * The stored data of an event type: its fields, and groups of which at least one must be present (a field, or
 * a nested one as `object.field`).
 */
export interface EventShape {
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly atLeastOneOf?: readonly string[];
}

/** On which basis a fact is recorded and shown whatever the customer's consent (GDPR Art. 6). */
export type LawfulBasis = 'contract' | 'legal-obligation' | 'legitimate-interest';

/** Everything the ledger knows about one event type, declared once. */
export interface EventCatalogEntry {
  /** The stored data: what the one event guard checks, and which fields are personal data (encrypted). */
  readonly shape: EventShape;
  /**
   * The version of `shape`, in which new events are written; 1 when absent. Raising it needs an upcaster from
   * the previous version (src/domain/event-upcasters.ts): stored events never change.
   */
  readonly schemaVersion?: number;
  /** The record of processing: the lawful basis on which it is processed without consent, and why. */
  readonly basis: LawfulBasis;
  readonly why: string;
}

const required = (rule: FieldRule): FieldSpec => ({ rule, required: true });
const optional = (rule: FieldRule): FieldSpec => ({ rule, required: false });
const id: FieldRule = { kind: 'id' };
const text: FieldRule = { kind: 'text' };
const personalData: FieldRule = { kind: 'personal-data' };
const money: FieldRule = { kind: 'money' };
const lineItems: FieldRule = { kind: 'line-items' };
const oneOf = (values: readonly string[]): FieldRule => ({ kind: 'one-of', values });

/**
 * The event catalog: one entry per event type, typed by the union above, so a new event type does not compile
 * until it is declared here. Unknown fields are allowed in stored data: an older reader must not refuse what a
 * newer writer added.
 */
export const EVENT_CATALOG: { readonly [Type in CustomerEventType]: EventCatalogEntry } = {
  CustomerRegistered: {
    shape: {
      fields: {
        name: required(personalData),
        email: required(personalData),
        phone: optional(personalData),
        country: optional(text),
        source: optional(text),
      },
    },
    basis: 'contract',
    why: 'the customer relationship',
  },
  ContactDetailsChanged: {
    shape: {
      fields: {
        name: optional(personalData),
        email: optional(personalData),
        phone: optional(personalData),
        reason: required(text),
      },
      atLeastOneOf: ['name', 'email', 'phone'],
    },
    basis: 'legal-obligation',
    why: 'accuracy of personal data (Art. 5(1)(d), 16)',
  },
  ConsentGranted: {
    shape: { fields: { purpose: required(oneOf(CONSENT_PURPOSES)), legalBasis: optional(text) } },
    basis: 'legal-obligation',
    why: 'proof of consent (Art. 7(1))',
  },
  ConsentWithdrawn: {
    shape: { fields: { purpose: required(oneOf(CONSENT_PURPOSES)), legalBasis: optional(text) } },
    basis: 'legal-obligation',
    why: 'proof of withdrawal (Art. 7(3))',
  },
  ProductBrowsed: {
    schemaVersion: 2,
    shape: {
      fields: {
        product: optional({
          kind: 'object',
          fields: {
            id: { rule: { kind: 'id' }, required: true },
            category: { rule: { kind: 'text' }, required: false },
            name: { rule: { kind: 'text' }, required: false },
            price: { rule: { kind: 'money' }, required: false },
          },
        }),
        page: optional({
          kind: 'object',
          fields: {
            url: { rule: { kind: 'text' }, required: false },
            referrer: { rule: { kind: 'text' }, required: false },
            title: { rule: { kind: 'text' }, required: false },
            category: { rule: { kind: 'text' }, required: false },
          },
        }),
        campaign: optional(text),
        sessionId: optional(text),
      },
      atLeastOneOf: ['product', 'page.url'],
    },
    basis: 'legitimate-interest',
    why: 'serving the customer who browses',
  },
  PurchaseCommitted: {
    shape: {
      fields: {
        cartId: optional(id),
        orderId: optional(id),
        items: optional(lineItems),
        value: optional(money),
      },
      atLeastOneOf: ['cartId', 'orderId'],
    },
    basis: 'contract',
    why: 'steps prior to a contract',
  },
  PurchaseCompleted: {
    shape: { fields: { orderId: required(id), items: optional(lineItems), total: required(money) } },
    basis: 'contract',
    why: 'performing the sale; bookkeeping',
  },
  PurchaseRefunded: {
    shape: { fields: { orderId: required(id), amount: required(money), reason: optional(text) } },
    basis: 'contract',
    why: 'performing the sale; bookkeeping',
  },
  SurveyAnswered: {
    shape: {
      fields: {
        surveyId: optional(text),
        kind: required(oneOf(SURVEY_KINDS)),
        score: required({ kind: 'score-on-scale-of', field: 'kind' }),
        comment: optional(personalData),
        orderId: optional(text),
      },
    },
    basis: 'legitimate-interest',
    why: 'the customer chose to answer',
  },
  ComplaintFiled: {
    shape: {
      fields: {
        complaintId: required(id),
        category: optional(text),
        severity: required(oneOf(COMPLAINT_SEVERITIES)),
        description: optional(personalData),
        orderId: optional(text),
      },
    },
    basis: 'legal-obligation',
    why: 'consumer complaint handling',
  },
  ComplaintResolved: {
    shape: {
      fields: {
        complaintId: required(id),
        resolution: optional(personalData),
        satisfied: optional({ kind: 'boolean' }),
      },
    },
    basis: 'legal-obligation',
    why: 'consumer complaint handling',
  },
  CustomerContacted: {
    shape: {
      fields: {
        direction: required(oneOf(CONTACT_DIRECTIONS)),
        topic: optional(text),
        note: optional(personalData),
        durationSeconds: optional({ kind: 'integer', min: 0, max: 86_400 }),
      },
    },
    basis: 'contract',
    why: 'customer service',
  },
  CustomerErased: {
    shape: { fields: { requestId: required(id), reason: required(text) } },
    basis: 'legal-obligation',
    why: 'proof of erasure (Art. 17)',
  },
  CustomerMerged: {
    shape: { fields: { duplicateId: required(id) } },
    basis: 'legal-obligation',
    why: 'accuracy of personal data (Art. 5(1)(d)): one record per person',
  },
  CustomerMergedInto: {
    shape: { fields: { survivorId: required(id) } },
    basis: 'legal-obligation',
    why: 'accuracy of personal data (Art. 5(1)(d)): one record per person',
  },
  EventTracked: {
    shape: { fields: { event: required(text), properties: optional(personalData) } },
    basis: 'legitimate-interest',
    why: 'what the business tracks of its customers, kept as its trackers sent it',
  },
};

/** The API's touchpoint types and the event each one records. */
export const TOUCHPOINT_EVENT_TYPES = {
  browse: 'ProductBrowsed',
  commit: 'PurchaseCommitted',
  purchase: 'PurchaseCompleted',
  refund: 'PurchaseRefunded',
  survey: 'SurveyAnswered',
  complaint: 'ComplaintFiled',
  'complaint-resolved': 'ComplaintResolved',
  contact: 'CustomerContacted',
} as const satisfies Record<string, CustomerEventType>;

/**
 * Fields holding personal data, encrypted with the customer's data key before they are stored: the one place
 * that decides what is personal data is the catalog's shapes.
 */
export const PII_FIELDS = perEventType(({ shape }) =>
  Object.keys(shape.fields).filter((field) => shape.fields[field]!.rule.kind === 'personal-data'),
);

/** The e-mail address an event records for its customer (a registration, a change of contact details). */
export function emailRecordedBy(event: CustomerEvent): string | undefined {
  if (event.type === 'CustomerRegistered' || event.type === 'ContactDetailsChanged') return event.data.email;
  return undefined;
}

/** A value for every event type, computed from its catalog entry. */
export function perEventType<Value>(
  valueOf: (entry: EventCatalogEntry) => Value,
): Record<CustomerEventType, Value> {
  const entries = Object.entries(EVENT_CATALOG).map(([type, entry]) => [type, valueOf(entry)]);
  return Object.fromEntries(entries) as unknown as Record<CustomerEventType, Value>;
}

/**
 * The ids a customer stream may be named by (`customer-<id>`), as the projections check stored events. New
 * records are held to the stricter newCustomerIdProblem: ids with `@` stay readable where they were stored.
 */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/**
 * An id that is a phone number as people write one: international (`+44 20 7946 0958`), or national with a
 * trunk 0 and separators (`020-7946-0958`, `(020) 7946 0958`). A bare digit string cannot be told from a
 * shop's customer number and is taken (docs/security.md).
 */
const PHONE_LIKE = /^(?:\+[0-9 ().-]+|\(?0[0-9]*[ ().-][0-9 ().-]*)$/;

/**
 * Why an id cannot name a new customer record (a registration, a touchpoint's customer, a tracker's userId,
 * anonymousId or alias previousId), or undefined: every door checks it, and the command path again before a
 * new stream is appended. The id names the customer's stream, its read-model documents and its key, and
 * erasure shreds data, not names: an id that is personal data (an e-mail address, a phone number) would
 * outlive the erasure in plaintext, so it is refused.
 */
export function newCustomerIdProblem(customerId: string): string | undefined {
  // An anonymous visitor's id is judged without its prefix: `anonymous:` + an e-mail names the person too.
  const own = customerId.startsWith(ANONYMOUS_ID_PREFIX)
    ? customerId.slice(ANONYMOUS_ID_PREFIX.length)
    : customerId;
  const because =
    "the id names the customer for good and outlives an erasure; use the shop's own customer number";
  if (own.includes('@')) return `must not be an e-mail address: ${because}`;
  if (PHONE_LIKE.test(own) && own.replace(/[^0-9]/g, '').length >= 7) {
    return `must not be a phone number: ${because}`;
  }
  if (!CUSTOMER_ID_PATTERN.test(customerId)) {
    return 'must be 1 to 128 letters, digits or ._:- starting with a letter or digit';
  }
  return undefined;
}

/**
 * Anonymous visitors (a tracker's anonymousId, a session) have a profile of their own under a reserved id:
 * touchpoints need no registration there, and identifying the visitor merges that profile into the customer.
 */
export const ANONYMOUS_ID_PREFIX = 'anonymous:';

export function anonymousCustomerId(anonymousId: string): string {
  return `${ANONYMOUS_ID_PREFIX}${anonymousId}`;
}

export function isAnonymousCustomerId(customerId: string): boolean {
  return customerId.startsWith(ANONYMOUS_ID_PREFIX);
}

export const CUSTOMER_STREAM_PREFIX = 'customer-';

export function customerStreamId(customerId: string): string {
  return `${CUSTOMER_STREAM_PREFIX}${customerId}`;
}

export function customerIdOfStream(streamId: string): string {
  return streamId.slice(CUSTOMER_STREAM_PREFIX.length);
}

export function isCustomerEventType(type: string): type is CustomerEventType {
  return Object.prototype.hasOwnProperty.call(EVENT_CATALOG, type);
}

/** The schema version new events of a type are written in, and stored ones are upcast to on read. */
export function schemaVersionOf(type: string): number {
  return (isCustomerEventType(type) && EVENT_CATALOG[type].schemaVersion) || CUSTOMER_EVENT_SCHEMA_VERSION;
}

/** The personal-data fields of a stored event of any type (none for types outside the customer catalog). */
export function piiFieldsOf(type: string): readonly string[] {
  return isCustomerEventType(type) ? PII_FIELDS[type] : [];
}
