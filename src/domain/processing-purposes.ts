import { ConsentPurpose, CustomerEventType, LawfulBasis, perEventType } from './customer-events';

/**
 * The record of processing (GDPR Art. 30): the lawful basis on which each fact is recorded and shown to service
 * reps and auditors is declared with the fact itself in the event catalog (EVENT_CATALOG); the processing that
 * needs the customer's consent for a purpose is declared here. docs/gdpr.md lists both; the code that gates analytics
 * and profiling reads them from here.
 */
export type { LawfulBasis } from './customer-events';

/**
 * Facts processed without consent: recorded, kept, shown in the customer's profile and timeline, exported to
 * the customer and audited, on the basis given. Deriving analytics or a profile from them needs consent.
 */
export const PROCESSED_WITHOUT_CONSENT: Record<
  CustomerEventType,
  { readonly basis: LawfulBasis; readonly why: string }
> = perEventType(({ basis, why }) => ({ basis, why }));

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
