import { readRees46, Rees46Row, toTouchpoint } from '../fixtures/rees46';
import { LedgerTestApp } from '../support/ledger-app';

/**
 * Imports the REES46 sample (first 17,434 events of Oct 2019, multi-category store; data by REES46 / Open CDP,
 * free to use with attribution) through the public batch API: view = browse, cart = commit, purchase =
 * purchase. Then checks per-customer purchase counts and spend, and the funnel, against figures computed
 * here straight from the CSV.
 */
describe('REES46 sample through the public API', () => {
  let ledger: LedgerTestApp;
  const rows: Rees46Row[] = readRees46();

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ ledgerCurrency: 'USD' });
    for (let start = 0; start < rows.length; start += 1000) {
      const response = await ledger.post('/v1/touchpoints/batch', {
        touchpoints: rows.slice(start, start + 1000).map(toTouchpoint),
      });
      expect(response.status).toBe(201);
    }
    await ledger.projected();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('stores one event per row', async () => {
    const status = await ledger.get('/health');
    expect(status.body.checks.eventStore.lastPosition).toBe(17_434);
  });

  it('gives every buyer the purchase count and spend computed from the file', async () => {
    const expected = new Map<string, { purchases: number; cents: number }>();
    for (const row of rows.filter((r) => r.eventType === 'purchase')) {
      const totals = expected.get(row.userId) ?? { purchases: 0, cents: 0 };
      totals.purchases++;
      totals.cents += Math.round(Number(row.price) * 100);
      expected.set(row.userId, totals);
    }
    expect(expected.size).toBeGreaterThan(100);
    for (const [userId, totals] of expected) {
      const profile = await ledger.get(`/v1/customers/rees46-${userId}`);
      expect({
        userId,
        purchases: profile.body.purchaseCount,
        cents: Math.round(profile.body.netSpend.amount * 100),
      }).toEqual({
        userId,
        ...totals,
      });
    }
  });

  it('reports the funnel computed from the file', async () => {
    const users = new Set(rows.map((row) => row.userId));
    const committed = new Set(rows.filter((row) => row.eventType !== 'view').map((row) => row.userId));
    const purchasesByUser = new Map<string, number>();
    rows
      .filter((row) => row.eventType === 'purchase')
      .forEach((row) => purchasesByUser.set(row.userId, (purchasesByUser.get(row.userId) ?? 0) + 1));
    const repeat = [...purchasesByUser.values()].filter((count) => count >= 2).length;

    const funnel = await ledger.get('/v1/analytics/funnel');

    expect(users.size).toBe(4504);
    expect(
      funnel.body.stages.map((stage: { stage: string; customers: number }) => [stage.stage, stage.customers]),
    ).toEqual([
      ['browsing', users.size],
      ['committed', committed.size],
      ['purchased', purchasesByUser.size],
      ['repeat', repeat],
      ['advocate', 0],
    ]);
    expect(funnel.body.stages[2].conversionFromPrevious).toBeCloseTo(
      purchasesByUser.size / committed.size,
      10,
    );
  });
});
