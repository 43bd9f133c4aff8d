import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RFM_SEGMENT_MAP, RFM_SEGMENTS } from '../../projections/rfm-scoring';
import { CustomerLedger } from '../../src/application/customers/customer-ledger';
import { IMPORT_PRESETS } from '../../src/interfaces/cli/import-presets';
import { importTouchpoints, ImportSummary } from '../../src/interfaces/cli/import-touchpoints';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { LedgerTestApp } from '../support/ledger-app';

/**
 * Segment, cohort, complaint and satisfaction figures on real data, checked against figures computed here
 * straight from the CSV files, independently of the projections (only the segment map, a definition, is
 * shared). Whole files: UCI Online Retail (Chen, Sain & Guo 2012, CC BY 4.0; 541,909 invoice lines, about
 * 30 s to import), the CFPB complaints sample (US public data) and the garden-centre NPS survey (CC0), each
 * imported with its CLI preset through the CLI's import path. Ledger currency GBP, UCI's.
 */
const DATA = join(__dirname, '..', '..', '..', 'shared', 'data');
const UCI = join(DATA, 'uci-online-retail', 'online_retail.csv.gz');
const CFPB = join(DATA, 'cfpb-consumer-complaints', 'complaints_sample.csv');
const NPS = join(DATA, 'nps-garden-center-survey', 'nps_utf8.csv');
/** After UCI's last invoice (2011-12-09). */
const AS_OF = '2011-12-10T00:00:00.000Z';
const MID_YEAR = '2011-06-30T23:59:59.999Z';
const DAY_MS = 86_400_000;

type Row = Record<string, string>;
const readCsv = (buffer: Buffer): Row[] =>
  parseCsv(buffer, { columns: true, bom: true, skip_empty_lines: true });

interface Buyer {
  purchases: { at: number; pence: number }[];
  refunds: { at: number; pence: number }[];
}

/**
 * UCI invoices per customer: an invoice is a purchase of its lines (C invoices: a refund), as in the data's
 * paper. An invoice with a unit price in fractions of a penny is left out: the ledger refuses money with more
 * digits than the currency has (the import reports it as rejected), and `subPennyInvoices` counts them.
 */
function uciBuyers(rows: Row[]): Map<string, Buyer> & { subPennyInvoices: number } {
  const invoices = new Map<string, { customerId: string; at: number; pence: number }>();
  const subPenny = new Set<string>();
  for (const row of rows) {
    if (!row.CustomerID) continue;
    const cancelled = row.InvoiceNo!.startsWith('C');
    if (!cancelled && Number(row.Quantity) <= 0) continue; // stock adjustments
    if (!/^\d+(\.\d{1,2})?$/.test(row.UnitPrice!)) subPenny.add(row.InvoiceNo!);
    const invoice = invoices.get(row.InvoiceNo!) ?? {
      customerId: `uci-${row.CustomerID}`,
      at: Date.parse(`${row.InvoiceDate!.replace(' ', 'T')}Z`),
      pence: 0,
    };
    invoice.pence += Math.abs(Number(row.Quantity)) * Math.round(Number(row.UnitPrice) * 100);
    invoices.set(row.InvoiceNo!, invoice);
  }
  const buyers = Object.assign(new Map<string, Buyer>(), { subPennyInvoices: subPenny.size });
  for (const [number, invoice] of invoices) {
    if (subPenny.has(number)) continue;
    const buyer = buyers.get(invoice.customerId) ?? { purchases: [], refunds: [] };
    (number.startsWith('C') ? buyer.refunds : buyer.purchases).push({ at: invoice.at, pence: invoice.pence });
    buyers.set(invoice.customerId, buyer);
  }
  return buyers;
}

/** Quintile by the share of customers with a strictly lower value, counted the plain way. */
function quintiles(values: Map<string, number>): Map<string, number> {
  const all = [...values.values()];
  const counts = new Map<number, number>();
  for (const value of all) counts.set(value, (counts.get(value) ?? 0) + 1);
  const distinct = [...counts.keys()].sort((a, b) => a - b);
  const scoreOf = new Map<number, number>();
  let below = 0;
  for (const value of distinct) {
    const equal = counts.get(value)!;
    scoreOf.set(value, Math.min(5, 1 + Math.floor((5 * below) / all.length)));
    below += equal;
  }
  return new Map([...values].map(([id, value]) => [id, scoreOf.get(value)!]));
}

/** Every buyer's segment as of an instant, by the segment map. */
function segmentsAsOf(
  buyers: Map<string, Buyer>,
  asOf: string,
): Map<string, { segment: string; r: number; fm: number }> {
  const at = Date.parse(asOf);
  const last = new Map<string, number>();
  const frequency = new Map<string, number>();
  const monetary = new Map<string, number>();
  for (const [id, buyer] of buyers) {
    const purchases = buyer.purchases.filter((p) => p.at <= at);
    if (purchases.length === 0) continue;
    last.set(id, Math.max(...purchases.map((p) => p.at)));
    frequency.set(id, purchases.length);
    const spent = purchases.reduce((sum, p) => sum + p.pence, 0);
    const refunded = buyer.refunds.filter((r) => r.at <= at).reduce((sum, r) => sum + r.pence, 0);
    monetary.set(id, spent - refunded);
  }
  const [r, f, m] = [quintiles(last), quintiles(frequency), quintiles(monetary)];
  return new Map(
    [...last.keys()].map((id) => {
      const fm = Math.floor((f.get(id)! + m.get(id)! + 1) / 2);
      const recency = r.get(id)! as 1 | 2 | 3 | 4 | 5;
      return [id, { segment: RFM_SEGMENT_MAP[recency][fm - 1]!, r: recency, fm }];
    }),
  );
}

const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);
const monthIndex = (ms: number) => new Date(ms).getUTCFullYear() * 12 + new Date(ms).getUTCMonth();

describe('segments and analytics on the real datasets', () => {
  let ledger: LedgerTestApp;
  const imported: Record<string, ImportSummary> = {};
  const importedAt = new Date().toISOString();

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ ledgerCurrency: 'GBP' });
    for (const [preset, file] of [
      ['uci-online-retail', UCI],
      ['cfpb-complaints', CFPB],
      ['nps-garden-centre', NPS],
    ] as const) {
      imported[preset] = await importTouchpoints({
        file,
        preset: IMPORT_PRESETS[preset]!({ now: importedAt, file }),
        ledger: ledger.app.get(CustomerLedger),
        actor: 'test:datasets',
      });
    }
    await ledger.projected();
  }, 300_000);
  afterAll(async () => {
    await ledger?.stop();
  });

  describe('UCI Online Retail: RFM and cohorts', () => {
    const buyers = uciBuyers(readCsv(gunzipSync(readFileSync(UCI))));

    it('imports every invoice but those priced in fractions of a penny', () => {
      expect(buyers.subPennyInvoices).toBe(4);
      expect(imported['uci-online-retail']).toMatchObject({ rejected: buyers.subPennyInvoices });
      // The file has 4,372 customers; one of them bought only in a sub-penny invoice.
      expect(buyers.size).toBe(4371);
    });

    it('counts every segment and every cell of the grid as computed from the file', async () => {
      const expected = segmentsAsOf(buyers, AS_OF);
      const rfm = await ledger.get(`/v1/analytics/rfm?asOf=${AS_OF}`);

      const countBy = (key: (value: { segment: string; r: number; fm: number }) => string) => {
        const counts = new Map<string, number>();
        for (const value of expected.values()) counts.set(key(value), (counts.get(key(value)) ?? 0) + 1);
        return counts;
      };
      const segments = countBy((value) => value.segment);
      const cells = countBy((value) => `${value.r}:${value.fm}`);
      expect(rfm.body.population).toBe(expected.size);
      expect(
        rfm.body.segments.map((s: { segment: string; customers: number }) => [s.segment, s.customers]),
      ).toEqual(RFM_SEGMENTS.map((segment) => [segment, segments.get(segment) ?? 0]));
      expect(
        rfm.body.grid.map((cell: { recency: number; fm: number; customers: number }) => [
          `${cell.recency}:${cell.fm}`,
          cell.customers,
        ]),
      ).toEqual(
        rfm.body.grid.map((cell: { recency: number; fm: number }) => [
          `${cell.recency}:${cell.fm}`,
          cells.get(`${cell.recency}:${cell.fm}`) ?? 0,
        ]),
      );
      // Every segment is used on real data, and none holds nearly everybody.
      expect(Math.max(...segments.values()) / expected.size).toBeLessThan(0.4);
    });

    it('lists the members of at risk on a date by pseudonym, and counts the moves from loyal to at risk', async () => {
      const pseudonyms = new Pseudonyms(ledger.config.masterKey);
      const midYear = segmentsAsOf(buyers, MID_YEAR);
      const end = segmentsAsOf(buyers, AS_OF);
      const atRisk = [...midYear]
        .filter(([, value]) => value.segment === 'at-risk')
        .map(([id]) => pseudonyms.of(id));
      const loyalToAtRisk = [...end].filter(
        ([id, value]) => value.segment === 'at-risk' && midYear.get(id)?.segment === 'loyal',
      ).length;

      const members = await ledger.get(`/v1/analytics/segments/at-risk/members?asOf=${MID_YEAR}&limit=10000`);
      const moves = await ledger.get(`/v1/analytics/segments/transitions?from=${MID_YEAR}&to=${AS_OF}`);

      expect(atRisk.length).toBeGreaterThan(50);
      expect(members.body.customers).toBe(atRisk.length);
      expect(members.body.members.map((m: { pseudonym: string }) => m.pseudonym).sort()).toEqual(
        atRisk.sort(),
      );
      expect(loyalToAtRisk).toBeGreaterThan(0);
      expect(moves.body.transitions).toContainEqual({
        from: 'loyal',
        to: 'at-risk',
        customers: loyalToAtRisk,
      });
      expect(moves.body.customers).toBe(end.size);
    });

    it('builds the cohorts, their retention and revenue as computed from the file', async () => {
      const asOfMonth = monthIndex(Date.parse(AS_OF));
      const expected = new Map<string, { customers: number; pence: number; buyers: number[] }>();
      for (const buyer of buyers.values()) {
        if (buyer.purchases.length === 0) continue;
        const first = Math.min(...buyer.purchases.map((p) => p.at));
        const cohort = expected.get(month(first)) ?? {
          customers: 0,
          pence: 0,
          buyers: new Array<number>(asOfMonth - monthIndex(first)).fill(0),
        };
        cohort.customers++;
        cohort.pence +=
          buyer.purchases.reduce((sum, p) => sum + p.pence, 0) -
          buyer.refunds.reduce((sum, r) => sum + r.pence, 0);
        for (const offset of new Set(buyer.purchases.map((p) => monthIndex(p.at) - monthIndex(first)))) {
          if (offset > 0) cohort.buyers[offset - 1]!++;
        }
        expected.set(month(first), cohort);
      }

      const report = await ledger.get(`/v1/analytics/cohorts?asOf=${AS_OF}`);

      expect(report.body.cohorts).toHaveLength(13);
      expect(
        report.body.cohorts.map(
          (c: {
            cohort: string;
            customers: number;
            revenue: { amount: number };
            retention: { customers: number }[];
          }) => [
            c.cohort,
            c.customers,
            Math.round(c.revenue.amount * 100),
            c.retention.map((m) => m.customers),
          ],
        ),
      ).toEqual(
        [...expected.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([cohort, c]) => [cohort, c.customers, c.pence, c.buyers]),
      );
    });
  });

  describe('CFPB complaints', () => {
    const rows = readCsv(readFileSync(CFPB)).filter((row) => row['Complaint ID']);

    it('counts by category, measures resolution and the backlog as computed from the file', async () => {
      const asOf = '2020-06-30T00:00:00.000Z';
      const categories = new Map<string, number>();
      const days: number[] = [];
      let dissatisfied = 0;
      let open = 0;
      for (const row of rows) {
        const category = row.Product!.slice(0, 256);
        categories.set(category, (categories.get(category) ?? 0) + 1);
        const filed = Date.parse(`${row['Date received']}T12:00:00Z`);
        const closed = row['Company response to consumer']!.startsWith('Closed');
        const sent = row['Date sent to company']
          ? Date.parse(`${row['Date sent to company']}T12:00:00Z`)
          : filed;
        const resolvedAt = Math.max(sent, filed);
        if (closed && resolvedAt <= Date.parse(asOf)) {
          days.push((resolvedAt - filed) / DAY_MS);
          if (row['Consumer disputed?'] === 'Yes') dissatisfied++;
        }
        if (filed <= Date.parse(asOf) && !(closed && resolvedAt <= Date.parse(asOf))) open++;
      }
      days.sort((a, b) => a - b);
      const middle = Math.floor(days.length / 2);
      const median = days.length % 2 ? days[middle] : (days[middle - 1]! + days[middle]!) / 2;

      const report = await ledger.get(`/v1/analytics/complaints?asOf=${asOf}&to=${asOf}`);

      expect(imported['cfpb-complaints']).toMatchObject({ rejected: 0 });
      expect(report.body.filed).toBe(
        rows.filter((row) => Date.parse(`${row['Date received']}T12:00:00Z`) <= Date.parse(asOf)).length,
      );
      expect(
        new Map(
          report.body.byCategory.map((c: { category: string; complaints: number }) => [
            c.category,
            c.complaints,
          ]),
        ),
      ).toEqual(
        new Map(
          [...categories].filter(([category]) =>
            report.body.byCategory.some((c: { category: string }) => c.category === category),
          ),
        ),
      );
      expect(report.body.resolution).toMatchObject({
        resolved: days.length,
        medianDaysToResolution: median,
        dissatisfied,
        satisfied: 0,
      });
      expect(report.body.backlog.open).toBe(open);
      expect(report.body.bySeverity).toContainEqual({ severity: 'medium', complaints: report.body.filed });
    });
  });

  describe('NPS survey', () => {
    it('computes NPS as computed from the file (+53.4)', async () => {
      const scores = readCsv(readFileSync(NPS))
        .filter((row) => row.nps !== 'NA')
        .map((row) => Number(row.nps));
      const promoters = scores.filter((score) => score >= 9).length;
      const detractors = scores.filter((score) => score <= 6).length;

      const report = await ledger.get(`/v1/analytics/satisfaction?from=${importedAt}`);

      expect(report.body.overall.nps).toEqual({
        answers: scores.length,
        promoters,
        passives: scores.length - promoters - detractors,
        detractors,
        score: (100 * (promoters - detractors)) / scores.length,
      });
      expect(report.body.overall.nps.score).toBeCloseTo(53.4, 1);
      expect(report.body.months.map((m: { month: string }) => m.month)).toEqual([importedAt.slice(0, 7)]);
    });
  });
});
