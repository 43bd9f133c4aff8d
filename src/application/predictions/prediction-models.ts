import { Inject, Injectable } from '@nestjs/common';
import { AssociationRule, RuleThresholds } from '../../domain/predictions/association-rules';
import { CustomerBaseFit } from '../../domain/predictions/customer-forecast';
import { TimeUnit } from '../../domain/predictions/purchase-summary';
import { READ_STORE, ReadStore } from '../../ports/read-store.port';
import { CustomerBaseReport, CustomerBasePredictions } from './customer-base-predictions';
import { ProductAssociations } from './product-associations';

/** Where the stored models live: a small JSON value kept with the read models. */
const STORED_MODELS_KEY = 'predictions:stored-models';
/** The instant of the last refresh, stored beside them: a profile reads it and the models only when it changed. */
const REFRESHED_AT_KEY = 'predictions:refreshed-at';
/** The strongest rules kept for the rep's next products (by lift): enough for any customer, small to read. */
const STORED_RULES = 500;

/**
 * The population figures the per-customer predictions read: the three models' parameters and the association
 * rules, fitted as of one instant by `ledger predict refresh` (run on a schedule, daily by default in the
 * docs), so that a profile scores one customer with them instead of fitting on every request.
 */
export interface StoredPredictionModels {
  readonly refreshedAt: string;
  readonly fit: CustomerBaseFit;
  readonly report: CustomerBaseReport;
  readonly rules: {
    readonly thresholds: RuleThresholds;
    readonly baskets: number;
    readonly rules: readonly AssociationRule[];
  };
}

@Injectable()
export class PredictionModels {
  /** The models last read, kept while the stored refresh instant is theirs (a refresh may run in another process). */
  private lastRead?: StoredPredictionModels;

  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    private readonly customerBase: CustomerBasePredictions,
    private readonly associations: ProductAssociations,
  ) {}

  /** Fits the models and counts the rules as of `asOf`, and stores them for the per-customer predictions. */
  async refresh(
    asOf: string,
    timeUnit: TimeUnit,
    thresholds: RuleThresholds,
    now: Date,
  ): Promise<StoredPredictionModels> {
    const { fit, report } = await this.customerBase.fit(asOf, timeUnit);
    const rules = await this.associations.rules({ asOf }, thresholds);
    const stored: StoredPredictionModels = {
      refreshedAt: now.toISOString(),
      fit,
      report,
      rules: { thresholds, baskets: rules.baskets, rules: rules.rules.slice(0, STORED_RULES) },
    };
    await this.store.setState(STORED_MODELS_KEY, stored);
    await this.store.setState(REFRESHED_AT_KEY, stored.refreshedAt);
    return stored;
  }

  /**
   * The models stored by the last refresh; undefined before the first. Each call reads the small refresh
   * instant; the models themselves (parameters and hundreds of rules) only when another refresh stored them.
   */
  async latest(): Promise<StoredPredictionModels | undefined> {
    const refreshedAt = await this.store.getState<string>(REFRESHED_AT_KEY);
    if (refreshedAt === undefined || refreshedAt !== this.lastRead?.refreshedAt) {
      this.lastRead = await this.store.getState<StoredPredictionModels>(STORED_MODELS_KEY);
    }
    return this.lastRead;
  }
}
