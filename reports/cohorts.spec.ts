import { cohortReport, monthsBetween } from './cohorts';
import { PurchaseHistory } from '../projections/purchase-history.projection';

const NOW = '2026-07-01T00:00:00.000Z';
const eur = (euros: number) => ({ amountMinor: Math.round(euros * 100), currency: 'EUR' });

function history(
  customerId: string,
  purchases: [string, number][],
  refunds: [string, number][] = [],
  analyticsWithdrawn = false,
): PurchaseHistory {
  return {
    customerId,
    position: 1,
    purchases: purchases.map(([at, euros], n) => ({ eventId: `${customerId}-${n}`, at, amount: eur(euros) })),
    refunds: refunds.map(([at, euros], n) => ({ eventId: `${customerId}-r${n}`, at, amount: eur(euros) })),
    ...(analyticsWithdrawn && {
      consents: [{ purpose: 'analytics' as const, granted: false, at: '2026-01-01T00:00:00.000Z' }],
    }),
  };
}

describe('purchase cohorts', () => {
  const customers = [
    // January cohort: a bought again in February and April, b never again, c in February.
    history(
      'a',
      [
        ['2026-01-05T00:00:00.000Z', 10],
        ['2026-02-01T00:00:00.000Z', 20],
        ['2026-04-30T23:00:00.000Z', 5],
      ],
      [['2026-02-02T00:00:00.000Z', 4]],
    ),
    history('b', [['2026-01-31T23:59:59.000Z', 100]]),
    history('c', [
      ['2026-01-10T00:00:00.000Z', 1],
      ['2026-02-10T00:00:00.000Z', 1],
    ]),
    // March cohort: d, bought twice in March (counts once there) and in April.
    history('d', [
      ['2026-03-01T00:00:00.000Z', 7],
      ['2026-03-20T00:00:00.000Z', 7],
      ['2026-04-02T00:00:00.000Z', 7],
    ]),
    history('never-bought', []),
    history('withdrawn', [['2026-01-02T00:00:00.000Z', 50]], [], true),
  ];

  it('counts months across years', () => {
    expect(monthsBetween('2025-11', '2026-02')).toBe(3);
  });

  it('groups customers by first-purchase month, with the share that bought in each later month and net revenue', () => {
    const report = cohortReport(customers, {
      asOf: '2026-04-30T23:59:59.999Z',
      ledgerCurrency: 'EUR',
      now: NOW,
    });
    expect(report.customers).toBe(4);
    expect(report.leftOutWithoutConsent).toEqual({ analytics: 1 });
    expect(report.cohorts).toEqual([
      {
        cohort: '2026-01',
        customers: 3,
        revenue: { amount: 10 + 20 + 5 - 4 + 100 + 1 + 1, currency: 'EUR' },
        retention: [
          { month: '2026-02', offset: 1, customers: 2, share: 2 / 3 },
          { month: '2026-03', offset: 2, customers: 0, share: 0 },
          { month: '2026-04', offset: 3, customers: 1, share: 1 / 3 },
        ],
      },
      {
        cohort: '2026-03',
        customers: 1,
        revenue: { amount: 21, currency: 'EUR' },
        retention: [{ month: '2026-04', offset: 1, customers: 1, share: 1 }],
      },
    ]);
  });

  it('counts only what happened by asOf, and only the cohorts whose first purchase is in the range', () => {
    const report = cohortReport(customers, {
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-31T23:59:59.999Z',
      asOf: '2026-03-31T23:59:59.999Z',
      ledgerCurrency: 'EUR',
      now: NOW,
    });
    expect(report.cohorts).toEqual([
      { cohort: '2026-03', customers: 1, revenue: { amount: 14, currency: 'EUR' }, retention: [] },
    ]);
  });
});
