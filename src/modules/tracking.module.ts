import { Module } from '@nestjs/common';
import { CustomersModule } from './customers.module';
import { RecordTrackingMessagesHandler } from '../application/tracking/record-tracking-messages.command';

/** Tracking: the Segment-spec tracking API's messages, recorded through the customers' command path. */
@Module({
  imports: [CustomersModule],
  providers: [RecordTrackingMessagesHandler],
})
export class TrackingModule {}
