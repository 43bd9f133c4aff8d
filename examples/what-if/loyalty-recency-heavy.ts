/**
 * What if recency weighed twice as much in the loyalty score? Run:
 *   npm run ledger -- what-if examples/what-if/loyalty-recency-heavy.ts
 * It folds the live loyalty facts projection over all history and compares each customer's tier under
 * this formula with the tier under the default one.
 */
import { LoyaltyFacts, loyaltyProjection, loyaltyScore } from '../../projections/loyalty.projection';
import { Projection } from '../../projections/projection';
import { WhatIfContext } from '../../src/interfaces/cli/what-if';

export const projection = loyaltyProjection as Projection<object>;

export function label(doc: object, { asOf, ledgerCurrency }: WhatIfContext): string {
  const { components } = loyaltyScore(doc as LoyaltyFacts, asOf, ledgerCurrency);
  const raw = Math.round(
    100 *
      (0.55 * components.recency +
        0.15 * components.frequency +
        0.15 * components.monetary +
        0.15 * components.satisfaction),
  );
  const score = Math.max(0, Math.min(100, raw - components.penalty));
  return score < 40 ? 'bronze' : score < 70 ? 'silver' : 'gold';
}

export function liveLabel(doc: object, { asOf, ledgerCurrency }: WhatIfContext): string {
  return loyaltyScore(doc as LoyaltyFacts, asOf, ledgerCurrency).tier;
}
