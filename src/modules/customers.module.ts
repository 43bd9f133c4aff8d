import { Module } from '@nestjs/common';
import { AnalyticsModule } from './analytics.module';
import { PredictionsModule } from './predictions.module';
import { ChangeContactDetailsHandler } from '../application/customers/change-contact-details/change-contact-details.command';
import { CustomerLedger } from '../application/customers/customer-ledger';
import { MergeCustomersHandler } from '../application/customers/merge-customers/merge-customers.command';
import { ReadCustomerEventsHandler } from '../application/customers/read-customer-events/read-customer-events.query';
import { ReadLoyaltyHandler } from '../application/customers/read-loyalty/read-loyalty.query';
import { ReadProfileHandler } from '../application/customers/read-profile/read-profile.query';
import { ReadTimelineHandler } from '../application/customers/read-timeline/read-timeline.query';
import { RecordConsentHandler } from '../application/customers/record-consent/record-consent.command';
import { RecordTouchpointsHandler } from '../application/customers/record-touchpoint/record-touchpoints.command';
import { RegisterCustomerHandler } from '../application/customers/register-customer/register-customer.command';

/** Customers: the command path and the use cases that record or read one customer. */
@Module({
  imports: [AnalyticsModule, PredictionsModule],
  providers: [
    CustomerLedger,
    RegisterCustomerHandler,
    MergeCustomersHandler,
    ChangeContactDetailsHandler,
    RecordConsentHandler,
    RecordTouchpointsHandler,
    ReadCustomerEventsHandler,
    ReadProfileHandler,
    ReadTimelineHandler,
    ReadLoyaltyHandler,
  ],
  exports: [CustomerLedger],
})
export class CustomersModule {}
