import { Inject, Injectable } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { ConsentHistory, consentGiven, withdrawnSince } from '../../../projections/consent';
import { CustomerFiguresOverTime } from '../../../projections/customer-figures';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { TopList } from '../../domain/top-list';
import { DomainError } from '../../domain/domain-error';
import { PurchaseModel } from '../../domain/predictions/customer-forecast';
import {
  customerOutlook,
  CustomerOutlook,
  likelyNextProducts,
  OUTLOOK_DISCOUNT_RATE,
  OUTLOOK_MODEL,
  OwnPurchase,
} from '../../domain/predictions/customer-outlook';
import { forecastCustomer } from '../../domain/predictions/customer-forecast';
import { summarizePurchases, TimeUnit, UNIT_MS } from '../../domain/predictions/purchase-summary';
import { Pseudonyms } from '../../privacy/pseudonyms';
import { IsOmittable } from '../../validation/validators';
import { ReadModels } from '../read-models/read-models';
import { CustomerBasePredictions, LeftOutWithoutConsent } from './customer-base-predictions';
import { PredictionModels } from './prediction-models';

/** Why a customer has no predictions: profiling consent withdrawn, no stored models yet, or no purchase. */
export interface WithheldOutlook {
  readonly asOf: string;
  readonly reason: string;
  readonly withheld?: { readonly purpose: 'profiling'; readonly since: string };
}

export function isWithheldOutlook(outlook: CustomerOutlook | WithheldOutlook): outlook is WithheldOutlook {
  return 'reason' in outlook;
}

/** The customer's own purchases the next products read: the most recent this many up to the instant. */
const OWN_PURCHASES = 1_000;

/**
 * One customer's predictions for the rep: the stored models (PredictionModels) score the customer's purchase
 * summary as of the instant, worked out from their month totals and a few pages (CustomerFiguresOverTime),
 * and the next products read their most recent purchases: the cost is the customer's own small documents and
 * one stored value, whatever the number of customers or the length of the history. No prediction without
 * profiling consent as of the instant, nor from models fitted in another currency than the ledger's.
 */
@Injectable()
export class CustomerOutlooks {
  constructor(
    private readonly readModels: ReadModels,
    private readonly models: PredictionModels,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  /** The currency whose purchases the outlook reads: the figures passed to `of` are read with it. */
  get modelCurrency(): string {
    return this.config.ledgerCurrency;
  }

  /**
   * The outlook as of `now`, from the customer's figures read as of that instant with modelCurrency, and the
   * customer's consent choices.
   */
  async of(
    overTime: CustomerFiguresOverTime,
    consents: ConsentHistory | undefined,
    now: Date,
  ): Promise<CustomerOutlook | WithheldOutlook> {
    const asOf = now.toISOString();
    const since = withdrawnSince(consents, 'profiling', asOf);
    if (since !== undefined) {
      return {
        asOf,
        reason: `the customer withdrew consent to profiling on ${since}: no prediction is made`,
        withheld: { purpose: 'profiling', since },
      };
    }
    const stored = await this.models.latest();
    if (!stored) {
      return {
        asOf,
        reason: 'no models fitted yet: `ledger predict refresh` fits them (docs/predictions.md)',
      };
    }
    const { currency } = stored.report;
    if (currency !== this.modelCurrency) {
      return {
        asOf,
        reason: `the models were fitted on purchases in ${currency}, the ledger's currency is now ${this.modelCurrency}: \`ledger predict refresh\` fits them again`,
      };
    }
    if (!overTime.countsPurchaseDays()) {
      return {
        asOf,
        reason:
          'the customer pages are being rebuilt after an upgrade and do not count purchase days yet: predictions follow when it is done',
      };
    }
    const summary = overTime.purchaseSummary(asOf, stored.fit.timeUnit);
    if (!summary) return { asOf, reason: `no purchase in ${currency} yet: the models need one` };
    const own = await this.ownPurchases(overTime.customerId, asOf);
    return customerOutlook(
      stored.fit,
      summary,
      asOf,
      currency,
      likelyNextProducts(own, stored.rules.rules, asOf),
    );
  }

  /** The SKUs of the customer's most recent purchases up to the instant, from their timeline. */
  private async ownPurchases(customerId: string, asOf: string): Promise<OwnPurchase[]> {
    const entries = await this.readModels.timeline({
      where: { customerId, type: 'PurchaseCompleted' },
      range: { field: 'occurredAt', to: asOf },
      sort: [['occurredAt', -1]],
      limit: OWN_PURCHASES,
    });
    return entries.map((entry) => ({
      at: entry.occurredAt,
      skus: ((entry.details.items ?? []) as readonly { sku: string }[]).map((item) => item.sku),
    }));
  }
}

/** `maxPAlive`: only customers at most this likely to be still active (the ones at risk); `limit`: how many. */
export class CustomerPredictionParams {
  @IsOmittable() @Type(() => Number) @IsNumber() @Min(0) @Max(1) maxPAlive?: number;
  @IsOmittable() @Type(() => Number) @IsInt() @Min(1) @Max(10_000) limit?: number;
}

/** One customer's predictions under their pseudonym, for analysts. */
export interface PredictedCustomer {
  readonly pseudonym: string;
  /** Purchases to date in the models' currency: what the customer has been worth. */
  readonly spend: number;
  readonly frequency: number;
  readonly recency: number;
  readonly age: number;
  readonly pAlive: number;
  readonly expectedPurchases: number;
  readonly expectedValue: number;
}

/** Customers scored with the stored models as of the instant they were fitted, by spend to date. */
export interface CustomerPredictionList {
  readonly asOf: string;
  readonly refreshedAt: string;
  readonly model: PurchaseModel;
  readonly timeUnit: TimeUnit;
  readonly currency: string;
  /** Over the next year, in the time unit. */
  readonly horizon: number;
  /** Customers scored that pass `maxPAlive` (all of them are counted; `predictions` holds the first `limit`). */
  readonly customers: number;
  readonly leftOutWithoutConsent: LeftOutWithoutConsent;
  readonly predictions: readonly PredictedCustomer[];
}

export class ReadCustomerPredictions extends Query<CustomerPredictionList> {
  constructor(readonly params: CustomerPredictionParams) {
    super();
  }
}

/**
 * Scores every customer with the stored models, as of the instant they were fitted (so that a list and the
 * fit describe the same moment), and lists those at or below `maxPAlive` by spend to date, largest first:
 * "customers at risk by value". Analytics and profiling consent as of that instant, as for the fit.
 */
@QueryHandler(ReadCustomerPredictions)
export class ReadCustomerPredictionsHandler implements IQueryHandler<ReadCustomerPredictions> {
  constructor(
    private readonly models: PredictionModels,
    private readonly customerBase: CustomerBasePredictions,
    private readonly pseudonyms: Pseudonyms,
  ) {}

  async execute({ params }: ReadCustomerPredictions): Promise<CustomerPredictionList> {
    const stored = await this.models.latest();
    if (!stored) {
      throw new DomainError(
        'not-found',
        'no-stored-models',
        'no models fitted yet: `ledger predict refresh` fits them (docs/predictions.md)',
      );
    }
    const { fit } = stored;
    const horizon = (365.25 * 86_400_000) / UNIT_MS[fit.timeUnit];
    const settings = { model: OUTLOOK_MODEL, horizon, annualDiscountRate: OUTLOOK_DISCOUNT_RATE };
    const maxPAlive = params.maxPAlive ?? 1;
    const matching = new TopList<Omit<PredictedCustomer, 'pseudonym'> & { customerId: string }>(
      params.limit ?? 100,
      (a, b) => b.spend - a.spend || (a.customerId < b.customerId ? -1 : 1),
    );
    let customers = 0;
    const leftOut = { analytics: 0, profiling: 0 };
    for await (const { customerId, purchases, consents } of this.customerBase.histories()) {
      const summary = summarizePurchases(purchases, fit.asOf, fit.timeUnit);
      if (!summary) continue;
      if (!consentGiven(consents, 'analytics', fit.asOf)) leftOut.analytics++;
      else if (!consentGiven(consents, 'profiling', fit.asOf)) leftOut.profiling++;
      else {
        const forecast = forecastCustomer(fit, summary, settings);
        if (forecast.pAlive > maxPAlive) continue;
        const spend = purchases.filter((p) => p.at <= fit.asOf).reduce((sum, p) => sum + p.value, 0);
        const { frequency, recency, age, pAlive, expectedPurchases, expectedValue } = forecast;
        customers++;
        matching.offer({
          customerId,
          spend,
          frequency,
          recency,
          age,
          pAlive,
          expectedPurchases,
          expectedValue,
        });
      }
    }
    return {
      asOf: fit.asOf,
      refreshedAt: stored.refreshedAt,
      model: OUTLOOK_MODEL,
      timeUnit: fit.timeUnit,
      currency: stored.report.currency,
      horizon,
      customers,
      leftOutWithoutConsent: leftOut,
      predictions: matching
        .list()
        .map(({ customerId, ...predicted }) => ({ pseudonym: this.pseudonyms.of(customerId), ...predicted })),
    };
  }
}
