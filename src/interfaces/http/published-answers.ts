import type { ConsentExclusions, LoyaltyDistribution } from '../../application/analytics/analytics.queries';
import type { CurrentSegment, SegmentMembers } from '../../application/analytics/segments.queries';
import type { RecordedOutcome } from '../../application/customers/customer-ledger';
import type { MergeOutcome } from '../../application/customers/merge-customers/merge-customers.command';
import type { CustomerEventsPage } from '../../application/customers/read-customer-events/read-customer-events.query';
import type { CustomerProfile } from '../../application/customers/read-profile/read-profile.query';
import type { TimelinePage } from '../../application/customers/read-timeline/read-timeline.query';
import type { ErasureReport } from '../../application/gdpr/erase-customer.command';
import type { AuditTrail, SubjectExport } from '../../application/gdpr/personal-data.queries';
import type { RegisteredSubscription } from '../../application/subscriptions/register-subscription.command';
import type { ReplayAccepted } from '../../application/subscriptions/replay-subscription.command';
import type { ParkedRetryReport } from '../../application/subscriptions/retry-parked-deliveries.command';
import type { ParkedDeliveriesPage } from '../../application/subscriptions/subscription.queries';
import type { SubscriptionView } from '../../application/subscriptions/subscription-views';
import type { PredictionBacktest } from '../../application/predictions/customer-base-predictions';
import type { CustomerPredictionList } from '../../application/predictions/customer-outlooks';
import type { ProductAssociationReport } from '../../application/predictions/product-associations';
import type { StaffActivity } from '../../application/staff-auth/staff-activity.query';
import type { StaffInvitation } from './local-accounts.controller';
import type { PersonSessions, PersonSessionsEnded } from './staff-auth.controller';
import type { TrackingAnswer } from '../../application/tracking/record-tracking-messages.command';
import type { VerificationReport } from '../../ports/hash-chain';
import type { CohortReport } from '../../../reports/cohorts';
import type { ComplaintReport } from '../../../reports/complaint-analytics';
import type { FunnelReport } from '../../../projections/funnel.projection';
import type { LoyaltyScore, WithheldLoyalty } from '../../../projections/loyalty.projection';
import type { RfmReport, SegmentTransitions } from '../../../reports/rfm';
import type { SatisfactionReport } from '../../../reports/satisfaction';
import type { Health } from './health.controller';
import type { ProblemDetails } from './problem-details';
import type { ParkedRetryOverview, ProjectionsOverview, RebuildStarted } from './projections.controller';

/**
 * Every answer body the HTTP API publishes, by its schema name in the OpenAPI document: the types the handlers
 * return, nothing written twice. `npm run openapi:answers` generates their JSON schemas into
 * published-answers.schema.json (read by openapi.ts); a test fails when that file no longer matches these types.
 */
export interface PublishedAnswers {
  RecordedOutcome: RecordedOutcome;
  RecordedBatch: { readonly results: readonly RecordedOutcome[] };
  MergeOutcome: MergeOutcome;
  CustomerProfile: CustomerProfile;
  CustomerMatches: { readonly customers: readonly { readonly customerId: string }[] };
  TimelinePage: TimelinePage;
  CustomerLoyalty: (LoyaltyScore | WithheldLoyalty) & { readonly customerId: string };
  CustomerEventsPage: CustomerEventsPage;
  CurrentSegment: CurrentSegment;
  FunnelReport: FunnelReport & ConsentExclusions;
  LoyaltyDistribution: LoyaltyDistribution;
  PseudonymousLoyalty: (LoyaltyScore | WithheldLoyalty) & { readonly pseudonym: string };
  RfmReport: RfmReport;
  PredictionBacktest: PredictionBacktest;
  CustomerPredictionList: CustomerPredictionList;
  ProductAssociationReport: ProductAssociationReport;
  PersonSessions: PersonSessions;
  PersonSessionsEnded: PersonSessionsEnded;
  StaffInvitation: StaffInvitation;
  StaffActivity: StaffActivity;
  SegmentTransitions: SegmentTransitions;
  SegmentMembers: SegmentMembers;
  CohortReport: CohortReport;
  ComplaintReport: ComplaintReport;
  SatisfactionReport: SatisfactionReport;
  ErasureReport: ErasureReport;
  SubjectExport: SubjectExport;
  AuditTrail: AuditTrail;
  VerificationReport: VerificationReport;
  PseudonymResolution: { readonly pseudonym: string; readonly customerId: string };
  ProjectionsOverview: ProjectionsOverview;
  RebuildStarted: RebuildStarted;
  ParkedRetryOverview: ParkedRetryOverview;
  Health: Health;
  SubscriptionList: { readonly subscriptions: readonly SubscriptionView[] };
  SubscriptionView: SubscriptionView;
  RegisteredSubscription: RegisteredSubscription;
  ParkedDeliveriesPage: ParkedDeliveriesPage;
  ReplayAccepted: ReplayAccepted;
  ParkedRetryReport: ParkedRetryReport;
  TrackingAnswer: TrackingAnswer;
  ProblemDetails: ProblemDetails;
}

/** The name of a published answer schema. */
export type AnswerName = keyof PublishedAnswers;
