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

/** Fields holding personal data, encrypted with the customer's data key before they are stored. */
export const PII_FIELDS: Record<CustomerEventType, readonly string[]> = {
  CustomerRegistered: ['name', 'email', 'phone'],
  ContactDetailsChanged: ['name', 'email', 'phone'],
  ConsentGranted: [],
  ConsentWithdrawn: [],
  ProductBrowsed: [],
  PurchaseCommitted: [],
  PurchaseCompleted: [],
  PurchaseRefunded: [],
  SurveyAnswered: ['comment'],
  ComplaintFiled: ['description'],
  ComplaintResolved: ['resolution'],
  CustomerContacted: ['note'],
  CustomerErased: [],
};

export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export function customerStreamId(customerId: string): string {
  return `customer-${customerId}`;
}

export function isCustomerEventType(type: string): type is CustomerEventType {
  return Object.prototype.hasOwnProperty.call(PII_FIELDS, type);
}

/** The personal-data fields of a stored event of any type (none for types outside the customer catalog). */
export function piiFieldsOf(type: string): readonly string[] {
  return isCustomerEventType(type) ? PII_FIELDS[type] : [];
}
