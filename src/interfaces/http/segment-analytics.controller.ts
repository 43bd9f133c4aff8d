import { OffThreadQueries } from '../workers/off-thread-queries';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AsOfParams,
  RangeAsOfParams,
  RangeParams,
  ReadCohortReport,
  ReadComplaintReport,
  ReadRfmReport,
  ReadSatisfactionReport,
  ReadSegmentMembers,
  ReadSegmentTransitions,
  SegmentMembersParams,
  TransitionParams,
} from '../../application/analytics/segments.queries';
import { Roles } from '../../config/api-keys';
import { Answers } from './openapi-operations';

const asOfOrNow = (asOf: string | undefined, now: Date) => (asOf ? new Date(asOf) : now);

/** Segments (RFM), cohorts, complaint and satisfaction figures for analysts: pseudonyms and counts only. */
@ApiTags('analytics')
@Controller('v1/analytics')
export class SegmentAnalyticsController {
  constructor(private readonly queries: OffThreadQueries) {}

  @Get('rfm')
  @Roles('analyst')
  @ApiOperation({ summary: 'RFM segment counts, the R x FM grid and the quintile ranges, as of an instant' })
  @Answers('RfmReport')
  rfm(@Query() params: AsOfParams) {
    const now = new Date();
    return this.queries.execute(new ReadRfmReport(asOfOrNow(params.asOf, now), now));
  }

  @Get('segments/transitions')
  @Roles('analyst')
  @ApiOperation({ summary: 'How many customers moved from which RFM segment to which between two instants' })
  @Answers('SegmentTransitions')
  transitions(@Query() params: TransitionParams) {
    return this.queries.execute(
      new ReadSegmentTransitions(new Date(params.from), new Date(params.to), new Date()),
    );
  }

  @Get('segments/:segment/members')
  @Roles('analyst')
  @ApiOperation({ summary: 'The pseudonyms of the members of an RFM segment as of an instant' })
  @Answers('SegmentMembers')
  members(@Param('segment') segment: string, @Query() params: SegmentMembersParams) {
    const now = new Date();
    return this.queries.execute(
      new ReadSegmentMembers(segment, asOfOrNow(params.asOf, now), params.limit ?? 100, now),
    );
  }

  @Get('cohorts')
  @Roles('analyst')
  @ApiOperation({ summary: 'Purchase cohorts by first-purchase month: retention matrix and net revenue' })
  @Answers('CohortReport')
  cohorts(@Query() params: RangeAsOfParams) {
    return this.queries.execute(new ReadCohortReport(params, new Date()));
  }

  @Get('complaints')
  @Roles('analyst')
  @ApiOperation({
    summary:
      'Complaints filed in a range by category and severity, their resolution, and the open backlog by age',
  })
  @Answers('ComplaintReport')
  complaints(@Query() params: RangeAsOfParams) {
    return this.queries.execute(new ReadComplaintReport(params, new Date()));
  }

  @Get('satisfaction')
  @Roles('analyst')
  @ApiOperation({ summary: 'NPS, CSAT and CES of the answers given in a range, overall and by month' })
  @Answers('SatisfactionReport')
  satisfaction(@Query() params: RangeParams) {
    return this.queries.execute(new ReadSatisfactionReport(params, new Date()));
  }
}
