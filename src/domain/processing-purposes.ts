import { ConsentPurpose, CustomerEventType } from './customer-events';

/**
 * The record of processing (GDPR Art. 30) in one place: on which lawful basis each fact is recorded and shown
 * to service reps and auditors, and which processing needs the customer's consent for a purpose. README lists
 * this table; the code that gates analytics and profiling reads it from here.
 */
export type LawfulBasis = 'contract' | 'legal-obligation' | 'legitimate-interest';

/**
 * Facts processed without consent: recorded, kept, shown in the customer's profile and timeline, exported to
 * the customer and audited, on the basis given. Deriving analytics or a profile from them needs consent.
 */
export const PROCESSED_WITHOUT_CONSENT: Record<
  CustomerEventType,
  { readonly basis: LawfulBasis; readonly why: string }
> = {
  CustomerRegistered: { basis: 'contract', why: 'the customer relationship' },
  ContactDetailsChanged: { basis: 'legal-obligation', why: 'accuracy of personal data (Art. 5(1)(d), 16)' },
  ConsentGranted: { basis: 'legal-obligation', why: 'proof of consent (Art. 7(1))' },
  ConsentWithdrawn: { basis: 'legal-obligation', why: 'proof of withdrawal (Art. 7(3))' },
  ProductBrowsed: { basis: 'legitimate-interest', why: 'serving the customer who browses' },
  PurchaseCommitted: { basis: 'contract', why: 'steps prior to a contract' },
  PurchaseCompleted: { basis: 'contract', why: 'performing the sale; bookkeeping' },
  PurchaseRefunded: { basis: 'contract', why: 'performing the sale; bookkeeping' },
  SurveyAnswered: { basis: 'legitimate-interest', why: 'the customer chose to answer' },
  ComplaintFiled: { basis: 'legal-obligation', why: 'consumer complaint handling' },
  ComplaintResolved: { basis: 'legal-obligation', why: 'consumer complaint handling' },
  CustomerContacted: { basis: 'contract', why: 'customer service' },
  CustomerErased: { basis: 'legal-obligation', why: 'proof of erasure (Art. 17)' },
};

/** Processing that needs consent for its purpose; while it is withdrawn the customer is left out of it. */
export const CONSENT_GATED_PROCESSING: Record<ConsentPurpose, readonly string[]> = {
  analytics: [
    'funnel report (GET /v1/analytics/funnel)',
    'loyalty distribution (GET /v1/analytics/loyalty)',
    'pseudonymised exports for analysts (ledger export)',
  ],
  profiling: [
    'loyalty score and tier (profile, GET .../loyalty, distribution)',
    'segments built from behaviour',
  ],
  marketing: ['outbound marketing (not performed by the ledger itself)'],
};

/**
 * Without any recorded choice, processing for a purpose is allowed (opt-out on legitimate interest, the
 * usual CRM default); a withdrawal stops it from its instant on, a new grant resumes it from its instant on.
 */
export const ALLOWED_WITHOUT_RECORDED_CHOICE = true;
