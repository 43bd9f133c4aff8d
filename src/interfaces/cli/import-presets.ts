import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A touchpoint in the API's shape (`POST /v1/touchpoints`), before validation. */
export type TouchpointInput = Record<string, unknown>;

/** What one input row releases (touchpoints), and why the row itself is skipped, if it is (not customer data). */
export interface RowOutcome {
  readonly touchpoints: readonly { readonly key: string; readonly touchpoint: TouchpointInput }[];
  readonly skipped?: string;
}

/**
 * How the rows of a CSV export become touchpoints. `key` identifies the touchpoint within the file so that
 * a re-run derives the same event ids and appends nothing twice.
 */
export interface ImportPreset {
  readonly description: string;
  /**
   * How the file is laid out: CSV with a header line (the default), or fields separated by runs of
   * whitespace, named by `columns` or, without them, by the first line.
   */
  readonly layout?: { readonly separator: 'whitespace'; readonly columns?: readonly string[] };
  /** Maps one row (columns by header name); may hold rows back (grouping) and release them later. */
  map(row: Record<string, string>, line: number): RowOutcome;
  /** Releases what is held back at the end of the file. */
  finish?(): RowOutcome;
}

const utc = (text: string) => `${text.replace(' UTC', '').replace(' ', 'T')}Z`;

/** REES46 multi-category store events: view = browse, cart = commit, purchase = purchase (USD). */
function rees46(): ImportPreset {
  return {
    description: 'REES46 ecommerce events (event_time,event_type,product_id,...,user_id,user_session)',
    map(row, line) {
      const customerId = `rees46-${row.user_id}`;
      const occurredAt = utc(row.event_time ?? '');
      const item = {
        sku: row.product_id,
        quantity: 1,
        unitPrice: { amount: Number(row.price), currency: 'USD' },
      };
      const touchpoint =
        row.event_type === 'view'
          ? {
              type: 'browse',
              data: {
                productId: row.product_id,
                category: row.category_code || row.category_id,
                sessionId: row.user_session,
              },
            }
          : row.event_type === 'cart'
            ? { type: 'commit', data: { cartId: row.user_session, items: [item] } }
            : row.event_type === 'purchase'
              ? { type: 'purchase', data: { orderId: `rees46-line-${line}`, items: [item] } }
              : undefined;
      if (!touchpoint) return { touchpoints: [], skipped: `unknown event_type ${row.event_type}` };
      return {
        touchpoints: [
          { key: `line-${line}`, touchpoint: { customerId, occurredAt, channel: 'web', ...touchpoint } },
        ],
      };
    },
  };
}

/**
 * UCI Online Retail invoice lines (GBP, naive UK local time read as UTC): the lines of one invoice become one
 * purchase; `C` invoices become refunds of their value. Lines without CustomerID and stock adjustments
 * (negative quantities outside C invoices) are not customer touchpoints and are skipped.
 */
function uciOnlineRetail(): ImportPreset {
  let invoice:
    | {
        number: string;
        customerId: string;
        occurredAt: string;
        firstLine: number;
        lines: Record<string, string>[];
      }
    | undefined;
  const release = (): RowOutcome => {
    const current = invoice;
    invoice = undefined;
    if (!current || current.lines.length === 0) return { touchpoints: [] };
    const customerId = `uci-${current.customerId}`;
    if (current.number.startsWith('C')) {
      const pence = current.lines.reduce(
        (sum, l) => sum + Math.abs(Number(l.Quantity)) * Math.round(Number(l.UnitPrice) * 100),
        0,
      );
      return {
        touchpoints: [
          {
            key: `invoice-${current.number}-line-${current.firstLine}`,
            touchpoint: {
              customerId,
              type: 'refund',
              occurredAt: current.occurredAt,
              channel: 'web',
              data: {
                orderId: current.number,
                amount: { amount: pence / 100, currency: 'GBP' },
                reason: 'cancelled invoice',
              },
            },
          },
        ],
      };
    }
    const items = current.lines.map((l) => ({
      sku: l.StockCode,
      quantity: Number(l.Quantity),
      unitPrice: { amount: Number(l.UnitPrice), currency: 'GBP' },
    }));
    return {
      touchpoints: [
        {
          key: `invoice-${current.number}-line-${current.firstLine}`,
          touchpoint: {
            customerId,
            type: 'purchase',
            occurredAt: current.occurredAt,
            channel: 'web',
            data: { orderId: current.number, items },
          },
        },
      ],
    };
  };
  return {
    description:
      'UCI Online Retail invoice lines (InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country)',
    map(row, line) {
      const released = invoice && invoice.number !== row.InvoiceNo ? release() : { touchpoints: [] };
      if (!row.CustomerID) return { ...released, skipped: 'no CustomerID' };
      if (!row.InvoiceNo!.startsWith('C') && Number(row.Quantity) <= 0) {
        return { ...released, skipped: 'stock adjustment (negative quantity)' };
      }
      invoice ??= {
        number: row.InvoiceNo!,
        customerId: row.CustomerID,
        occurredAt: utc(row.InvoiceDate ?? ''),
        firstLine: line,
        lines: [],
      };
      invoice.lines.push(row);
      return released;
    },
    finish: release,
  };
}

/** NPS survey of a French garden-centre chain: one NPS answer per row, the free-text reason as the comment. */
function npsGardenCentre({ now }: PresetContext): ImportPreset {
  return {
    description: 'NPS survey (id,nps,explication); no timestamps: answers are dated at import',
    map(row, line) {
      if (row.nps === 'NA' || row.nps === undefined) return { touchpoints: [], skipped: 'no NPS score' };
      const comment = row.explication && row.explication !== 'NA' ? row.explication : undefined;
      return {
        touchpoints: [
          {
            key: `line-${line}`,
            touchpoint: {
              customerId: `nps-${row.id}`,
              type: 'survey',
              occurredAt: now,
              channel: 'store',
              data: { surveyId: 'garden-centre-nps', kind: 'nps', score: Number(row.nps), comment },
            },
          },
        ],
      };
    },
  };
}

/** CFPB consumer complaints: no consumer ids, so each complaint is its own pseudonymous customer. */
function cfpbComplaints(): ImportPreset {
  return {
    description:
      'CFPB complaints (Date received,Product,Issue,Consumer complaint narrative,...,Company response to consumer,Complaint ID)',
    map(row) {
      const complaintId = row['Complaint ID'];
      if (!complaintId) return { touchpoints: [], skipped: 'no Complaint ID' };
      const customerId = `cfpb-${complaintId}`;
      const occurredAt = `${row['Date received']}T12:00:00Z`;
      const response = row['Company response to consumer'] ?? '';
      const touchpoints: { key: string; touchpoint: TouchpointInput }[] = [
        {
          key: `complaint-${complaintId}`,
          touchpoint: {
            customerId,
            type: 'complaint',
            occurredAt,
            channel:
              (row['Submitted via'] ?? 'web')
                .toLowerCase()
                .replace(/[^a-z]+/g, '-')
                .replace(/^-|-$/g, '') || 'web',
            data: {
              complaintId,
              category: row.Product?.slice(0, 256),
              severity: 'medium',
              description: row['Consumer complaint narrative'] || undefined,
            },
          },
        },
      ];
      if (response.startsWith('Closed')) {
        const sent = row['Date sent to company'] ? `${row['Date sent to company']}T12:00:00Z` : occurredAt;
        touchpoints.push({
          key: `resolution-${complaintId}`,
          touchpoint: {
            customerId,
            type: 'complaint-resolved',
            occurredAt: sent > occurredAt ? sent : occurredAt,
            data: {
              complaintId,
              resolution: response,
              satisfied: row['Consumer disputed?'] === 'Yes' ? false : undefined,
            },
          },
        });
      }
      return { touchpoints };
    },
  };
}

/** Reads a small CSV beside the imported file whole (Olist's lookup tables: a few thousand rows). */
function readSideTable(file: string, sibling: string): Record<string, string>[] {
  return parseCsv(readFileSync(join(dirname(file), sibling)), {
    columns: true,
    bom: true,
    skip_empty_lines: true,
  });
}

function olistCustomers(file: string): Map<string, string> {
  return new Map(
    readSideTable(file, 'olist_customers_dataset.csv').map((row) => [
      row.customer_id!,
      row.customer_unique_id!,
    ]),
  );
}

const olistTime = (text: string | undefined) => (text ? utc(text) : undefined);

/**
 * Olist orders (Brazil, BRL): a delivered, shipped or invoiced order is a purchase of its items (price per item
 * line) with freight in the total; a canceled or unavailable order is a commitment that did not complete. The
 * customer is `customer_unique_id` (Olist gives each order its own `customer_id`). Reads
 * olist_customers_dataset.csv and olist_order_items_dataset.csv from the same folder.
 */
function olistOrders({ file }: PresetContext): ImportPreset {
  const customers = olistCustomers(file);
  const items = new Map<string, Record<string, string>[]>();
  for (const item of readSideTable(file, 'olist_order_items_dataset.csv')) {
    items.set(item.order_id!, [...(items.get(item.order_id!) ?? []), item]);
  }
  return {
    description: 'Olist orders (olist_orders_dataset.csv, with customers and order items beside it)',
    map(row) {
      const unique = customers.get(row.customer_id ?? '');
      const occurredAt = olistTime(row.order_purchase_timestamp);
      if (!unique || !occurredAt)
        return { touchpoints: [], skipped: 'order without customer or purchase time' };
      const lines = items.get(row.order_id!) ?? [];
      const toItem = (line: Record<string, string>) => ({
        sku: line.product_id,
        quantity: 1,
        unitPrice: { amount: Number(line.price), currency: 'BRL' },
      });
      const customerId = `olist-${unique}`;
      if (row.order_status === 'canceled' || row.order_status === 'unavailable') {
        const data = { orderId: row.order_id, ...(lines.length > 0 && { items: lines.map(toItem) }) };
        return {
          touchpoints: [
            {
              key: `order-${row.order_id}`,
              touchpoint: { customerId, type: 'commit', occurredAt, channel: 'web', data },
            },
          ],
        };
      }
      if (lines.length === 0) return { touchpoints: [], skipped: 'order without items' };
      const cents = lines.reduce(
        (sum, line) =>
          sum + Math.round(Number(line.price) * 100) + Math.round(Number(line.freight_value) * 100),
        0,
      );
      return {
        touchpoints: [
          {
            key: `order-${row.order_id}`,
            touchpoint: {
              customerId,
              type: 'purchase',
              occurredAt,
              channel: 'web',
              data: {
                orderId: row.order_id,
                items: lines.map(toItem),
                total: { amount: cents / 100, currency: 'BRL' },
              },
            },
          },
        ],
      };
    },
  };
}

/**
 * Olist reviews: each is a CSAT answer (score 1-5) about its order, title and message as the comment. Reads
 * olist_orders_dataset.csv and olist_customers_dataset.csv from the same folder to find the customer.
 */
function olistReviews({ file }: PresetContext): ImportPreset {
  const customers = olistCustomers(file);
  const customerOfOrder = new Map(
    readSideTable(file, 'olist_orders_dataset.csv').map((order) => [
      order.order_id!,
      customers.get(order.customer_id!),
    ]),
  );
  return {
    description: 'Olist reviews (olist_order_reviews_dataset.csv, with orders and customers beside it)',
    map(row) {
      const unique = customerOfOrder.get(row.order_id ?? '');
      const occurredAt = olistTime(row.review_creation_date);
      if (!unique || !occurredAt) return { touchpoints: [], skipped: 'review without a known order' };
      const comment =
        [row.review_comment_title, row.review_comment_message]
          .filter((text) => text && text.trim())
          .join(' - ') || undefined;
      return {
        touchpoints: [
          {
            key: `review-${row.review_id}-${row.order_id}`,
            touchpoint: {
              customerId: `olist-${unique}`,
              type: 'survey',
              occurredAt,
              channel: 'email',
              data: {
                surveyId: 'olist-review',
                kind: 'csat',
                score: Number(row.review_score),
                comment,
                orderId: row.order_id,
              },
            },
          },
        ],
      };
    },
  };
}

/**
 * CDNOW (customers who first bought in Q1 1997, purchases to 1998-06-30), as the customer-base model papers
 * use it: each row a purchase of `number_of_cds` CDs for `dollar_value` USD on a day (several rows of a day
 * are one transaction to the models, which merge purchases by day). The sample file has no header and both
 * the master and the sample id; the customer is the master id in either file.
 */
function cdnow(columns?: readonly string[]): () => ImportPreset {
  return () => ({
    description: columns
      ? 'CDNOW sample, whitespace-separated without header (master id, sample id, YYYYMMDD, CDs, USD)'
      : 'CDNOW master, whitespace-separated (customer_id date number_of_cds dollar_value)',
    layout: { separator: 'whitespace', columns },
    map(row, line) {
      const date = row.date ?? '';
      if (!/^\d{8}$/.test(date) || !row.customer_id)
        return { touchpoints: [], skipped: 'no customer or date' };
      const customerId = `cdnow-${row.customer_id}`;
      return {
        touchpoints: [
          {
            key: `line-${line}`,
            touchpoint: {
              customerId,
              type: 'purchase',
              occurredAt: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}T00:00:00Z`,
              channel: 'web',
              data: {
                orderId: `cdnow-${row.customer_id}-${date}-line-${line}`,
                total: { amount: Number(row.dollar_value), currency: 'USD' },
              },
            },
          },
        ],
      };
    },
  });
}

export interface PresetContext {
  readonly now: string;
  /** The file being imported (presets that join read their side tables beside it). */
  readonly file: string;
}

export const IMPORT_PRESETS: Record<string, (context: PresetContext) => ImportPreset> = {
  rees46,
  'uci-online-retail': uciOnlineRetail,
  'nps-garden-centre': npsGardenCentre,
  'cfpb-complaints': cfpbComplaints,
  'olist-orders': olistOrders,
  'olist-reviews': olistReviews,
  cdnow: cdnow(),
  'cdnow-sample': cdnow(['customer_id', 'sample_id', 'date', 'number_of_cds', 'dollar_value']),
};
