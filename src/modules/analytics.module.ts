import { Module } from '@nestjs/common';
import {
  ReadFunnelReportHandler,
  ReadLoyaltyDistributionHandler,
  ReadPseudonymousLoyaltyHandler,
} from '../application/analytics/analytics.queries';
import {
  CustomerSegments,
  ReadCohortReportHandler,
  ReadComplaintReportHandler,
  ReadRfmReportHandler,
  ReadSatisfactionReportHandler,
  ReadSegmentMembersHandler,
  ReadSegmentTransitionsHandler,
} from '../application/analytics/segments.queries';

/** Analytics: the analyst's pseudonymous reports (funnel, loyalty, RFM segments, cohorts, complaints, surveys). */
@Module({
  providers: [
    ReadFunnelReportHandler,
    ReadLoyaltyDistributionHandler,
    ReadPseudonymousLoyaltyHandler,
    CustomerSegments,
    ReadRfmReportHandler,
    ReadSegmentMembersHandler,
    ReadSegmentTransitionsHandler,
    ReadCohortReportHandler,
    ReadComplaintReportHandler,
    ReadSatisfactionReportHandler,
  ],
  exports: [CustomerSegments],
})
export class AnalyticsModule {}
