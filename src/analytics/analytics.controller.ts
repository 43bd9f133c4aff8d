import { Roles } from '../auth/roles';
import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  FunnelParams,
  LoyaltyDistributionParams,
  ReadFunnelReport,
  ReadLoyaltyDistribution,
} from './analytics.queries';

@ApiTags('analytics')
@Controller('v1/analytics')
export class AnalyticsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('funnel')
  @Roles('analyst')
  @ApiOperation({
    summary: 'Funnel stages, conversion and median days between stages for a first-seen cohort',
  })
  funnel(@Query() params: FunnelParams) {
    return this.queries.execute(new ReadFunnelReport(params));
  }

  @Get('loyalty')
  @Roles('analyst')
  @ApiOperation({ summary: 'Loyalty distribution and top customers (pseudonymous)' })
  loyalty(@Query() params: LoyaltyDistributionParams) {
    return this.queries.execute(new ReadLoyaltyDistribution(params.top ?? 10, new Date()));
  }
}
