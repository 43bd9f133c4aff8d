import { ConsentPurpose, SURVEY_SCALES, SurveyKind } from '../src/domain/customer-events';
import { unchangedBy } from '../src/domain/exhaustive';
import { convertAt, ExchangeRates } from '../src/domain/exchange-rates';
import { minorDigits, Money, principalCurrency } from '../src/domain/money';
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
  /**
   * Consent choices (a copy, see projections/consent.ts): no score is computed for an instant at which profiling
   * was withdrawn, also where every customer's facts are scanned (the loyalty analytics).
   */
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
      case 'CustomerRegistered':
      case 'ContactDetailsChanged':
      case 'ConsentGranted':
      case 'ConsentWithdrawn':
      case 'ProductBrowsed':
      case 'PurchaseCommitted':
      case 'CustomerContacted':
      case 'CustomerErased':
      case 'CustomerMerged':
      case 'CustomerMergedInto':
      case 'EventTracked':
        return doc;
      default:
        return unchangedBy(event, doc);
    }
  },
};

/** nps score/10, csat (score-1)/4, ces (7-score)/6: higher is more satisfied. */
export function normalise(kind: SurveyKind, score: number): number {
  const { min, max } = SURVEY_SCALES[kind];
  return kind === 'ces' ? (max - score) / (max - min) : (score - min) / (max - min);
}

const greatestCommonDivisor = (a: number, b: number): number =>
  b === 0 ? a : greatestCommonDivisor(b, a % b);

/**
 * Satisfaction counted in whole units: 1 is this many units (60: every scale's steps divide it). An answer's
 * units are an integer, so a mean over answers is one exact division whatever order they are summed in, and
 * the same from every read model that keeps them (the loyalty facts, a customer's month pages).
 */
export const SATISFACTION_UNITS = Object.values(SURVEY_SCALES).reduce(
  (units, { min, max }) => (units * (max - min)) / greatestCommonDivisor(units, max - min),
  1,
);

/** normalise(kind, score) in satisfaction units (an integer for an integer score). */
export function satisfactionUnits(kind: SurveyKind, score: number): number {
  return Math.round(normalise(kind, score) * SATISFACTION_UNITS);
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
    /** Purchases minus refunds in the window that the monetary component counts, in `monetaryBasis.currency`. */
    readonly netSpendInWindow: Money;
    readonly monetaryBasis: MonetaryBasis;
    readonly openComplaints: number;
    readonly complaintsFiledInWindow: number;
  };
  /** Ids of the events that entered the computation. */
  readonly contributingEvents: readonly string[];
}

/**
 * Which purchases the monetary component counts when a customer buys in several currencies (docs/api.md):
 * - `exchange-rates`: the operator gave a rate table; every purchase and refund in the window counts,
 *   converted to the ledger currency at the rate of its own day; one whose currency has no rate by then is
 *   left out, and listed.
 * - `principal-currency`: no rate table; the purchases and refunds in the customer's principal currency
 *   count (the one most purchases up to the instant were made in), the others are listed as left out. A sum
 *   over currencies without rates would be meaningless, and counting the ledger currency alone would score
 *   every customer who pays in another as a customer who spends nothing.
 */
export interface MonetaryBasis {
  readonly rule: 'exchange-rates' | 'principal-currency';
  /** The currency of netSpendInWindow. */
  readonly currency: string;
  /** Purchases and refunds in the window left out of netSpendInWindow, per currency. */
  readonly leftOut: readonly {
    readonly currency: string;
    readonly purchases: number;
    readonly refunds: number;
  }[];
}

const WINDOW_DAYS = 365;
/** The loyalty window in milliseconds: a fact counts from this long before the instant asked. */
export const LOYALTY_WINDOW_MS = WINDOW_DAYS * 86_400_000;

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
  exchangeRates?: ExchangeRates,
): LoyaltyScore | WithheldLoyalty {
  return (
    withheldLoyalty(facts?.consents, asOf, purposes) ??
    loyaltyScore(facts, asOf, ledgerCurrency, exchangeRates)
  );
}

/** Why there is no loyalty score as of an instant (consent to a purpose withdrawn then), or undefined. */
function withheldLoyalty(
  consents: ConsentHistory | undefined,
  asOf: string,
  purposes: readonly ConsentPurpose[],
): WithheldLoyalty | undefined {
  for (const purpose of purposes) {
    const since = withdrawnSince(consents, purpose, asOf);
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
  return undefined;
}

export function isWithheld(loyalty: LoyaltyScore | WithheldLoyalty): loyalty is WithheldLoyalty {
  return 'withheld' in loyalty;
}

/** Whether a fact at `at` lies in the loyalty window of `asOf`: at or before it, at most 365 days before. */
export function inLoyaltyWindow(at: string, asOf: string): boolean {
  return at <= asOf && daysBetween(at, asOf) <= WINDOW_DAYS;
}

/**
 * Everything the loyalty formula reads about a customer as of an instant: the facts of the window in full,
 * the rest as counts. Built from the loyalty facts (loyaltyScore) or from a customer's month pages and
 * totals (customer-figures.ts); both give the same score.
 */
export interface LoyaltyInputs {
  readonly asOf: string;
  /** The last purchase at or before asOf (maybe outside the window). */
  readonly lastPurchaseAt: string | null;
  readonly purchasesInWindow: readonly Purchase[];
  readonly refundsInWindow: readonly Refund[];
  /** Purchases at or before asOf per currency: the principal currency when there is no rate table. */
  readonly purchasesByCurrency: Readonly<Record<string, number>>;
  /** Survey answers at or before asOf and the sum of their satisfaction units (SATISFACTION_UNITS). */
  readonly surveys: { readonly answers: number; readonly units: number };
  /** Complaints filed at or before asOf and not resolved by then. */
  readonly openComplaints: number;
  readonly complaintsFiledInWindow: number;
}

/**
 * The default loyalty formula (docs/api.md, "Loyalty") as of instant `asOf` (ISO); only facts that occurred at or
 * before it count, and windows are the 365 days before it. Net spend in several currencies: see MonetaryBasis.
 */
export function loyaltyScore(
  facts: LoyaltyFacts | null,
  asOf: string,
  ledgerCurrency: string,
  exchangeRates?: ExchangeRates,
): LoyaltyScore {
  const inWindow = <T extends DatedFact>(list: readonly T[] | undefined) =>
    (list ?? []).filter((fact) => inLoyaltyWindow(fact.at, asOf));
  const purchases = inWindow(facts?.purchases);
  const refunds = inWindow(facts?.refunds);
  const surveys = (facts?.surveys ?? []).filter((survey) => survey.at <= asOf);
  const complaints = (facts?.complaints ?? []).filter((complaint) => complaint.at <= asOf);
  const open = complaints.filter((complaint) => !complaint.resolvedAt || complaint.resolvedAt > asOf);
  const filedInWindow = inWindow(complaints);

  const purchasesByCurrency: Record<string, number> = {};
  let lastPurchase: Purchase | null = null;
  for (const purchase of facts?.purchases ?? []) {
    if (purchase.at > asOf) continue;
    purchasesByCurrency[purchase.total.currency] = (purchasesByCurrency[purchase.total.currency] ?? 0) + 1;
    if (lastPurchase === null || purchase.at > lastPurchase.at) lastPurchase = purchase;
  }
  const { countedRefunds, ...score } = loyaltyOf(
    {
      asOf,
      lastPurchaseAt: lastPurchase?.at ?? null,
      purchasesInWindow: purchases,
      refundsInWindow: refunds,
      purchasesByCurrency,
      surveys: {
        answers: surveys.length,
        units: surveys.reduce((sum, s) => sum + Math.round(s.satisfaction * SATISFACTION_UNITS), 0),
      },
      openComplaints: open.length,
      complaintsFiledInWindow: filedInWindow.length,
    },
    ledgerCurrency,
    exchangeRates,
  );
  return {
    ...score,
    // Recency reads the last purchase even when it lies outside the window; a complaint counts while open
    // or when filed in the window; only the refunds counted in the net spend contribute.
    contributingEvents: [
      ...(lastPurchase && !purchases.includes(lastPurchase) ? [lastPurchase] : []),
      ...purchases,
      ...countedRefunds,
      ...surveys,
      ...complaints.filter((complaint) => open.includes(complaint) || filedInWindow.includes(complaint)),
    ].map((fact) => fact.eventId),
  };
}

/** The loyalty score from its inputs, with the refunds the net spend counted (its contributing refunds). */
export function loyaltyOf(
  inputs: LoyaltyInputs,
  ledgerCurrency: string,
  exchangeRates?: ExchangeRates,
): Omit<LoyaltyScore, 'contributingEvents'> & { readonly countedRefunds: readonly Refund[] } {
  const { asOf, purchasesInWindow: purchases, surveys } = inputs;
  const daysSinceLastPurchase =
    inputs.lastPurchaseAt === null ? null : daysBetween(inputs.lastPurchaseAt, asOf);
  const recency = daysSinceLastPurchase === null ? 0 : 0.5 ** (daysSinceLastPurchase / 90);
  const frequency = Math.min(1, Math.log(1 + purchases.length) / Math.log(13));
  const spend = netSpend(inputs, ledgerCurrency, exchangeRates);
  const netMajor = spend.netMinor / 10 ** minorDigits(spend.basis.currency);
  const monetary = Math.min(1, Math.log(1 + Math.max(0, netMajor)) / Math.log(1001));
  const satisfaction = surveys.answers === 0 ? 0.5 : surveys.units / (SATISFACTION_UNITS * surveys.answers);
  const penalty = Math.min(30, 10 * inputs.openComplaints) + Math.min(10, 2 * inputs.complaintsFiledInWindow);
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
      netSpendInWindow: { amountMinor: spend.netMinor, currency: spend.basis.currency },
      monetaryBasis: spend.basis,
      openComplaints: inputs.openComplaints,
      complaintsFiledInWindow: inputs.complaintsFiledInWindow,
    },
    countedRefunds: spend.countedRefunds,
  };
}

/**
 * The loyalty score from its inputs as loyaltyAsOf answers it: none while profiling consent is withdrawn at
 * asOf (by the customer's consent history).
 */
export function loyaltyOfInputsAsOf(
  inputs: LoyaltyInputs,
  consents: ConsentHistory | undefined,
  ledgerCurrency: string,
  exchangeRates?: ExchangeRates,
): Pick<LoyaltyScore, 'score' | 'tier' | 'components'> | WithheldLoyalty {
  const withheld = withheldLoyalty(consents, inputs.asOf, ['profiling']);
  if (withheld) return withheld;
  const { score, tier, components } = loyaltyOf(inputs, ledgerCurrency, exchangeRates);
  return { score, tier, components };
}

type Purchase = LoyaltyFacts['purchases'][number];
type Refund = LoyaltyFacts['refunds'][number];

/** The net spend the monetary component reads, the rule that chose it, and the refunds it counted. */
function netSpend(
  { purchasesInWindow: purchases, refundsInWindow: refunds, purchasesByCurrency }: LoyaltyInputs,
  ledgerCurrency: string,
  exchangeRates: ExchangeRates | undefined,
): { netMinor: number; basis: MonetaryBasis; countedRefunds: readonly Refund[] } {
  let inCurrency: (amount: Money, at: string) => number | undefined;
  let basis: Omit<MonetaryBasis, 'leftOut'>;
  if (exchangeRates) {
    inCurrency = (amount, at) => convertAt(amount, at, ledgerCurrency, exchangeRates);
    basis = { rule: 'exchange-rates', currency: ledgerCurrency };
  } else {
    const currency = principalCurrency(purchasesByCurrency, ledgerCurrency);
    inCurrency = (amount) => (amount.currency === currency ? amount.amountMinor : undefined);
    basis = { rule: 'principal-currency', currency };
  }
  let netMinor = 0;
  const leftOut = new Map<string, { currency: string; purchases: number; refunds: number }>();
  const leaveOut = (currency: string) =>
    leftOut.get(currency) ?? leftOut.set(currency, { currency, purchases: 0, refunds: 0 }).get(currency)!;
  for (const purchase of purchases) {
    const minor = inCurrency(purchase.total, purchase.at);
    if (minor === undefined) leaveOut(purchase.total.currency).purchases++;
    else netMinor += minor;
  }
  const countedRefunds: Refund[] = [];
  for (const refund of refunds) {
    const minor = inCurrency(refund.amount, refund.at);
    if (minor === undefined) leaveOut(refund.amount.currency).refunds++;
    else {
      netMinor -= minor;
      countedRefunds.push(refund);
    }
  }
  const sortedLeftOut = [...leftOut.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
  return { netMinor, basis: { ...basis, leftOut: sortedLeftOut }, countedRefunds };
}
