import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  BacktestParams,
  ReadPredictionBacktest,
} from '../../application/predictions/customer-base-predictions';
import { Roles } from '../../config/api-keys';

/** Customer-base predictions for analysts: fitted parameters and backtests, figures only. */
@ApiTags('analytics')
@Controller('v1/analytics/predictions')
export class PredictionsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('backtest')
  @Roles('analyst')
  @ApiOperation({
    summary:
      'Fit BG/NBD, Pareto/NBD and Gamma-Gamma as of calibrationEnd and compare with what happened up to holdoutEnd: per calibration-frequency class, cumulative per week, per-customer correlation, value (analytics consent honoured)',
  })
  backtest(@Query() params: BacktestParams) {
    return this.queries.execute(new ReadPredictionBacktest(params));
  }
}
