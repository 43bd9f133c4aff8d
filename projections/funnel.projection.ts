import { ConsentHistory, withConsentChange } from './consent';
import { unchangedBy } from '../src/domain/exhaustive';
import { funnelDaysFigure, funnelMonthsFigure } from './funnel-cohort.figure';
import { alreadyFolded, daysBetween, PositionedDoc, Projection } from './projection';

import { FUNNEL_STAGES, FunnelStage } from './funnel-stages';

export { FUNNEL_STAGES, type FunnelStage } from './funnel-stages';

/**
 * When a customer first reached each funnel stage (by occurredAt; events may arrive out of order). A
 * purchase implies commitment: real data has purchases without a cart event. `advocate` holds while the
 * customer is a repeat buyer whose latest NPS answer is 9 or 10.
 */
export interface FunnelPosition extends PositionedDoc {
  readonly customerId: string;
  readonly firstSeenAt: string;
  readonly firstCommitAt?: string;
  /** The two earliest purchases. */
  readonly earliestPurchases: readonly string[];
  readonly latestNps?: { readonly score: number; readonly at: string };
  readonly stage: FunnelStage;
  readonly reachedAt: Partial<Record<FunnelStage, string>>;
  /**
   * Consent choices: the source of the consent query (ReadModels.consentGiven, see projections/consent.ts),
   * and what the funnel-cohort figure and the cohort report leave customers out by.
   */
  readonly consents?: ConsentHistory;
}

export const funnelProjection: Projection<FunnelPosition> = {
  name: 'funnel',
  // 3: the funnel of each first-seen day and month is kept with the documents.
  version: 3,
  indexes: [[['firstSeenAt', 1]]],
  figures: [funnelMonthsFigure, funnelDaysFigure],
  documentId: (event) => event.customerId,
  evolve: (previous, event) => {
    if (alreadyFolded(previous, event)) return previous;
    const base = previous ?? {
      customerId: event.customerId,
      position: 0,
      firstSeenAt: event.occurredAt,
      earliestPurchases: [],
      stage: 'browsing' as FunnelStage,
      reachedAt: {},
    };
    let doc: FunnelPosition = {
      ...base,
      position: event.position,
      firstSeenAt: event.occurredAt < base.firstSeenAt ? event.occurredAt : base.firstSeenAt,
      consents: withConsentChange(base.consents, event),
    };
    switch (event.type) {
      case 'PurchaseCommitted':
        doc = { ...doc, firstCommitAt: earliest(doc.firstCommitAt, event.occurredAt) };
        break;
      case 'PurchaseCompleted':
        doc = { ...doc, earliestPurchases: [...doc.earliestPurchases, event.occurredAt].sort().slice(0, 2) };
        break;
      case 'SurveyAnswered':
        if (event.data.kind === 'nps' && (!doc.latestNps || event.occurredAt >= doc.latestNps.at)) {
          doc = { ...doc, latestNps: { score: event.data.score, at: event.occurredAt } };
        }
        break;
      case 'CustomerRegistered':
      case 'ContactDetailsChanged':
      case 'ConsentGranted':
      case 'ConsentWithdrawn':
      case 'ProductBrowsed':
      case 'PurchaseRefunded':
      case 'ComplaintFiled':
      case 'ComplaintResolved':
      case 'CustomerContacted':
      case 'CustomerErased':
      case 'CustomerMerged':
      case 'CustomerMergedInto':
      case 'EventTracked':
        break;
      default:
        doc = unchangedBy(event, doc);
    }
    return withStage(doc);
  },
};

function withStage(doc: FunnelPosition): FunnelPosition {
  const [firstPurchase, secondPurchase] = doc.earliestPurchases;
  const committed = earliest(doc.firstCommitAt, firstPurchase);
  const advocate =
    secondPurchase && doc.latestNps && doc.latestNps.score >= 9
      ? latest(secondPurchase, doc.latestNps.at)
      : undefined;
  const reachedAt: Partial<Record<FunnelStage, string>> = {
    browsing: doc.firstSeenAt,
    ...(committed && { committed }),
    ...(firstPurchase && { purchased: firstPurchase }),
    ...(secondPurchase && { repeat: secondPurchase }),
    ...(advocate && { advocate }),
  };
  const stage =
    [...FUNNEL_STAGES].reverse().find((candidate) => reachedAt[candidate] !== undefined) ?? 'browsing';
  return { ...doc, reachedAt, stage };
}

function earliest(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a < b ? a : b;
}

function latest(a: string, b: string): string {
  return a > b ? a : b;
}

export interface FunnelReport {
  readonly cohort: {
    readonly firstSeenFrom?: string;
    readonly firstSeenTo?: string;
    readonly customers: number;
  };
  readonly stages: readonly {
    readonly stage: FunnelStage;
    /** Customers that reached this stage or a later one. */
    readonly customers: number;
    /** Share of the previous stage's customers that reached this one (null for the first stage). */
    readonly conversionFromPrevious: number | null;
    /** Median days from reaching the previous stage to reaching this one. */
    readonly medianDaysFromPrevious: number | null;
  }[];
}

/** Funnel analytics over the customers of a first-seen cohort (the caller selects them). */
export function funnelReport(
  positions: Iterable<FunnelPosition>,
  cohort: { firstSeenFrom?: string; firstSeenTo?: string } = {},
): FunnelReport {
  const reached = FUNNEL_STAGES.map(() => 0);
  const gaps: number[][] = FUNNEL_STAGES.map(() => []);
  let customers = 0;
  for (const position of positions) {
    customers++;
    FUNNEL_STAGES.forEach((stage, index) => {
      const at = position.reachedAt[stage];
      if (at === undefined) return;
      reached[index]!++;
      const previousAt = index > 0 ? position.reachedAt[FUNNEL_STAGES[index - 1]!] : undefined;
      if (previousAt !== undefined) gaps[index]!.push(Math.max(0, daysBetween(previousAt, at)));
    });
  }
  return {
    cohort: { ...cohort, customers },
    stages: FUNNEL_STAGES.map((stage, index) => ({
      stage,
      customers: reached[index]!,
      conversionFromPrevious:
        index === 0 ? null : reached[index - 1]! === 0 ? null : reached[index]! / reached[index - 1]!,
      medianDaysFromPrevious: index === 0 ? null : median(gaps[index]!),
    })),
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
