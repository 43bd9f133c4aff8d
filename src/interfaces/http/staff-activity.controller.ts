import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../config/api-keys';
import { RecordingContext } from '../../application/customers/customer-ledger';
import { ReadStaffActivity, StaffActivityParams } from '../../application/staff-auth/staff-activity.query';
import { Answers } from './openapi-operations';
import { Recording } from './recording-context.decorator';

@ApiTags('gdpr')
@Controller('v1/audit/staff')
export class StaffActivityController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':subject/activity')
  @Roles('auditor')
  @Answers('StaffActivity')
  @ApiOperation({
    summary:
      'Everything one person (or key principal) read or changed between from and to; the listing is itself recorded',
  })
  activity(
    @Param('subject') subject: string,
    @Query() period: StaffActivityParams,
    @Recording() context: RecordingContext,
  ) {
    return this.queries.execute(
      new ReadStaffActivity(subject, period, {
        actor: context.actor,
        requestId: context.causationId,
        attribution: context.attribution,
      }),
    );
  }
}
