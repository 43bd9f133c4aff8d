import { Module } from '@nestjs/common';
import {
  CustomerBasePredictions,
  ReadPredictionBacktestHandler,
} from '../application/predictions/customer-base-predictions';
import { ProductAssociations } from '../application/predictions/product-associations';

/** Predictions: customer-base models (BG/NBD, Pareto/NBD, Gamma-Gamma) and product association rules. */
@Module({
  providers: [CustomerBasePredictions, ReadPredictionBacktestHandler, ProductAssociations],
  exports: [CustomerBasePredictions, ProductAssociations],
})
export class PredictionsModule {}
