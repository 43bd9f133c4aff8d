import { OffThreadQueries } from '../workers/off-thread-queries';
import { ReadsPersonalData } from './access-log.interceptor';
import { EmailLookupParams, FindCustomersByEmail } from '../../application/gdpr/personal-data.queries';
import { CONTACT_CHANGE_ROLES, MERGE_ROLES, Roles } from '../../config/api-keys';
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CustomerIdPipe } from './customer-id.pipe';
import { RedirectsMergedRecords } from './merged-record.redirect';
import { Recording } from './recording-context.decorator';
import { schemaOf } from './openapi';
import { ChangeContactDetails } from '../../application/customers/change-contact-details/change-contact-details.command';
import { ChangeContactDetailsDto } from '../../application/customers/change-contact-details/change-contact-details.dto';
import { RecordedOutcome, RecordingContext } from '../../application/customers/customer-ledger';
import {
  ReadCustomerEvents,
  ReadCustomerEventsParams,
} from '../../application/customers/read-customer-events/read-customer-events.query';
import { ReadLoyalty, ReadLoyaltyParams } from '../../application/customers/read-loyalty/read-loyalty.query';
import { ReadProfile } from '../../application/customers/read-profile/read-profile.query';
import {
  ReadTimeline,
  ReadTimelineParams,
} from '../../application/customers/read-timeline/read-timeline.query';
import { RecordConsent } from '../../application/customers/record-consent/record-consent.command';
import { RecordConsentDto } from '../../application/customers/record-consent/record-consent.dto';
import { RegisterCustomer } from '../../application/customers/register-customer/register-customer.command';
import { RegisterCustomerDto } from '../../application/customers/register-customer/register-customer.dto';
import {
  MergeCustomers,
  MergeOutcome,
} from '../../application/customers/merge-customers/merge-customers.command';
import { MergeCustomersDto } from '../../application/customers/merge-customers/merge-customers.dto';
import { Answers } from './openapi-operations';

@ApiTags('customers')
@Controller('v1/customers')
@RedirectsMergedRecords()
export class CustomersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly offThread: OffThreadQueries,
  ) {}

  @Post()
  @Roles('ingest', 'rep')
  @ApiOperation({ summary: 'Register a customer (201; 200 with duplicate: true for a retried eventId)' })
  @ApiBody({ schema: schemaOf(RegisterCustomerDto) })
  @Answers('RecordedOutcome', 201, 200)
  async register(
    @Body() body: RegisterCustomerDto,
    @Recording() context: RecordingContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordedOutcome> {
    return created(reply, await this.commands.execute(new RegisterCustomer(body, context)));
  }

  @Patch(':id/contact-details')
  @Roles(...CONTACT_CHANGE_ROLES)
  @HttpCode(200)
  @ApiOperation({ summary: 'Change name, e-mail or phone, with a reason' })
  @ApiBody({ schema: schemaOf(ChangeContactDetailsDto) })
  @Answers('RecordedOutcome')
  changeContactDetails(
    @Param('id', CustomerIdPipe) customerId: string,
    @Body() body: ChangeContactDetailsDto,
    @Recording() context: RecordingContext,
  ): Promise<RecordedOutcome> {
    return this.commands.execute(new ChangeContactDetails(customerId, body, context));
  }

  @Post(':id/consents')
  @Roles('ingest', 'rep')
  @ApiOperation({ summary: 'Grant or withdraw consent for a purpose' })
  @ApiBody({ schema: schemaOf(RecordConsentDto) })
  @Answers('RecordedOutcome', 201, 200)
  async recordConsent(
    @Param('id', CustomerIdPipe) customerId: string,
    @Body() body: RecordConsentDto,
    @Recording() context: RecordingContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordedOutcome> {
    return created(reply, await this.commands.execute(new RecordConsent(customerId, body, context)));
  }

  @Post(':id/merge')
  @Roles(...MERGE_ROLES)
  @ApiOperation({
    summary:
      'Merge a duplicate record (or an anonymous visitor, anonymous:<id>) into this customer (201; 200 when already merged)',
  })
  @ApiBody({ schema: schemaOf(MergeCustomersDto) })
  @Answers('MergeOutcome', 201, 200)
  async merge(
    @Param('id', CustomerIdPipe) survivorId: string,
    @Body() body: MergeCustomersDto,
    @Recording() context: RecordingContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MergeOutcome> {
    const merge = new MergeCustomers({ survivorId, duplicateId: body.duplicateId }, context);
    return created(reply, await this.commands.execute(merge));
  }

  @Get()
  @Roles('rep', 'auditor')
  @ApiOperation({
    summary: 'Find customers by e-mail (blind index); each match is entered in its access log',
  })
  @Answers('CustomerMatches')
  findByEmail(@Query() params: EmailLookupParams, @Recording() context: RecordingContext) {
    return this.queries.execute(
      new FindCustomersByEmail(params.email, {
        actor: context.actor,
        requestId: context.causationId,
        attribution: context.attribution,
      }),
    );
  }

  @Get(':id')
  @Roles('rep', 'auditor')
  @ReadsPersonalData('profile')
  @ApiOperation({
    summary: 'Profile: personal data, funnel stage, loyalty, purchases, net spend, open complaints, consents',
  })
  @Answers('CustomerProfile')
  readProfile(@Param('id', CustomerIdPipe) customerId: string) {
    return this.offThread.execute(new ReadProfile(customerId, new Date()));
  }

  @Get(':id/timeline')
  @Roles('rep', 'auditor')
  @ReadsPersonalData('timeline')
  @ApiOperation({ summary: 'Timeline, newest first, cursor-paged, filtered by event types and a time range' })
  @Answers('TimelinePage')
  readTimeline(@Param('id', CustomerIdPipe) customerId: string, @Query() params: ReadTimelineParams) {
    return this.queries.execute(new ReadTimeline(customerId, params));
  }

  @Get(':id/loyalty')
  @Roles('rep')
  @ApiOperation({
    summary:
      'Loyalty score as of an instant, with its components and contributing events (analysts: /v1/analytics/customers/:pseudonym/loyalty)',
  })
  @Answers('CustomerLoyalty')
  readLoyalty(@Param('id', CustomerIdPipe) customerId: string, @Query() params: ReadLoyaltyParams) {
    return this.queries.execute(
      new ReadLoyalty(customerId, params.asOf ? new Date(params.asOf) : new Date()),
    );
  }

  @Get(':id/events')
  @Roles('auditor', 'admin')
  @ReadsPersonalData('events')
  @ApiOperation({ summary: 'The raw event stream of a customer, oldest first, personal data decrypted' })
  @Answers('CustomerEventsPage')
  readEvents(@Param('id', CustomerIdPipe) customerId: string, @Query() params: ReadCustomerEventsParams) {
    return this.queries.execute(new ReadCustomerEvents(customerId, params));
  }
}

/** 201 for a new fact, 200 when the request was a retry of one already recorded. */
export function created<T extends { duplicate: boolean }>(reply: FastifyReply, outcome: T): T {
  void reply.status(outcome.duplicate ? 200 : 201);
  return outcome;
}
