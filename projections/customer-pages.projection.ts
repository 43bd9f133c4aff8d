import { Counters, PopulationFigure } from './population-figure';
import { alreadyFolded, PositionedDoc, Projection } from './projection';
import { satisfactionUnits } from './loyalty.projection';
import { DatedAmount } from './purchase-history.projection';

/**
 * A customer's dated facts kept in small documents, so that a question about one customer as of an instant
 * (the profile a rep reads: segment, since when, loyalty) costs what the answer needs, not the size of the
 * customer's whole history (issue #22). Two kinds of document:
 *
 * - a month page (`<customer>/month/<YYYY-MM>`): the purchases, refunds and survey answers that occurred in
 *   that month (UTC), in log order;
 * - a complaint (`<customer>/complaint/<complaintId>`): each filing under that id with the resolution that
 *   applies to it, by the loyalty fold's rule (a resolution applies to every filing recorded before it).
 *
 * Two figures are kept from them by the projection runner, in the same commits (see PopulationFigure), one
 * bucket per customer rather than for the whole population:
 *
 * - customerTotalsFigure, bucket `<customer>`: month by month, purchases, spend and refunds per currency, the
 *   instant of the month's last purchase, survey answers and their satisfaction, complaints filed and closed;
 * - complaintInstantsFigure, bucket `<customer>/<YYYY-MM>`: the exact instants of the complaints filed and
 *   closed in that month.
 *
 * A figure as of an instant is then the sum of the months before it plus the one page (or bucket) of the
 * month it lies in (customer-figures.ts). Customer ids never hold `/` (CUSTOMER_ID_PATTERN), so ids do not clash.
 */
export type CustomerPage = MonthPage | ComplaintPage;

export interface MonthPage extends PositionedDoc {
  readonly kind: 'month';
  readonly customerId: string;
  /** `YYYY-MM` (UTC) of every fact on the page. */
  readonly month: string;
  readonly purchases: readonly DatedAmount[];
  readonly refunds: readonly DatedAmount[];
  /** Survey answers in satisfaction units (see satisfactionUnits). */
  readonly surveys: readonly { readonly eventId: string; readonly at: string; readonly units: number }[];
}

export interface ComplaintFiling {
  readonly eventId: string;
  readonly at: string;
  readonly resolvedAt?: string;
}

export interface ComplaintPage extends PositionedDoc {
  readonly kind: 'complaint';
  readonly customerId: string;
  readonly complaintId: string;
  /** Every filing under the id, in log order. */
  readonly filings: readonly ComplaintFiling[];
}

export const monthOf = (instant: string) => instant.slice(0, 7);
/** The UTC day (`YYYY-MM-DD`) of an instant. */
export const dayOf = (instant: string) => instant.slice(0, 10);
export const monthPageId = (customerId: string, month: string) => `${customerId}/month/${month}`;
export const complaintPageId = (customerId: string, complaintId: string) =>
  `${customerId}/complaint/${complaintId}`;
export const complaintInstantsBucket = (customerId: string, month: string) => `${customerId}/${month}`;

/** A complaint filing is closed from the instant both its filing and its resolution lie behind. */
export const closedAt = (filing: ComplaintFiling): string | undefined =>
  filing.resolvedAt === undefined ? undefined : filing.resolvedAt > filing.at ? filing.resolvedAt : filing.at;

/** Adds to a counter, leaving out zeros (a stored bucket never holds one). */
function add(counters: Record<string, number>, name: string, value: number): void {
  const sum = (counters[name] ?? 0) + value;
  if (sum === 0) delete counters[name];
  else counters[name] = sum;
}

/**
 * A customer's facts month by month (bucket: the customer id), counters named `<measure>:<YYYY-MM>[:<currency>]`:
 * `p` purchases, `s` spend and `r` refunded (minor units) per currency; `d` the UTC days with a purchase per
 * currency (the customer-base models' transactions); `l` the instant (ms since 1970) of the month's last purchase; `n` survey answers and `u` their satisfaction units; `cf` complaints filed and `cc`
 * closed (by closedAt). Every figure as of a month end is a sum over months; `l` is the one value of the one
 * page of its month.
 */
export const customerTotalsFigure: PopulationFigure<CustomerPage> = {
  name: 'customer-totals',
  contributions(page) {
    const counters: Record<string, number> = {};
    if (page.kind === 'month') {
      const { month } = page;
      let last: string | undefined;
      const purchaseDays = new Map<string, Set<string>>();
      for (const { at, amount } of page.purchases) {
        const { currency } = amount;
        add(counters, `p:${month}:${currency}`, 1);
        add(counters, `s:${month}:${currency}`, amount.amountMinor);
        (purchaseDays.get(currency) ?? purchaseDays.set(currency, new Set()).get(currency)!).add(dayOf(at));
        if (last === undefined || at > last) last = at;
      }
      purchaseDays.forEach((days, currency) => add(counters, `d:${month}:${currency}`, days.size));
      if (last !== undefined) add(counters, `l:${month}`, Date.parse(last));
      for (const { amount } of page.refunds)
        add(counters, `r:${month}:${amount.currency}`, amount.amountMinor);
      for (const { units } of page.surveys) {
        add(counters, `n:${month}`, 1);
        add(counters, `u:${month}`, units);
      }
    } else {
      for (const filing of page.filings) {
        add(counters, `cf:${monthOf(filing.at)}`, 1);
        const closed = closedAt(filing);
        if (closed !== undefined) add(counters, `cc:${monthOf(closed)}`, 1);
      }
    }
    return new Map<string, Counters>(Object.keys(counters).length > 0 ? [[page.customerId, counters]] : []);
  },
};

/** The exact instants of complaint filings (`f:<ms>`) and closings (`c:<ms>`), a bucket per customer and month. */
export const complaintInstantsFigure: PopulationFigure<CustomerPage> = {
  name: 'complaint-instants',
  contributions(page) {
    const buckets = new Map<string, Record<string, number>>();
    if (page.kind !== 'complaint') return buckets;
    const count = (prefix: string, instant: string) => {
      const bucket = complaintInstantsBucket(page.customerId, monthOf(instant));
      const counters = buckets.get(bucket) ?? {};
      add(counters, `${prefix}:${Date.parse(instant)}`, 1);
      buckets.set(bucket, counters);
    };
    for (const filing of page.filings) {
      count('f', filing.at);
      const closed = closedAt(filing);
      if (closed !== undefined) count('c', closed);
    }
    return buckets;
  },
};

export const customerPagesProjection: Projection<CustomerPage> = {
  name: 'customer-pages',
  // 2: the customer totals count the days with a purchase (`d`).
  version: 2,
  indexes: [],
  figures: [customerTotalsFigure, complaintInstantsFigure],
  documentId: (event) => {
    switch (event.type) {
      case 'PurchaseCompleted':
      case 'PurchaseRefunded':
      case 'SurveyAnswered':
        return monthPageId(event.customerId, monthOf(event.occurredAt));
      case 'ComplaintFiled':
      case 'ComplaintResolved':
        return complaintPageId(event.customerId, event.data.complaintId);
      default:
        return undefined;
    }
  },
  evolve: (previous, event) => {
    if (alreadyFolded(previous, event)) return previous;
    const fact = { eventId: event.eventId, at: event.occurredAt };
    const month = (page: CustomerPage | null): MonthPage =>
      page?.kind === 'month'
        ? { ...page, position: event.position }
        : {
            kind: 'month',
            customerId: event.customerId,
            month: monthOf(event.occurredAt),
            position: event.position,
            purchases: [],
            refunds: [],
            surveys: [],
          };
    switch (event.type) {
      case 'PurchaseCompleted': {
        const page = month(previous);
        return { ...page, purchases: [...page.purchases, { ...fact, amount: event.data.total }] };
      }
      case 'PurchaseRefunded': {
        const page = month(previous);
        return { ...page, refunds: [...page.refunds, { ...fact, amount: event.data.amount }] };
      }
      case 'SurveyAnswered': {
        const page = month(previous);
        const units = satisfactionUnits(event.data.kind, event.data.score);
        return { ...page, surveys: [...page.surveys, { ...fact, units }] };
      }
      case 'ComplaintFiled': {
        const filings = previous?.kind === 'complaint' ? previous.filings : [];
        return {
          kind: 'complaint',
          customerId: event.customerId,
          complaintId: event.data.complaintId,
          position: event.position,
          filings: [...filings, fact],
        };
      }
      case 'ComplaintResolved':
        // A resolution of nothing filed yet changes nothing (as in the loyalty facts).
        if (previous?.kind !== 'complaint') return previous;
        return {
          ...previous,
          position: event.position,
          filings: previous.filings.map((filing) => ({ ...filing, resolvedAt: event.occurredAt })),
        };
      default:
        return previous;
    }
  },
};
