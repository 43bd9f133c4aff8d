import { ConsentPurpose, SURVEY_SCALES, SurveyKind } from '../src/domain/customer-events';
import { minorDigits, Money } from '../src/domain/money';
import { ConsentHistory, withConsentChange, withdrawnSince } from './consent';
import { alreadyFolded, daysBetween, PositionedDoc, Projection } from './projection';

interface DatedFact {
  readonly eventId: string;
  readonly at: string;
}

/**
 * The stored components of a customer's loyalty: every dated fact the formula reads. The score itself is
 * computed at query time (`loyaltyScore`), so it can be asked as of any instant and replays deterministically.
 */
export interface LoyaltyFacts extends PositionedDoc {
  readonly customerId: string;
  readonly purchases: readonly (DatedFact & { readonly total: Money })[];
  readonly refunds: readonly (DatedFact & { readonly amount: Money })[];
  /** Survey answers normalised to [0, 1]. */
  readonly surveys: readonly (DatedFact & { readonly satisfaction: number })[];
  readonly complaints: readonly (DatedFact & {
    readonly complaintId: string;
    readonly resolvedAt?: string;
  })[];
  /** Consent choices: no score is computed for an instant at which profiling was withdrawn. */
  readonly consents?: ConsentHistory;
}

export const loyaltyProjection: Projection<LoyaltyFacts> = {
  name: 'loyalty',
  version: 2,
  indexes: [],
  documentId: (event) => event.customerId,
  evolve: (previous, event) => {
    if (alreadyFolded(previous, event)) return previous;
    const doc: LoyaltyFacts = {
      ...(previous ?? {
        customerId: event.customerId,
        purchases: [],
        refunds: [],
        surveys: [],
        complaints: [],
      }),
      position: event.position,
      consents: withConsentChange(previous?.consents, event),
    };
    const fact = { eventId: event.eventId, at: event.occurredAt };
    switch (event.type) {
      case 'PurchaseCompleted':
        return { ...doc, purchases: [...doc.purchases, { ...fact, total: event.data.total }] };
      case 'PurchaseRefunded':
        return { ...doc, refunds: [...doc.refunds, { ...fact, amount: event.data.amount }] };
      case 'SurveyAnswered':
        return {
          ...doc,
          surveys: [...doc.surveys, { ...fact, satisfaction: normalise(event.data.kind, event.data.score) }],
        };
      case 'ComplaintFiled':
        return { ...doc, complaints: [...doc.complaints, { ...fact, complaintId: event.data.complaintId }] };
      case 'ComplaintResolved':
        return {
          ...doc,
          complaints: doc.complaints.map((complaint) =>
            complaint.complaintId === event.data.complaintId
              ? { ...complaint, resolvedAt: event.occurredAt }
              : complaint,
          ),
        };
      default:
        return doc;
    }
  },
};

/** nps score/10, csat (score-1)/4, ces (7-score)/6: higher is more satisfied. */
export function normalise(kind: SurveyKind, score: number): number {
  const { min, max } = SURVEY_SCALES[kind];
  return kind === 'ces' ? (max - score) / (max - min) : (score - min) / (max - min);
}

export type LoyaltyTier = 'bronze' | 'silver' | 'gold';

export interface LoyaltyScore {
  readonly score: number;
  readonly tier: LoyaltyTier;
  readonly asOf: string;
  readonly components: {
    readonly recency: number;
    readonly frequency: number;
    readonly monetary: number;
    readonly satisfaction: number;
    readonly penalty: number;
    readonly daysSinceLastPurchase: number | null;
    readonly purchasesInWindow: number;
    readonly netSpendInWindow: Money;
    readonly openComplaints: number;
    readonly complaintsFiledInWindow: number;
  };
  /** Ids of the events that entered the computation. */
  readonly contributingEvents: readonly string[];
}

const WINDOW_DAYS = 365;

/** What a loyalty question answers while the customer's profiling consent is withdrawn: why there is no score. */
export interface WithheldLoyalty {
  readonly score: null;
  readonly tier: null;
  readonly asOf: string;
  readonly withheld: { readonly purpose: ConsentPurpose; readonly since: string; readonly reason: string };
}

/**
 * The loyalty score as of an instant, unless consent to profiling (or to another purpose the reader's use
 * needs, such as analytics) was withdrawn at that instant: then why there is none.
 */
export function loyaltyAsOf(
  facts: LoyaltyFacts | null,
  asOf: string,
  ledgerCurrency: string,
  purposes: readonly ConsentPurpose[] = ['profiling'],
): LoyaltyScore | WithheldLoyalty {
  for (const purpose of purposes) {
    const since = withdrawnSince(facts?.consents, purpose, asOf);
    if (since === undefined) continue;
    return {
      score: null,
      tier: null,
      asOf,
      withheld: {
        purpose,
        since,
        reason: `the customer withdrew consent to ${purpose} on ${since}: no loyalty score or tier is computed`,
      },
    };
  }
  return loyaltyScore(facts, asOf, ledgerCurrency);
}

export function isWithheld(loyalty: LoyaltyScore | WithheldLoyalty): loyalty is WithheldLoyalty {
  return 'withheld' in loyalty;
}

/**
 * The default loyalty formula of DESIGN.md as of instant `asOf` (ISO); only facts that occurred at or
 * before it count, and windows are the 365 days before it. Net spend counts the ledger currency only.
 */
export function loyaltyScore(facts: LoyaltyFacts | null, asOf: string, ledgerCurrency: string): LoyaltyScore {
  const inWindow = <T extends DatedFact>(list: readonly T[] | undefined) =>
    (list ?? []).filter((fact) => fact.at <= asOf && daysBetween(fact.at, asOf) <= WINDOW_DAYS);
  const purchases = inWindow(facts?.purchases);
  const refunds = inWindow(facts?.refunds);
  const surveys = (facts?.surveys ?? []).filter((survey) => survey.at <= asOf);
  const complaints = (facts?.complaints ?? []).filter((complaint) => complaint.at <= asOf);
  const open = complaints.filter((complaint) => !complaint.resolvedAt || complaint.resolvedAt > asOf);
  const filedInWindow = inWindow(complaints);

  const lastPurchase = (facts?.purchases ?? [])
    .filter((p) => p.at <= asOf)
    .reduce<LoyaltyFacts['purchases'][number] | null>(
      (last, p) => (last === null || p.at > last.at ? p : last),
      null,
    );
  const daysSinceLastPurchase = lastPurchase === null ? null : daysBetween(lastPurchase.at, asOf);
  const recency = daysSinceLastPurchase === null ? 0 : 0.5 ** (daysSinceLastPurchase / 90);
  const frequency = Math.min(1, Math.log(1 + purchases.length) / Math.log(13));
  const netMinor =
    purchases
      .filter((p) => p.total.currency === ledgerCurrency)
      .reduce((sum, p) => sum + p.total.amountMinor, 0) -
    refunds
      .filter((r) => r.amount.currency === ledgerCurrency)
      .reduce((sum, r) => sum + r.amount.amountMinor, 0);
  const netMajor = netMinor / 10 ** minorDigits(ledgerCurrency);
  const monetary = Math.min(1, Math.log(1 + Math.max(0, netMajor)) / Math.log(1001));
  const satisfaction =
    surveys.length === 0 ? 0.5 : surveys.reduce((sum, s) => sum + s.satisfaction, 0) / surveys.length;
  const penalty = Math.min(30, 10 * open.length) + Math.min(10, 2 * filedInWindow.length);
  const raw = Math.round(100 * (0.35 * recency + 0.25 * frequency + 0.25 * monetary + 0.15 * satisfaction));
  const score = Math.max(0, Math.min(100, raw - penalty));
  return {
    score,
    tier: score < 40 ? 'bronze' : score < 70 ? 'silver' : 'gold',
    asOf,
    components: {
      recency,
      frequency,
      monetary,
      satisfaction,
      penalty,
      daysSinceLastPurchase,
      purchasesInWindow: purchases.length,
      netSpendInWindow: { amountMinor: netMinor, currency: ledgerCurrency },
      openComplaints: open.length,
      complaintsFiledInWindow: filedInWindow.length,
    },
    // Recency reads the last purchase even when it lies outside the window; a complaint counts while open
    // or when filed in the window; only refunds in the ledger currency enter the net spend.
    contributingEvents: [
      ...(lastPurchase && !purchases.includes(lastPurchase) ? [lastPurchase] : []),
      ...purchases,
      ...refunds.filter((r) => r.amount.currency === ledgerCurrency),
      ...surveys,
      ...complaints.filter((complaint) => open.includes(complaint) || filedInWindow.includes(complaint)),
    ].map((fact) => fact.eventId),
  };
}
