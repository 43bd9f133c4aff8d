import { applyDecorators, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role, Roles } from '../../../config/api-keys';
import { RecordingContext } from '../../../application/customers/customer-ledger';
import {
  RecordTrackingMessages,
  TrackingAnswer,
} from '../../../application/tracking/record-tracking-messages.command';
import { AcceptsWriteKey, CallerRoles } from '../api-key.guard';
import { Recording } from '../recording-context.decorator';

/** A tracking call: ingest role, write key accepted, 200 as Segment answers, documented. */
const TrackingCall = (call: string, summary: string) =>
  applyDecorators(
    Post(call),
    Roles('ingest'),
    AcceptsWriteKey(),
    HttpCode(200),
    ApiOperation({ summary: `${summary}; write key as HTTP Basic user name; one result per message` }),
    ApiBody({ schema: { type: 'object', description: 'Segment message(s): see docs/tracking.md' } }),
  );

/**
 * The Segment HTTP Tracking API shape (which RudderStack accepts too) under its own prefix: trackers point
 * their host at the ledger and send `identify`, `track`, `page`, `alias` or a `batch`, with their write key
 * (an API key with the ingest role) as HTTP Basic user name. Mapping and rules: docs/tracking.md.
 */
@ApiTags('tracking')
@Controller('tracking/v1')
export class TrackingController {
  constructor(private readonly commands: CommandBus) {}

  @TrackingCall(
    'identify',
    'Identify a customer: registration or contact change from traits, anonymousId merged',
  )
  identify(
    @Body() body: unknown,
    @Recording() context: RecordingContext,
    @CallerRoles() roles: readonly Role[],
  ): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('identify', body, context, roles));
  }

  @TrackingCall('track', 'Track an event: e-commerce, survey and complaint events recorded as touchpoints')
  track(
    @Body() body: unknown,
    @Recording() context: RecordingContext,
    @CallerRoles() roles: readonly Role[],
  ): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('track', body, context, roles));
  }

  @TrackingCall('page', 'A page view, recorded as a browse touchpoint')
  page(
    @Body() body: unknown,
    @Recording() context: RecordingContext,
    @CallerRoles() roles: readonly Role[],
  ): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('page', body, context, roles));
  }

  @TrackingCall('alias', 'Link a previous id to a customer: the previous record is merged into the customer')
  alias(
    @Body() body: unknown,
    @Recording() context: RecordingContext,
    @CallerRoles() roles: readonly Role[],
  ): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('alias', body, context, roles));
  }

  @TrackingCall('batch', 'Up to 1000 messages of any call, validated all or nothing')
  batch(
    @Body() body: unknown,
    @Recording() context: RecordingContext,
    @CallerRoles() roles: readonly Role[],
  ): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('batch', body, context, roles));
  }
}
