import { CohortReport } from '../../../reports/cohorts';
import { SegmentMembers } from '../../application/analytics/segments.queries';

export type TableFormat = 'csv' | 'ndjson' | 'json';

/** One row per customer of the segment list: pseudonym, segment, scores and raw measures. */
export function segmentMemberRows(members: SegmentMembers): Record<string, unknown>[] {
  return members.members.map((member) => ({
    pseudonym: member.pseudonym,
    segment: member.segment,
    recency: member.recency,
    frequency: member.frequency,
    monetary: member.monetary,
    recencyDays: Number(member.recencyDays.toFixed(3)),
    purchases: member.purchases,
    netSpend: member.netSpend.amount,
    currency: member.netSpend.currency,
    asOf: members.asOf,
  }));
}

/** One row per cohort and later month (long format, so every file has the same columns). */
export function cohortRows(report: CohortReport): Record<string, unknown>[] {
  return report.cohorts.flatMap((cohort) =>
    cohort.retention.map((month) => ({
      cohort: cohort.cohort,
      cohortCustomers: cohort.customers,
      cohortRevenue: cohort.revenue.amount,
      currency: cohort.revenue.currency,
      month: month.month,
      monthsAfterFirstPurchase: month.offset,
      customersWhoBought: month.customers,
      share: month.share,
    })),
  );
}

/** Rows as CSV (header from the first row) or NDJSON, one line each. */
export function formatRows(rows: readonly Record<string, unknown>[], format: 'csv' | 'ndjson'): string {
  if (format === 'ndjson') return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  const columns = Object.keys(rows[0] ?? {});
  const lines = [
    columns.join(','),
    ...rows.map((row) => columns.map((column) => csvCell(row[column])).join(',')),
  ];
  return rows.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
