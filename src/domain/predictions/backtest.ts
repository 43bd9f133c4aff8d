import { CustomerBaseFit, PURCHASE_MODELS, PurchaseModel, purchaseForecast } from './customer-forecast';
import { gammaGammaExpectedValue } from './gamma-gamma';
import { correlation } from './numerics';
import { HoldoutOutcome, PurchaseSummary, UNIT_MS } from './purchase-summary';

/** A customer known at the calibration end: their summary then, and what they did in the holdout. */
export interface BacktestCustomer {
  readonly summary: PurchaseSummary;
  readonly holdout: HoldoutOutcome;
}

type ByModel = Record<PurchaseModel, number>;

/** One class of customers by their repeat transactions in calibration (the papers' "0, 1, ... 7+" table). */
export interface FrequencyClass {
  readonly frequency: string;
  readonly customers: number;
  /** Mean holdout transactions per customer: what happened, and what each model expected. */
  readonly actual: number;
  readonly expected: ByModel;
}

/** Cumulative holdout transactions of all calibration customers after `weeks` weeks of the holdout. */
export interface CumulativeTracking {
  readonly weeks: number;
  readonly actual: number;
  readonly expected: ByModel;
}

export interface BacktestReport {
  readonly customers: number;
  readonly holdoutLength: number;
  readonly purchases: { readonly actual: number; readonly expected: ByModel };
  readonly byCalibrationFrequency: readonly FrequencyClass[];
  readonly cumulative: readonly CumulativeTracking[];
  /** Pearson correlation, customer by customer, of expected and actual holdout transactions. */
  readonly correlation: ByModel;
  /** Holdout value: Gamma-Gamma's expected transaction value times each model's expected transactions, undiscounted. */
  readonly value: { readonly actual: number; readonly forecast: ByModel; readonly correlation: ByModel };
}

/** The frequency classes shown separately; more repeat transactions go into the last, "7+". */
const OPEN_CLASS = 7;

function byModel<T = number>(make: (model: PurchaseModel) => T): Record<PurchaseModel, T> {
  return Object.fromEntries(PURCHASE_MODELS.map((model) => [model, make(model)])) as Record<PurchaseModel, T>;
}

/**
 * Compares each model's expectations as of the calibration end with what happened in the holdout
 * (`holdoutLength` units long). Only customers with a purchase by the calibration end take part: the models
 * forecast the customers one has, not the ones still to come.
 */
export function backtest(
  fit: CustomerBaseFit,
  customers: readonly BacktestCustomer[],
  holdoutLength: number,
): BacktestReport {
  const week = UNIT_MS.week / UNIT_MS[fit.timeUnit];
  const weeks = Math.ceil(holdoutLength / week - 1e-9);
  const checkpoints = Array.from({ length: weeks }, (_, i) => Math.min((i + 1) * week, holdoutLength));
  // Expectations depend on the summary alone: computed once per distinct (x, t_x, T).
  const curves = new Map<string, Record<PurchaseModel, number[]>>();
  const curveOf = (summary: PurchaseSummary) => {
    const key = `${summary.frequency}|${summary.recency}|${summary.age}`;
    let curve = curves.get(key);
    if (!curve) {
      curve = byModel((model) =>
        checkpoints.map((t) => purchaseForecast(fit, model, summary, t).expectedPurchases),
      );
      curves.set(key, curve);
    }
    return curve;
  };

  const classes = Array.from({ length: OPEN_CLASS + 1 }, (_, i) => ({
    frequency: i === OPEN_CLASS ? `${OPEN_CLASS}+` : String(i),
    customers: 0,
    actual: 0,
    expected: byModel(() => 0),
  }));
  const cumulativeActual = new Array<number>(weeks).fill(0);
  const cumulativeExpected = byModel(() => new Array<number>(weeks).fill(0));
  const actualPurchases: number[] = [];
  const actualValues: number[] = [];
  const expectedPurchases = byModel(() => [] as number[]);
  const forecastValues = byModel(() => [] as number[]);

  for (const { summary, holdout } of customers) {
    const curve = curveOf(summary);
    const transactionValue = gammaGammaExpectedValue(fit.gammaGamma.params, summary);
    const frequencyClass = classes[Math.min(summary.frequency, OPEN_CLASS)]!;
    frequencyClass.customers++;
    frequencyClass.actual += holdout.purchases;
    actualPurchases.push(holdout.purchases);
    actualValues.push(holdout.value);
    for (const time of holdout.times) {
      for (let i = Math.max(0, Math.ceil(time / week - 1e-9) - 1); i < weeks; i++) cumulativeActual[i]!++;
    }
    for (const model of PURCHASE_MODELS) {
      const total = curve[model][weeks - 1] ?? 0;
      frequencyClass.expected[model] += total;
      expectedPurchases[model].push(total);
      forecastValues[model].push(total * transactionValue);
      curve[model].forEach((expected, i) => (cumulativeExpected[model][i]! += expected));
    }
  }

  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  return {
    customers: customers.length,
    holdoutLength,
    purchases: { actual: sum(actualPurchases), expected: byModel((model) => sum(expectedPurchases[model])) },
    byCalibrationFrequency: classes.map((c) => ({
      frequency: c.frequency,
      customers: c.customers,
      actual: c.customers > 0 ? c.actual / c.customers : 0,
      expected: byModel((model) => (c.customers > 0 ? c.expected[model] / c.customers : 0)),
    })),
    cumulative: checkpoints.map((t, i) => ({
      weeks: t / week,
      actual: cumulativeActual[i]!,
      expected: byModel((model) => cumulativeExpected[model][i]!),
    })),
    correlation: byModel((model) => correlation(expectedPurchases[model], actualPurchases)),
    value: {
      actual: sum(actualValues),
      forecast: byModel((model) => sum(forecastValues[model])),
      correlation: byModel((model) => correlation(forecastValues[model], actualValues)),
    },
  };
}
