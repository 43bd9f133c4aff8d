import { Module } from '@nestjs/common';
import {
  CustomerBasePredictions,
  ReadPredictionBacktestHandler,
} from '../application/predictions/customer-base-predictions';
import {
  CustomerOutlooks,
  ReadCustomerPredictionsHandler,
} from '../application/predictions/customer-outlooks';
import { PredictionModels } from '../application/predictions/prediction-models';
import {
  ProductAssociations,
  ReadAssociationRulesHandler,
} from '../application/predictions/product-associations';

/**
 * Predictions: customer-base models (BG/NBD, Pareto/NBD, Gamma-Gamma) and product association rules, fitted by
 * `ledger predict refresh` and stored (PredictionModels); CustomerOutlooks scores one customer with them.
 */
@Module({
  providers: [
    CustomerBasePredictions,
    ReadPredictionBacktestHandler,
    ProductAssociations,
    ReadAssociationRulesHandler,
    PredictionModels,
    CustomerOutlooks,
    ReadCustomerPredictionsHandler,
  ],
  exports: [CustomerBasePredictions, ProductAssociations, PredictionModels, CustomerOutlooks],
})
export class PredictionsModule {}
