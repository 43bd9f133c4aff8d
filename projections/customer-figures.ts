import { toDecimal } from '../src/domain/money';
import { PurchaseSummary, TimeUnit, UNIT_MS } from '../src/domain/predictions/purchase-summary';
import { Counters } from './population-figure';
import { dayOf, MonthPage, monthOf } from './customer-pages.projection';
import { inLoyaltyWindow, LoyaltyInputs, LOYALTY_WINDOW_MS } from './loyalty.projection';
import { rfmCurrency, RfmMeasures } from './rfm-scoring';

/**
 * What a question about one customer as of an instant reads from the customer pages (customer-pages.projection.ts):
 * the customer's month totals, the month pages the instant needs (monthsToRead) and the complaint instants of
 * the months it needs (complaintMonthsToRead). The cost is the customer's number of months plus a few small
 * pages, whatever the number of purchases.
 */
export interface CustomerFigures {
  readonly customerId: string;
  /** The instant the figures were read for: the latest one they answer, later months are not read. */
  readonly asOf: string;
  /** The currency whose purchases the customer-base models read (purchaseSummary), if any was asked. */
  readonly modelCurrency?: string;
  /** The customer-totals bucket read month by month up to asOf (customerMonths). */
  readonly months: CustomerMonths;
  /** Month pages by month, for each month of monthsToRead (undefined: no page). */
  readonly pages: ReadonlyMap<string, MonthPage | undefined>;
  /** complaint-instants buckets by month, for each month of complaintMonthsToRead (undefined: none). */
  readonly complaintInstants: ReadonlyMap<string, Counters | undefined>;
}

/** One month of the totals. */
export interface MonthTotals {
  readonly purchases: Map<string, number>;
  readonly spend: Map<string, number>;
  readonly refunded: Map<string, number>;
  /** UTC days with a purchase, per currency. */
  readonly purchaseDays: Map<string, number>;
  /** Instant (ms) of the month's last purchase. */
  last: number;
  surveys: number;
  units: number;
  filed: number;
  closed: number;
}

const emptyMonth = (): MonthTotals => ({
  purchases: new Map(),
  spend: new Map(),
  refunded: new Map(),
  purchaseDays: new Map(),
  last: 0,
  surveys: 0,
  units: 0,
  filed: 0,
  closed: 0,
});

/** A customer's totals month by month, months in order. */
export type CustomerMonths = ReadonlyMap<string, MonthTotals>;

/**
 * The customer-totals bucket's counters (undefined: a customer without purchases, surveys or complaints) read
 * month by month up to the month of `asOf`: a question as of an instant never needs a later month, however far
 * the customer's facts reach.
 */
export function customerMonths(totals: Counters | undefined, asOf: string): CustomerMonths {
  const through = monthOf(asOf);
  const months = new Map<string, MonthTotals>();
  for (const name in totals) {
    // Counter names are `<measure>:<YYYY-MM>[:<currency>]`.
    const colon = name.indexOf(':');
    const month = name.slice(colon + 1, colon + 8);
    if (month > through) continue;
    const measure = name.slice(0, colon);
    const currency = name.slice(colon + 9);
    const value = totals[name]!;
    const totalsOf = months.get(month) ?? months.set(month, emptyMonth()).get(month)!;
    const addTo = (map: Map<string, number>) => map.set(currency, (map.get(currency) ?? 0) + value);
    if (measure === 'p') addTo(totalsOf.purchases);
    else if (measure === 's') addTo(totalsOf.spend);
    else if (measure === 'r') addTo(totalsOf.refunded);
    else if (measure === 'd') addTo(totalsOf.purchaseDays);
    else if (measure === 'l') totalsOf.last = value;
    else if (measure === 'n') totalsOf.surveys = value;
    else if (measure === 'u') totalsOf.units = value;
    else if (measure === 'cf') totalsOf.filed = value;
    else if (measure === 'cc') totalsOf.closed = value;
  }
  return new Map([...months].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Whether a month has facts on its page (purchases, refunds or survey answers), not only complaints. */
const onPages = (month: MonthTotals | undefined) =>
  month !== undefined && (month.purchases.size > 0 || month.refunded.size > 0 || month.surveys > 0);

/** The last instant of a month (`YYYY-MM`): every instant in the month is at or before it. */
function monthEnd(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, monthNumber, 1) - 1).toISOString();
}

/** The start of the loyalty window of an instant: facts at or after it (and at or before the instant) count. */
const windowStart = (asOf: string) => Date.parse(asOf) - LOYALTY_WINDOW_MS;

/** Every month from the one `from` lies in to the one `to` lies in. */
function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  const start = new Date(from);
  for (let year = start.getUTCFullYear(), month = start.getUTCMonth(); ; month++) {
    const label = new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 7);
    if (label > monthOf(to)) return months;
    months.push(label);
  }
}

/**
 * The month pages a question as of `asOf` reads (loyalty, segment and since when): the pages of the loyalty
 * window that hold anything, and the page of the first purchase (its exact instant). With `modelCurrency`,
 * also the pages of the first purchase in that currency and of the last one before asOf's month (the first
 * and last transaction days of purchaseSummary).
 */
export function monthsToRead(months: CustomerMonths, asOf: string, modelCurrency?: string): string[] {
  const needed = new Set(
    monthsBetween(new Date(windowStart(asOf)).toISOString(), asOf).filter((month) =>
      onPages(months.get(month)),
    ),
  );
  const withPurchases = (currency?: string) =>
    [...months.keys()].filter((month) => {
      const { purchases } = months.get(month)!;
      return currency === undefined ? purchases.size > 0 : purchases.has(currency);
    });
  const firstPurchase = withPurchases()[0];
  if (firstPurchase !== undefined) needed.add(firstPurchase);
  if (modelCurrency !== undefined) {
    const inCurrency = withPurchases(modelCurrency);
    const lastBefore = inCurrency.filter((month) => month < monthOf(asOf)).pop();
    for (const month of [inCurrency[0], lastBefore]) if (month !== undefined) needed.add(month);
  }
  return [...needed].sort();
}

/** The months whose complaint instants a question as of `asOf` reads: its own and the loyalty window's start. */
export function complaintMonthsToRead(asOf: string): string[] {
  const start = monthOf(new Date(windowStart(asOf)).toISOString());
  return start === monthOf(asOf) ? [start] : [start, monthOf(asOf)];
}

/** Running totals up to and including each month, in month order. */
interface Running {
  readonly month: string;
  readonly purchases: ReadonlyMap<string, number>;
  /** Spend net of refunds, per currency. */
  readonly net: ReadonlyMap<string, number>;
  /** Spend and days with a purchase, per currency. */
  readonly spend: ReadonlyMap<string, number>;
  readonly purchaseDays: ReadonlyMap<string, number>;
  /** Instant of the last purchase up to this month, if any. */
  readonly last: number | undefined;
  readonly surveys: number;
  readonly units: number;
  readonly filed: number;
  readonly closed: number;
}

/**
 * A customer's figures at any instant: the sum of the months before the instant's month plus, within that
 * month, the facts on its page up to the instant (a month end needs no page). Built once per read.
 */
export class CustomerFiguresOverTime {
  private readonly running: Running[] = [];
  private readonly months: CustomerMonths;
  private readonly firstPurchaseAt: string | undefined;

  constructor(private readonly figures: CustomerFigures) {
    this.months = figures.months;
    let previous: Running = {
      month: '',
      purchases: new Map(),
      net: new Map(),
      spend: new Map(),
      purchaseDays: new Map(),
      last: undefined,
      surveys: 0,
      units: 0,
      filed: 0,
      closed: 0,
    };
    const plus = (running: ReadonlyMap<string, number>, month: ReadonlyMap<string, number>, sign = 1) => {
      const sum = new Map(running);
      month.forEach((value, currency) => sum.set(currency, (sum.get(currency) ?? 0) + sign * value));
      return sum;
    };
    for (const [month, totals] of this.months) {
      previous = {
        month,
        purchases: plus(previous.purchases, totals.purchases),
        net: plus(plus(previous.net, totals.spend), totals.refunded, -1),
        spend: plus(previous.spend, totals.spend),
        purchaseDays: plus(previous.purchaseDays, totals.purchaseDays),
        last: totals.purchases.size > 0 ? totals.last : previous.last,
        surveys: previous.surveys + totals.surveys,
        units: previous.units + totals.units,
        filed: previous.filed + totals.filed,
        closed: previous.closed + totals.closed,
      };
      this.running.push(previous);
    }
    const first = this.running.find((running) => running.purchases.size > 0)?.month;
    if (first !== undefined) {
      this.firstPurchaseAt = this.page(first)
        ?.purchases.map(({ at }) => at)
        .sort()[0];
    }
  }

  get customerId(): string {
    return this.figures.customerId;
  }

  /** A month page that was read (monthsToRead); undefined when the store holds none. */
  private page(month: string): MonthPage | undefined {
    if (!this.figures.pages.has(month)) throw new Error(`the page of ${month} was not read`);
    return this.figures.pages.get(month);
  }

  /** The running totals of the months before `month`. */
  private before(month: string): Running | undefined {
    let low = 0;
    let high = this.running.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.running[middle]!.month < month) low = middle + 1;
      else high = middle;
    }
    return this.running[low - 1];
  }

  /**
   * The running totals at `instant`, and the facts of its month's page up to it (none when the instant is the
   * month's end: the month's totals count whole).
   */
  private at(instant: string): { running: Running | undefined; page: PageUpTo } {
    if (instant > this.figures.asOf) {
      throw new Error(`the figures were read as of ${this.figures.asOf}, not as of ${instant}`);
    }
    const month = monthOf(instant);
    if (instant >= monthEnd(month)) return { running: this.before(`${month}~`), page: EMPTY_PAGE };
    const running = this.before(month);
    const page = onPages(this.months.get(month)) ? this.page(month) : undefined;
    if (!page) return { running, page: EMPTY_PAGE };
    const upTo = <T extends { at: string }>(facts: readonly T[]) =>
      facts.filter((fact) => fact.at <= instant);
    return {
      running,
      page: { purchases: upTo(page.purchases), refunds: upTo(page.refunds), surveys: upTo(page.surveys) },
    };
  }

  /** The RFM measures as of an instant (rfmMeasures over the whole history up to it), undefined before any purchase. */
  measures(instant: string): RfmMeasures | undefined {
    const { running, page } = this.at(instant);
    const purchases = new Map(running?.purchases);
    const net = new Map(running?.net);
    let last = running?.last === undefined ? undefined : new Date(running.last).toISOString();
    for (const { at, amount } of page.purchases) {
      purchases.set(amount.currency, (purchases.get(amount.currency) ?? 0) + 1);
      net.set(amount.currency, (net.get(amount.currency) ?? 0) + amount.amountMinor);
      if (last === undefined || at > last) last = at;
    }
    for (const { amount } of page.refunds) {
      net.set(amount.currency, (net.get(amount.currency) ?? 0) - amount.amountMinor);
    }
    if (last === undefined || this.firstPurchaseAt === undefined) return undefined;
    const monetaryCurrency = rfmCurrency(Object.fromEntries(purchases));
    return {
      customerId: this.figures.customerId,
      lastPurchaseAt: last,
      firstPurchaseAt: this.firstPurchaseAt,
      recencyDays: (Date.parse(instant) - Date.parse(last)) / 86_400_000,
      frequency: [...purchases.values()].reduce((sum, count) => sum + count, 0),
      monetaryMinor: net.get(monetaryCurrency) ?? 0,
      monetaryCurrency,
    };
  }

  /**
   * Whether every month's purchases have their days counted: not while the totals were folded by a version
   * of customer-pages before the day counts (during the rebuild an upgrade starts).
   */
  countsPurchaseDays(): boolean {
    return [...this.months.values()].every((month) =>
      [...month.purchases.keys()].every((currency) => month.purchaseDays.has(currency)),
    );
  }

  /**
   * What the customer-base models read as of an instant (summarizePurchases over the purchases in the models'
   * currency, one transaction per UTC day): the days and spend of the months before it from the totals, the
   * instant's month from its page, and the first and last transaction days from their pages.
   */
  purchaseSummary(instant: string, unit: TimeUnit): PurchaseSummary | undefined {
    const currency = this.figures.modelCurrency;
    if (currency === undefined) throw new Error('the figures were read without a model currency');
    const { running, page } = this.at(instant);
    const ofCurrency = (purchases: MonthPage['purchases']) =>
      purchases.filter(({ at, amount }) => amount.currency === currency && at <= instant);
    const inMonth = ofCurrency(page.purchases);
    const days =
      (running?.purchaseDays.get(currency) ?? 0) + new Set(inMonth.map(({ at }) => dayOf(at))).size;
    if (days === 0) return undefined;
    const monthsInCurrency = [...this.months]
      .filter(([month, totals]) => totals.purchases.has(currency) && month <= (running?.month ?? ''))
      .map(([month]) => month);
    const pagePurchases = (month: string) => ofCurrency(this.page(month)?.purchases ?? []);
    const first = dayTotals(monthsInCurrency.length > 0 ? pagePurchases(monthsInCurrency[0]!) : inMonth)[0]!;
    const lastDays = dayTotals(inMonth.length > 0 ? inMonth : pagePurchases(monthsInCurrency.at(-1)!));
    const last = lastDays[lastDays.length - 1]!;
    const spendMinor = inMonth.reduce(
      (sum, { amount }) => sum + amount.amountMinor,
      running?.spend.get(currency) ?? 0,
    );
    const frequency = days - 1;
    const repeatValue = toDecimal({ amountMinor: spendMinor - first.minor, currency });
    return {
      frequency,
      recency: (last.day - first.day) / UNIT_MS[unit],
      age: (Date.parse(instant) - first.day) / UNIT_MS[unit],
      meanRepeatValue: frequency > 0 ? repeatValue / frequency : 0,
    };
  }

  /** What the loyalty formula reads as of an instant (see LoyaltyInputs). */
  loyaltyInputs(asOf: string): LoyaltyInputs {
    const { running, page } = this.at(asOf);
    const measures = this.measures(asOf);
    const purchasesByCurrency: Record<string, number> = Object.fromEntries(running?.purchases ?? []);
    for (const { amount } of page.purchases) {
      purchasesByCurrency[amount.currency] = (purchasesByCurrency[amount.currency] ?? 0) + 1;
    }
    const window = monthsBetween(new Date(windowStart(asOf)).toISOString(), asOf).flatMap((month) => {
      const onPage = onPages(this.months.get(month)) ? this.page(month) : undefined;
      return onPage ? [onPage] : [];
    });
    const inWindow = <T extends { at: string }>(facts: readonly T[]) =>
      facts.filter((fact) => inLoyaltyWindow(fact.at, asOf));
    return {
      asOf,
      lastPurchaseAt: measures?.lastPurchaseAt ?? null,
      purchasesInWindow: window.flatMap((onPage) =>
        inWindow(onPage.purchases).map(({ eventId, at, amount }) => ({ eventId, at, total: amount })),
      ),
      refundsInWindow: window.flatMap((onPage) => inWindow(onPage.refunds)),
      purchasesByCurrency,
      surveys: {
        answers: (running?.surveys ?? 0) + page.surveys.length,
        units: page.surveys.reduce((sum, survey) => sum + survey.units, running?.units ?? 0),
      },
      openComplaints: this.complaints('f', asOf, true) - this.complaints('c', asOf, true),
      complaintsFiledInWindow:
        this.complaints('f', asOf, true) -
        this.complaints('f', new Date(windowStart(asOf)).toISOString(), false),
    };
  }

  /** Complaint filings (`f`) or closings (`c`) up to an instant, it included or not. */
  private complaints(kind: 'f' | 'c', instant: string, included: boolean): number {
    const month = monthOf(instant);
    const running = this.before(month);
    const before = kind === 'f' ? (running?.filed ?? 0) : (running?.closed ?? 0);
    const limit = Date.parse(instant);
    const totals = this.months.get(month);
    if (!totals || (totals.filed === 0 && totals.closed === 0)) return before;
    if (!this.figures.complaintInstants.has(month))
      throw new Error(`the complaints of ${month} were not read`);
    let inMonth = 0;
    for (const [name, count] of Object.entries(this.figures.complaintInstants.get(month) ?? {})) {
      const [counted, at] = name.split(':') as [string, string];
      const ms = Number(at);
      if (counted === kind && (ms < limit || (included && ms === limit))) inMonth += count;
    }
    return before + inMonth;
  }
}

/** Purchases summed by UTC day (ms of the day's start), in day order. */
function dayTotals(purchases: MonthPage['purchases']): { day: number; minor: number }[] {
  const byDay = new Map<number, number>();
  for (const { at, amount } of purchases) {
    const day = Date.parse(dayOf(at));
    byDay.set(day, (byDay.get(day) ?? 0) + amount.amountMinor);
  }
  return [...byDay].sort(([a], [b]) => a - b).map(([day, minor]) => ({ day, minor }));
}

interface PageUpTo {
  readonly purchases: MonthPage['purchases'];
  readonly refunds: MonthPage['refunds'];
  readonly surveys: MonthPage['surveys'];
}

const EMPTY_PAGE: PageUpTo = { purchases: [], refunds: [], surveys: [] };
