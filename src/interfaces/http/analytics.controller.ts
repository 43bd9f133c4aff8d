import { OffThreadQueries } from '../workers/off-thread-queries';
import { Roles } from '../../config/api-keys';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReadLoyaltyParams } from '../../application/customers/read-loyalty/read-loyalty.query';
import { PseudonymPipe } from './pseudonym.pipe';
import {
  FunnelParams,
  ReadPseudonymousLoyalty,
  LoyaltyDistributionParams,
  ReadFunnelReport,
  ReadLoyaltyDistribution,
} from '../../application/analytics/analytics.queries';
import { Answers } from './openapi-operations';

@ApiTags('analytics')
@Controller('v1/analytics')
export class AnalyticsController {
  constructor(private readonly queries: OffThreadQueries) {}

  @Get('funnel')
  @Roles('analyst')
  @ApiOperation({
    summary:
      'Funnel stages, conversion and median days between stages for a first-seen cohort; customers without analytics consent are left out',
  })
  @Answers('FunnelReport')
  funnel(@Query() params: FunnelParams) {
    return this.queries.execute(new ReadFunnelReport(params, new Date()));
  }

  @Get('loyalty')
  @Roles('analyst')
  @ApiOperation({ summary: 'Loyalty distribution and top customers (pseudonymous), now or as of an instant' })
  @Answers('LoyaltyDistribution')
  loyalty(@Query() params: LoyaltyDistributionParams) {
    return this.queries.execute(
      new ReadLoyaltyDistribution(params.top ?? 10, params.asOf ? new Date(params.asOf) : new Date()),
    );
  }

  @Get('customers/:pseudonym/loyalty')
  @Roles('analyst')
  @ApiOperation({
    summary: "One customer's loyalty by pseudonym (as in the distribution's top list), as of an instant",
  })
  @Answers('PseudonymousLoyalty')
  customerLoyalty(@Param('pseudonym', PseudonymPipe) pseudonym: string, @Query() params: ReadLoyaltyParams) {
    return this.queries.execute(
      new ReadPseudonymousLoyalty(pseudonym, params.asOf ? new Date(params.asOf) : new Date()),
    );
  }
}
