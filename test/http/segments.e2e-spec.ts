import { Role } from '../../src/config/api-keys';
import { Pseudonyms } from '../../src/privacy/pseudonyms';
import { roleApiKeys } from '../support/api-keys';
import { LedgerTestApp } from '../support/ledger-app';

const keyOf = (role: Role) => `segments-test-key-for-the-${role}-role`;
const as = (role: Role) => ({ authorization: `Bearer ${keyOf(role)}` });

/** Month 1 of the story is eight months before the current month (UTC). */
const today = new Date();
const at = (month: number, day: number, time = '00:00:00') => {
  const [hours, minutes, seconds] = time.split(':').map(Number);
  return new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 9 + month, day, hours, minutes, seconds),
  ).toISOString();
};
const monthOf = (month: number) => at(month, 1).slice(0, 7);

/**
 * Segments through the HTTP API: five buyers whose recency, frequency and spend rise together (customer i
 * bought i times in month i, EUR 100 * i each time), so each lands in a known quintile. Month 1 is eight months
 * before the current one, so the rep's month-by-month walk back to the first purchase stays within its limit.
 */
describe('segments, cohorts, complaints and satisfaction over HTTP', () => {
  let ledger: LedgerTestApp;
  let pseudonyms: Pseudonyms;

  const get = (url: string, role: Role = 'analyst') => ledger.request('GET', url, undefined, as(role));
  const post = (url: string, body: unknown) => ledger.post(url, body, as('ingest'));
  const purchase = (customerId: string, occurredAt: string, euros: number, orderId: string) => ({
    customerId,
    type: 'purchase',
    occurredAt,
    data: { orderId, items: [{ sku: 'SKU-1', quantity: 1, unitPrice: { amount: euros, currency: 'EUR' } }] },
  });

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      apiKeys: roleApiKeys(['analyst', 'ingest', 'rep'], keyOf),
    });
    pseudonyms = new Pseudonyms(ledger.config.masterKey);
    const touchpoints = [1, 2, 3, 4, 5].flatMap((i) =>
      Array.from({ length: i }, (_, n) =>
        purchase(`c${i}`, at(i, n + 1, '10:00:00'), 100 * i, `O-${i}-${n}`),
      ),
    );
    expect((await post('/v1/touchpoints/batch', { touchpoints })).status).toBe(201);
    for (const i of [1, 2, 3, 4, 5]) {
      expect(
        (
          await post('/v1/customers', {
            customerId: `c${i}`,
            name: `Customer ${i}`,
            email: `c${i}@example.org`,
          })
        ).status,
      ).toBe(201);
    }
    await ledger.projected();
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('counts segments and fills the R x FM grid as of a date', async () => {
    const rfm = await get(`/v1/analytics/rfm?asOf=${at(6, 28)}`);

    expect(rfm.status).toBe(200);
    expect(rfm.body).toMatchObject({ asOf: at(6, 28), population: 5, customers: 5 });
    expect(
      rfm.body.segments
        .filter((s: { customers: number }) => s.customers > 0)
        .map((s: { segment: string; customers: number }) => [s.segment, s.customers]),
    ).toEqual([
      ['champions', 1],
      ['loyal', 1],
      ['needs-attention', 1],
      ['hibernating', 1],
      ['lost', 1],
    ]);
    const filled = rfm.body.grid.filter((cell: { customers: number }) => cell.customers > 0);
    expect(filled.map((cell: { recency: number; fm: number }) => [cell.recency, cell.fm])).toEqual([
      [5, 5],
      [4, 4],
      [3, 3],
      [2, 2],
      [1, 1],
    ]);
    expect(rfm.body.leftOutWithoutConsent).toEqual({ analytics: 0, profiling: 0 });
  });

  it('lists the members of a segment by pseudonym only, and who was in it on an earlier date', async () => {
    const now = await get(`/v1/analytics/segments/champions/members?asOf=${at(6, 28)}`);
    const earlier = await get(`/v1/analytics/segments/champions/members?asOf=${at(4, 28)}`);

    expect(now.body).toMatchObject({ segment: 'champions', customers: 1 });
    expect(now.body.members).toEqual([
      {
        pseudonym: pseudonyms.of('c5'),
        segment: 'champions',
        recency: 5,
        frequency: 5,
        monetary: 5,
        recencyDays: (Date.parse(at(6, 28)) - Date.parse(at(5, 5, '10:00:00'))) / 86_400_000,
        purchases: 5,
        netSpend: { amount: 2500, currency: 'EUR' },
      },
    ]);
    // On the 28th of month 4 c5 had not bought yet; c4 led the four buyers, but 3 of 4 below scores 4: loyal, not champions.
    expect(earlier.body.customers).toBe(0);
    const loyalInMonth4 = await get(`/v1/analytics/segments/loyal/members?asOf=${at(4, 28)}`);
    expect(loyalInMonth4.body.members.map((m: { pseudonym: string }) => m.pseudonym)).toEqual([
      pseudonyms.of('c4'),
    ]);
    expect(JSON.stringify([now.body, earlier.body])).not.toMatch(/"c[1-5]"/);
  });

  it('counts the moves between two dates', async () => {
    const moves = await get(`/v1/analytics/segments/transitions?from=${at(4, 28)}&to=${at(6, 28)}`);

    expect(moves.status).toBe(200);
    // Month 4, four buyers: c1 lost, c2 hibernating, c3 needs-attention, c4 loyal; month 6 as in the grid.
    expect(moves.body.transitions).toEqual([
      { from: 'hibernating', to: 'hibernating', customers: 1 },
      { from: 'lost', to: 'lost', customers: 1 },
      { from: 'loyal', to: 'loyal', customers: 1 },
      { from: 'needs-attention', to: 'needs-attention', customers: 1 },
      { from: 'none', to: 'champions', customers: 1 },
    ]);
  });

  it("shows the rep the customer's segment and since when", async () => {
    const c3 = await get('/v1/customers/c3', 'rep');
    const c5 = await get('/v1/customers/c5', 'rep');

    // c3 was loyal at the end of month 3 (three buyers: 2 of 3 below scores 4), needs-attention from the end
    // of month 4 on: it entered in month 4.
    expect(c3.body.segment).toEqual({
      name: 'needs-attention',
      since: at(4, 1),
      asOf: expect.any(String),
      recency: 3,
      frequency: 3,
      monetary: 3,
    });
    // c5 has been champions at every month end since its first purchase.
    expect(c5.body.segment).toMatchObject({ name: 'champions', since: at(5, 1, '10:00:00') });
  });

  it('refuses bad questions with a field-level problem, and analytics to other roles', async () => {
    expect((await get('/v1/analytics/segments/vips/members')).status).toBe(404);
    expect((await get('/v1/analytics/rfm?asOf=yesterday')).status).toBe(400);
    expect((await get(`/v1/analytics/segments/transitions?from=${at(6, 28)}`)).status).toBe(400);
    const reversed = await get(`/v1/analytics/cohorts?from=${at(6, 28)}&to=${at(1, 1)}`);
    expect([reversed.status, reversed.body.errors?.[0]?.field]).toEqual([422, 'from']);
    expect((await get('/v1/analytics/rfm', 'rep')).status).toBe(403);
  });

  it('answers cohorts, complaints and satisfaction', async () => {
    await post('/v1/touchpoints', {
      customerId: 'c1',
      type: 'complaint',
      occurredAt: at(6, 1),
      data: { complaintId: 'K-1', category: 'delivery', severity: 'high' },
    });
    await post('/v1/touchpoints', {
      customerId: 'c2',
      type: 'survey',
      occurredAt: at(6, 2),
      data: { kind: 'nps', score: 10 },
    });
    await ledger.projected();

    const cohorts = await get(`/v1/analytics/cohorts?asOf=${at(6, 28, '23:59:59')}`);
    const complaints = await get(`/v1/analytics/complaints?asOf=${at(6, 11)}`);
    const satisfaction = await get(`/v1/analytics/satisfaction?from=${at(6, 1)}`);

    expect(
      cohorts.body.cohorts.map((c: { cohort: string; customers: number }) => [c.cohort, c.customers]),
    ).toEqual([
      [monthOf(1), 1],
      [monthOf(2), 1],
      [monthOf(3), 1],
      [monthOf(4), 1],
      [monthOf(5), 1],
    ]);
    expect(cohorts.body.cohorts[0].revenue).toEqual({ amount: 100, currency: 'EUR' });
    expect(complaints.body.backlog).toMatchObject({ open: 1, oldestDays: 10 });
    expect(satisfaction.body.months).toEqual([
      expect.objectContaining({
        month: monthOf(6),
        nps: { answers: 1, promoters: 1, passives: 0, detractors: 0, score: 100 },
      }),
    ]);
  });

  it('gives no segment without profiling consent and leaves customers without analytics consent out', async () => {
    await post('/v1/customers/c3/consents', {
      purpose: 'profiling',
      granted: false,
      occurredAt: at(6, 15),
    });
    await post('/v1/customers/c2/consents', {
      purpose: 'analytics',
      granted: false,
      occurredAt: at(6, 15),
    });
    await ledger.projected();

    const rfm = await get(`/v1/analytics/rfm?asOf=${at(6, 28)}`);
    const before = await get(`/v1/analytics/rfm?asOf=${at(6, 1)}`);
    const profile = await get('/v1/customers/c3', 'rep');
    const cohorts = await get('/v1/analytics/cohorts');

    expect(rfm.body).toMatchObject({
      population: 4,
      customers: 3,
      leftOutWithoutConsent: { analytics: 1, profiling: 1 },
    });
    // Before the withdrawal c3 had a segment; c2's analytics withdrawal holds for every date asked today.
    expect(before.body).toMatchObject({
      customers: 4,
      leftOutWithoutConsent: { analytics: 1, profiling: 0 },
    });
    expect(profile.body.segment).toMatchObject({
      name: null,
      withheld: { purpose: 'profiling', since: at(6, 15) },
    });
    expect(cohorts.body.leftOutWithoutConsent).toEqual({ analytics: 1 });
  });
});
