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
export type ProductBrowsed = DomainEvent<
  'ProductBrowsed',
  {
    url?: string;
    productId?: string;
    category?: string;
    referrer?: string;
    campaign?: string;
    sessionId?: string;
  }
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
  | CustomerErased;

export type CustomerEventType = CustomerEvent['type'];

export const CUSTOMER_EVENT_SCHEMA_VERSION = 1;

/** Event types retention may redact: the folds use only their envelope (customer, time), never their data. */
export const RETAINABLE_EVENT_TYPES = ['ProductBrowsed', 'PurchaseCommitted'] as const;

/** How one stored field is checked. Personal data is stored encrypted, so it can only be checked to be a string. */
export type FieldRule =
  | { readonly kind: 'id' }
  | { readonly kind: 'text' }
  | { readonly kind: 'personal-data' }
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

/** The stored data of an event type: its fields, and groups of which at least one must be present. */
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
    shape: {
      fields: {
        url: optional(text),
        productId: optional(id),
        category: optional(text),
        referrer: optional(text),
        campaign: optional(text),
        sessionId: optional(text),
      },
      atLeastOneOf: ['url', 'productId'],
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

/** A value for every event type, computed from its catalog entry. */
export function perEventType<Value>(
  valueOf: (entry: EventCatalogEntry) => Value,
): Record<CustomerEventType, Value> {
  const entries = Object.entries(EVENT_CATALOG).map(([type, entry]) => [type, valueOf(entry)]);
  return Object.fromEntries(entries) as unknown as Record<CustomerEventType, Value>;
}

export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export function customerStreamId(customerId: string): string {
  return `customer-${customerId}`;
}

export function isCustomerEventType(type: string): type is CustomerEventType {
  return Object.prototype.hasOwnProperty.call(EVENT_CATALOG, type);
}

/** The personal-data fields of a stored event of any type (none for types outside the customer catalog). */
export function piiFieldsOf(type: string): readonly string[] {
  return isCustomerEventType(type) ? PII_FIELDS[type] : [];
}
