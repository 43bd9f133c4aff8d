import { AssociationRule } from './association-rules';
import { CustomerBaseFit, evenSample, forecastCustomer } from './customer-forecast';
import { customerOutlook, likelyNextProducts, rhythmReason, spanInWords } from './customer-outlook';
import { paretoNbdExpectedPurchases } from './pareto-nbd';
import { UNIT_MS } from './purchase-summary';

const WEEK = UNIT_MS.week;
const DAY = UNIT_MS.day;

/** The published CDNOW fits (Fader, Hardie & Lee 2005; Fader & Hardie 2013), in weeks. */
const CDNOW_FIT: CustomerBaseFit = {
  asOf: '1997-09-30T00:00:00.000Z',
  timeUnit: 'week',
  bgNbd: {
    params: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    logLikelihood: 0,
    customers: 2357,
    converged: true,
  },
  paretoNbd: {
    params: { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 },
    logLikelihood: 0,
    customers: 2357,
    converged: true,
  },
  gammaGamma: {
    params: { p: 6.25, q: 3.74, gamma: 15.44 },
    logLikelihood: 0,
    customers: 946,
    converged: true,
  },
};

const rule = (
  antecedent: string[],
  consequent: string[],
  confidence: number,
  lift: number,
): AssociationRule => ({
  antecedent,
  consequent,
  baskets: 10,
  support: 0.01,
  confidence,
  lift,
});

describe('the rep outlook', () => {
  it('explains the probability alive by the rhythm and the absence', () => {
    // Six purchases five weeks apart, the last 19 weeks ago.
    expect(rhythmReason({ frequency: 5, recency: 25, age: 44, meanRepeatValue: 20 }, WEEK)).toBe(
      'bought every 5 weeks; last purchase 19 weeks ago',
    );
    expect(rhythmReason({ frequency: 0, recency: 0, age: 3, meanRepeatValue: 0 }, WEEK)).toBe(
      'one purchase, 3 weeks ago; no repeat purchase yet to set a rhythm',
    );
    expect(rhythmReason({ frequency: 2, recency: 10, age: 12, meanRepeatValue: 9 }, DAY)).toBe(
      'bought every 5 days; last purchase 2 days ago',
    );
    expect([
      spanInWords(1 * DAY),
      spanInWords(20 * DAY),
      spanInWords(21 * DAY),
      spanInWords(800 * DAY),
    ]).toEqual(['1 day', '20 days', '3 weeks', '2 years']);
  });

  it('scores with Pareto/NBD: a regular buyer is likelier alive than one gone quiet, and the value says how it was reached', () => {
    const regular = customerOutlook(
      CDNOW_FIT,
      { frequency: 5, recency: 25, age: 27, meanRepeatValue: 30 },
      '1997-09-30T00:00:00.000Z',
      'USD',
      [],
    );
    const quiet = customerOutlook(
      CDNOW_FIT,
      { frequency: 5, recency: 25, age: 44, meanRepeatValue: 30 },
      '1997-09-30T00:00:00.000Z',
      'USD',
      [],
    );
    expect(regular.model).toBe('pareto-nbd');
    expect(regular.fittedAsOf).toBe(CDNOW_FIT.asOf);
    expect(regular.pAlive.probability).toBeGreaterThan(quiet.pAlive.probability);
    expect(quiet.pAlive.reason).toBe('bought every 5 weeks; last purchase 19 weeks ago');
    expect(regular.expectedValue.amount).toBeGreaterThan(quiet.expectedValue.amount);
    // Gamma-Gamma: (p (gamma + x m)) / (p x + q - 1) = 6.25 (15.44 + 150) / (31.25 + 2.74) = 30.42.
    expect(regular.expectedValue.reason).toMatch(
      /^\d+\.\d purchases expected in the next year at about 30\.42 USD each \(their own 30\.00 USD a repeat purchase, weighed with everyone's 35\.22 USD\)$/,
    );
    expect(regular.expectedValue.purchases.toFixed(1)).toBe(regular.expectedValue.reason.slice(0, 3));
  });

  it('forecasts Pareto/NBD with P(alive) taken once exactly as the expectation per step would', () => {
    const summary = { frequency: 3, recency: 20, age: 30, meanRepeatValue: 25 };
    const settings = { model: 'pareto-nbd' as const, horizon: 52, annualDiscountRate: 0.1 };
    const forecast = forecastCustomer(CDNOW_FIT, summary, settings);
    const perWeek = Math.pow(1.1, WEEK / (365.25 * DAY));
    let discounted = 0;
    for (let week = 1; week <= 52; week++) {
      const purchases =
        paretoNbdExpectedPurchases(CDNOW_FIT.paretoNbd.params, summary, week) -
        paretoNbdExpectedPurchases(CDNOW_FIT.paretoNbd.params, summary, week - 1);
      discounted += purchases / Math.pow(perWeek, week);
    }
    expect(forecast.expectedValue).toBeCloseTo(discounted * forecast.expectedTransactionValue, 9);
  });

  it('fits on an evenly spread sample beyond the sample size', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(evenSample(items, 20)).toBe(items);
    expect(evenSample(items, 4)).toEqual([0, 2, 5, 7]);
  });
});

describe('likely next products', () => {
  const asOf = '2011-12-01T12:00:00.000Z';

  it('offers what the customer bought at this time of year before, most years first', () => {
    const own = [
      { at: '2010-11-20T10:00:00Z', skus: ['LIGHTS', 'CARD'] },
      { at: '2009-12-10T10:00:00Z', skus: ['LIGHTS'] },
      { at: '2011-06-01T10:00:00Z', skus: ['PARASOL'] },
      // Within the season's days, but this year: a recent purchase, not "this time of year before".
      { at: '2011-11-25T10:00:00Z', skus: ['MUG'] },
    ];
    expect(likelyNextProducts(own, [], asOf)).toEqual([
      {
        sku: 'LIGHTS',
        basis: 'season',
        reason: 'bought at this time of year before: December 2009, November 2010',
      },
      { sku: 'CARD', basis: 'season', reason: 'bought at this time of year before: November 2010' },
    ]);
  });

  it('adds what the rules say goes with what they bought, among products they have not bought', () => {
    const own = [
      { at: '2011-10-02T10:00:00Z', skus: ['TEAPOT', 'CUP'] },
      { at: '2011-11-02T10:00:00Z', skus: ['SAUCER'] },
    ];
    const rules = [
      rule(['TEAPOT'], ['SAUCER'], 0.9, 5), // already bought
      rule(['KETTLE'], ['TEA'], 0.8, 4), // antecedent not bought
      rule(['TEAPOT', 'CUP'], ['TRAY'], 0.42, 5.1),
      rule(['CUP'], ['SPOON'], 0.6, 2.04),
      rule(['CUP'], ['SPOON', 'TRAY'], 0.7, 3), // two consequents: not a single product
    ];
    expect(likelyNextProducts(own, rules, asOf)).toEqual([
      {
        sku: 'SPOON',
        basis: 'bought-together',
        reason: 'in 60 % of baskets with CUP, 2.0× chance; they bought CUP (2011-10-02)',
      },
      {
        sku: 'TRAY',
        basis: 'bought-together',
        reason:
          'in 42 % of baskets with TEAPOT and CUP, 5.1× chance; they bought TEAPOT (2011-10-02) and CUP (2011-10-02)',
      },
    ]);
    expect(likelyNextProducts(own, rules, asOf, 1)).toHaveLength(1);
    // Purchases after the instant are not known at it.
    expect(likelyNextProducts(own, rules, '2011-10-01T00:00:00.000Z')).toEqual([]);
  });
});
