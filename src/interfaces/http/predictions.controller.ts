import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  BacktestParams,
  ReadPredictionBacktest,
} from '../../application/predictions/customer-base-predictions';
import {
  CustomerPredictionParams,
  ReadCustomerPredictions,
} from '../../application/predictions/customer-outlooks';
import { ReadAssociationRules, RuleParams } from '../../application/predictions/product-associations';
import { Roles } from '../../config/api-keys';
import { OffThreadQueries } from '../workers/off-thread-queries';
import { Answers } from './openapi-operations';

/** Predictions for analysts: backtests, per-customer predictions under pseudonyms, association rules. */
@ApiTags('analytics')
@Controller('v1/analytics/predictions')
export class PredictionsController {
  constructor(private readonly queries: OffThreadQueries) {}

  @Get('backtest')
  @Roles('analyst')
  @Answers('PredictionBacktest')
  @ApiOperation({
    summary:
      'Fit BG/NBD, Pareto/NBD and Gamma-Gamma as of calibrationEnd and compare with what happened up to holdoutEnd: per calibration-frequency class, cumulative per week, per-customer correlation, value (analytics consent honoured)',
  })
  backtest(@Query() params: BacktestParams) {
    return this.queries.execute(new ReadPredictionBacktest(params));
  }

  @Get('customers')
  @Roles('analyst')
  @Answers('CustomerPredictionList')
  @ApiOperation({
    summary:
      'Customers scored with the stored models (`ledger predict refresh`) as of their fit, under pseudonyms, by spend to date; maxPAlive lists those at risk (analytics and profiling consent honoured; 404 before the first refresh)',
  })
  customers(@Query() params: CustomerPredictionParams) {
    return this.queries.execute(new ReadCustomerPredictions(params));
  }

  @Get('rules')
  @Roles('analyst')
  @Answers('ProductAssociationReport')
  @ApiOperation({
    summary:
      'Association rules between products from the purchase baskets (FP-growth): minSupport, minConfidence, minLift, from/to, asOf, and the customers\u2019 country (analytics consent honoured)',
  })
  rules(@Query() params: RuleParams) {
    return this.queries.execute(new ReadAssociationRules(params, new Date()));
  }
}
