import { Inject, Injectable } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { IsIn, IsOptional } from 'class-validator';
import { performance } from 'node:perf_hooks';
import { consentGiven } from '../../../projections/consent';
import { PurchaseHistory } from '../../../projections/purchase-history.projection';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { DomainError } from '../../domain/domain-error';
import { toDecimal } from '../../domain/money';
import { backtest, BacktestReport } from '../../domain/predictions/backtest';
import {
  CustomerBaseFit,
  CustomerForecast,
  fitCustomerBase,
  forecastCustomer,
  ForecastSettings,
} from '../../domain/predictions/customer-forecast';
import { ModelFit } from '../../domain/predictions/maximum-likelihood';
import {
  DatedPurchase,
  holdoutOutcome,
  PurchaseSummary,
  summarizePurchases,
  TIME_UNITS,
  TimeUnit,
  UNIT_MS,
} from '../../domain/predictions/purchase-summary';
import { READ_STORE, ReadStore } from '../../ports/read-store.port';
import { IsIsoTimestamp } from '../../validation/validators';
import { PROJECTION_ENGINE, ProjectionEngine } from '../read-models/projection-engine';

/** Customers left out of a fit or of the per-customer predictions, by the consent they lacked at the instant. */
export interface LeftOutWithoutConsent {
  /** Left out of the fit and of every figure (analytics consent withdrawn). */
  readonly analytics: number;
  /** In the fit, but given no prediction of their own (profiling consent withdrawn). */
  readonly profiling: number;
}

/** The fitted models as the CLI and API report them: parameters by their published names. */
export interface CustomerBaseReport {
  readonly asOf: string;
  readonly timeUnit: TimeUnit;
  readonly currency: string;
  readonly customers: number;
  readonly leftOutWithoutConsent: LeftOutWithoutConsent;
  readonly bgNbd: FitReport<'r' | 'alpha' | 'a' | 'b'>;
  readonly paretoNbd: FitReport<'r' | 'alpha' | 's' | 'beta'>;
  readonly gammaGamma: FitReport<'p' | 'q' | 'gamma'>;
  /** Wall-clock time of reading the purchase histories and fitting the three models. */
  readonly durationMs: number;
}

type FitReport<N extends string> = Record<N, number> & {
  readonly logLikelihood: number;
  readonly customers: number;
  readonly converged: boolean;
};

/** A customer considered: who, their summary, and whether they may be given a prediction of their own. */
interface Considered {
  readonly customerId: string;
  readonly summary: PurchaseSummary;
  readonly profiling: boolean;
}

/** The customer-base models fitted as of an instant, and the customers they were fitted on. */
export interface FittedCustomerBase {
  readonly fit: CustomerBaseFit;
  readonly report: CustomerBaseReport;
  readonly considered: readonly Considered[];
}

/**
 * Fits BG/NBD, Pareto/NBD and Gamma-Gamma on the purchase histories as of an instant, and forecasts and
 * backtests with them. Computed on demand: a fit reads every purchase history once, in the read store's
 * batches, and keeps only each customer's four numbers. Purchases in the ledger currency count; refunds do
 * not (the models describe buying, not returning).
 */
@Injectable()
export class CustomerBasePredictions {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async fit(asOf: string, timeUnit: TimeUnit): Promise<FittedCustomerBase> {
    const started = performance.now();
    const considered: Considered[] = [];
    let withoutAnalytics = 0;
    for await (const { customerId, purchases, consents } of this.histories()) {
      const summary = summarizePurchases(purchases, asOf, timeUnit);
      if (!summary) continue;
      if (!consentGiven(consents, 'analytics', asOf)) {
        withoutAnalytics++;
        continue;
      }
      considered.push({ customerId, summary, profiling: consentGiven(consents, 'profiling', asOf) });
    }
    const fit = fitCustomerBase(
      considered.map((customer) => customer.summary),
      asOf,
      timeUnit,
    );
    const leftOut = {
      analytics: withoutAnalytics,
      profiling: considered.filter((customer) => !customer.profiling).length,
    };
    return {
      fit,
      considered,
      report: reportOf(
        fit,
        this.config.ledgerCurrency,
        considered.length,
        leftOut,
        performance.now() - started,
      ),
    };
  }

  /** Each customer's forecast, for those with profiling consent at the fit's instant. */
  *forecasts(
    { fit, considered }: FittedCustomerBase,
    settings: ForecastSettings,
  ): Iterable<{ customerId: string; forecast: CustomerForecast }> {
    for (const { customerId, summary, profiling } of considered) {
      if (profiling) yield { customerId, forecast: forecastCustomer(fit, summary, settings) };
    }
  }

  /**
   * Fits as of the calibration end and compares with what the purchase histories say happened up to the
   * holdout end, for the customers with analytics consent at the holdout end (whose purchases by then may
   * be counted).
   */
  async backtest(
    calibrationEnd: string,
    holdoutEnd: string,
    timeUnit: TimeUnit,
  ): Promise<{ fit: CustomerBaseReport; backtest: BacktestReport }> {
    if (!(calibrationEnd < holdoutEnd)) {
      throw new DomainError(
        'invalid',
        'empty-holdout',
        `calibrationEnd (${calibrationEnd}) must be before holdoutEnd (${holdoutEnd})`,
        'holdoutEnd',
      );
    }
    const started = performance.now();
    const customers: { summary: PurchaseSummary; holdout: ReturnType<typeof holdoutOutcome> }[] = [];
    let withoutAnalytics = 0;
    for await (const { purchases, consents } of this.histories()) {
      const summary = summarizePurchases(purchases, calibrationEnd, timeUnit);
      if (!summary) continue;
      if (!consentGiven(consents, 'analytics', holdoutEnd)) {
        withoutAnalytics++;
        continue;
      }
      customers.push({ summary, holdout: holdoutOutcome(purchases, calibrationEnd, holdoutEnd, timeUnit) });
    }
    const fit = fitCustomerBase(
      customers.map((customer) => customer.summary),
      calibrationEnd,
      timeUnit,
    );
    const holdoutLength = (Date.parse(holdoutEnd) - Date.parse(calibrationEnd)) / UNIT_MS[timeUnit];
    const report = backtest(fit, customers, holdoutLength);
    return {
      fit: reportOf(
        fit,
        this.config.ledgerCurrency,
        customers.length,
        { analytics: withoutAnalytics, profiling: 0 },
        performance.now() - started,
      ),
      backtest: report,
    };
  }

  /** Every purchase history, streamed in the read store's batches, with purchases in the ledger currency. */
  async *histories(): AsyncIterable<{
    customerId: string;
    purchases: DatedPurchase[];
    consents: PurchaseHistory['consents'];
  }> {
    for await (const history of this.store.scan<PurchaseHistory>(
      this.engine.collection('purchase-history'),
    )) {
      const purchases = datedPurchases(history, this.config.ledgerCurrency);
      yield { customerId: history.customerId, purchases, consents: history.consents };
    }
  }
}

/** A customer's purchases in one currency as the models read them (refunds are not purchases). */
function datedPurchases(history: PurchaseHistory | undefined, currency: string): DatedPurchase[] {
  return (history?.purchases ?? [])
    .filter((purchase) => purchase.amount.currency === currency)
    .map((purchase) => ({ at: purchase.at, value: toDecimal(purchase.amount) }));
}

function reportOf(
  fit: CustomerBaseFit,
  currency: string,
  customers: number,
  leftOutWithoutConsent: LeftOutWithoutConsent,
  durationMs: number,
): CustomerBaseReport {
  const named = <P extends object>({ params, logLikelihood, customers: n, converged }: ModelFit<P>) => ({
    ...params,
    logLikelihood,
    customers: n,
    converged,
  });
  return {
    asOf: fit.asOf,
    timeUnit: fit.timeUnit,
    currency,
    customers,
    leftOutWithoutConsent,
    bgNbd: named(fit.bgNbd),
    paretoNbd: named(fit.paretoNbd),
    gammaGamma: named(fit.gammaGamma),
    durationMs: Math.round(durationMs),
  };
}

/** `calibrationEnd` and `holdoutEnd` of a backtest (both required), and its time unit (weeks by default). */
export class BacktestParams {
  @IsIsoTimestamp() calibrationEnd!: string;
  @IsIsoTimestamp() holdoutEnd!: string;
  @IsOptional() @IsIn(TIME_UNITS) timeUnit?: TimeUnit;
}

/** A fit as of the calibration end and how it compares with the holdout. */
export interface PredictionBacktest {
  readonly fit: CustomerBaseReport;
  readonly backtest: BacktestReport;
}

export class ReadPredictionBacktest extends Query<PredictionBacktest> {
  constructor(readonly params: BacktestParams) {
    super();
  }
}

@QueryHandler(ReadPredictionBacktest)
export class ReadPredictionBacktestHandler implements IQueryHandler<ReadPredictionBacktest> {
  constructor(private readonly predictions: CustomerBasePredictions) {}

  execute({ params }: ReadPredictionBacktest) {
    return this.predictions.backtest(
      new Date(params.calibrationEnd).toISOString(),
      new Date(params.holdoutEnd).toISOString(),
      params.timeUnit ?? 'week',
    );
  }
}
