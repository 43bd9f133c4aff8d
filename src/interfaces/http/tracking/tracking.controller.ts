import { applyDecorators, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../../config/api-keys';
import { RecordingContext } from '../../../application/customers/customer-ledger';
import {
  RecordTrackingMessages,
  TrackingAnswer,
} from '../../../application/tracking/record-tracking-messages.command';
import type { TrackingCall } from '../../../application/tracking/tracking-messages';
import { AcceptsWriteKey } from '../api-key.guard';
import { Recording } from '../recording-context.decorator';
import { Answers } from '../openapi-operations';

/**
 * The paths of each call: Segment's name and analytics.js's one-letter short path (its browser library posts
 * `track` to `/t`, a batch to `/b`).
 */
export const TRACKING_PATHS: Record<TrackingCall, readonly [string, string]> = {
  identify: ['identify', 'i'],
  track: ['track', 't'],
  page: ['page', 'p'],
  screen: ['screen', 's'],
  group: ['group', 'g'],
  alias: ['alias', 'a'],
  batch: ['batch', 'b'],
};

/** A tracking call: ingest role, write key accepted, 200 as Segment answers, documented. */
const TrackingEndpoint = (call: TrackingCall, summary: string) =>
  applyDecorators(
    Post([...TRACKING_PATHS[call]]),
    Roles('ingest'),
    AcceptsWriteKey(),
    HttpCode(200),
    ApiOperation({
      summary: `${summary}; also at /tracking/v1/${TRACKING_PATHS[call][1]}; write key as HTTP Basic user name; one result per message`,
    }),
    ApiBody({ schema: { type: 'object', description: 'Segment message(s): see docs/tracking.md' } }),
    Answers('TrackingAnswer'),
  );

/**
 * The Segment HTTP Tracking API shape (which RudderStack accepts too) under its own prefix: trackers point
 * their host at the ledger and send `identify`, `track`, `page`, `screen`, `group`, `alias` or a `batch`, with
 * their write key (an API key with the ingest role) as HTTP Basic user name. Mapping and rules: docs/tracking.md.
 */
@ApiTags('tracking')
@Controller('tracking/v1')
export class TrackingController {
  constructor(private readonly commands: CommandBus) {}

  @TrackingEndpoint(
    'identify',
    'Identify a customer: registration or contact change from traits, anonymousId merged',
  )
  identify(@Body() body: unknown, @Recording() context: RecordingContext): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('identify', body, context));
  }

  @TrackingEndpoint(
    'track',
    'Track an event: e-commerce, survey and complaint events recorded as touchpoints',
  )
  track(@Body() body: unknown, @Recording() context: RecordingContext): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('track', body, context));
  }

  @TrackingEndpoint('page', 'A page view, recorded as a browse touchpoint')
  page(@Body() body: unknown, @Recording() context: RecordingContext): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('page', body, context));
  }

  @TrackingEndpoint('screen', 'A screen view of an app, kept as a tracked event (the unmapped rule)')
  screen(@Body() body: unknown, @Recording() context: RecordingContext): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('screen', body, context));
  }

  @TrackingEndpoint(
    'group',
    'A customer joins a group (an account), kept as a tracked event (the unmapped rule)',
  )
  group(@Body() body: unknown, @Recording() context: RecordingContext): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('group', body, context));
  }

  @TrackingEndpoint(
    'alias',
    'Link a previous id to a customer: the previous record is merged into the customer',
  )
  alias(@Body() body: unknown, @Recording() context: RecordingContext): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('alias', body, context));
  }

  @TrackingEndpoint('batch', 'Up to 1000 messages of any call, each recorded on its own merit')
  batch(@Body() body: unknown, @Recording() context: RecordingContext): Promise<TrackingAnswer> {
    return this.commands.execute(new RecordTrackingMessages('batch', body, context));
  }
}
