import { randomUUID } from 'node:crypto';
import { PROJECTIONS } from '../../projections/catalog';
import { LedgerTestApp } from '../support/ledger-app';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';

describe('HTTP read API (v1)', () => {
  let ledger: LedgerTestApp;
  const customerId = `c-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
    await ledger.post(
      '/v1/customers',
      aRegistration({ customerId, name: 'Grace Hopper', email: 'grace@example.org' }),
    );
    const at = (day: number) =>
      `2026-0${Math.floor(day / 28) + 1}-${String((day % 28) + 1).padStart(2, '0')}T10:00:00Z`;
    await ledger.post('/v1/touchpoints/batch', {
      touchpoints: [
        aTouchpoint(customerId, 'browse', { productId: 'p-1', category: 'garden' }, { occurredAt: at(0) }),
        aTouchpoint(customerId, 'commit', { cartId: 'cart-1' }, { occurredAt: at(1) }),
        aPurchase(customerId, {
          occurredAt: at(2),
          data: { orderId: 'A-1', total: { amount: 120.5, currency: 'EUR' } },
        }),
        aPurchase(customerId, {
          occurredAt: at(10),
          data: {
            orderId: 'A-2',
            items: [{ sku: 'S', quantity: 3, unitPrice: { amount: 10, currency: 'EUR' } }],
          },
        }),
        aTouchpoint(
          customerId,
          'refund',
          { orderId: 'A-2', amount: { amount: 10, currency: 'EUR' } },
          { occurredAt: at(12) },
        ),
        aTouchpoint(
          customerId,
          'survey',
          { kind: 'nps', score: 10, comment: 'Brilliant' },
          { occurredAt: at(13) },
        ),
        aTouchpoint(
          customerId,
          'complaint',
          { complaintId: 'K-1', severity: 'high', description: 'Broken pot' },
          { occurredAt: at(14) },
        ),
        aTouchpoint(customerId, 'complaint', { complaintId: 'K-2', severity: 'low' }, { occurredAt: at(15) }),
        aTouchpoint(
          customerId,
          'complaint-resolved',
          { complaintId: 'K-1', resolution: 'Replaced', satisfied: true },
          { occurredAt: at(16) },
        ),
      ],
    });
    await ledger.projected();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('shows the profile with decrypted contact details, stage, loyalty, spend and open complaints', async () => {
    const response = await ledger.get(`/v1/customers/${customerId}`);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      customerId,
      registered: true,
      erased: false,
      name: 'Grace Hopper',
      email: 'grace@example.org',
      country: 'GB',
      funnelStage: 'advocate',
      purchaseCount: 2,
      netSpend: { amount: 140.5, currency: 'EUR' },
      complaintsFiled: 2,
      openComplaints: [{ complaintId: 'K-2', severity: 'low' }],
      firstSeenAt: '2026-01-01T10:00:00.000Z',
    });
    expect(response.body.loyalty.tier).toMatch(/bronze|silver|gold/);
    expect(response.body.loyalty.components.openComplaints).toBe(1);
  });

  it('pages the timeline newest first with summaries, filters and a cursor', async () => {
    const first = await ledger.get(`/v1/customers/${customerId}/timeline?limit=4`);
    const second = await ledger.get(
      `/v1/customers/${customerId}/timeline?limit=4&cursor=${first.body.nextCursor}`,
    );
    const third = await ledger.get(
      `/v1/customers/${customerId}/timeline?limit=4&cursor=${second.body.nextCursor}`,
    );

    const all = [...first.body.entries, ...second.body.entries, ...third.body.entries];
    expect(all).toHaveLength(10);
    expect(third.body.nextCursor).toBeUndefined();
    const occurred = all.map((entry: { occurredAt: string }) => entry.occurredAt);
    expect([...occurred].sort().reverse()).toEqual(occurred);
    expect(
      all.find(
        (entry: { type: string; summary: string }) =>
          entry.type === 'PurchaseCompleted' && entry.summary.includes('A-2'),
      ).summary,
    ).toBe('Purchased 3 items for EUR 30.00, order A-2');
    expect(all.find((entry: { type: string }) => entry.type === 'SurveyAnswered').details.comment).toBe(
      'Brilliant',
    );

    const complaints = await ledger.get(
      `/v1/customers/${customerId}/timeline?types=ComplaintFiled,ComplaintResolved`,
    );
    expect(complaints.body.entries.map((entry: { type: string }) => entry.type)).toEqual([
      'ComplaintResolved',
      'ComplaintFiled',
      'ComplaintFiled',
    ]);
    const january = await ledger.get(
      `/v1/customers/${customerId}/timeline?from=2026-01-02T00:00:00Z&to=2026-01-03T23:59:59Z`,
    );
    expect(january.body.entries.map((entry: { type: string }) => entry.type)).toEqual([
      'PurchaseCompleted',
      'PurchaseCommitted',
    ]);
  });

  it('rejects bad timeline parameters and answers 404 for unknown customers', async () => {
    const bad = await ledger.get(`/v1/customers/${customerId}/timeline?types=Teleported&limit=0&cursor=zzz`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['limit', 'types']);
    const cursor = await ledger.get(`/v1/customers/${customerId}/timeline?cursor=zzz`);
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors[0].field).toBe('cursor');
    expect((await ledger.get('/v1/customers/nobody-here')).status).toBe(404);
    expect((await ledger.get('/v1/customers/nobody-here/timeline')).status).toBe(404);
    expect((await ledger.get('/v1/customers/nobody-here/loyalty')).status).toBe(404);
  });

  it('computes loyalty as of an instant with the events that contributed', async () => {
    const early = await ledger.get(`/v1/customers/${customerId}/loyalty?asOf=2026-01-02T12:00:00Z`);
    const later = await ledger.get(`/v1/customers/${customerId}/loyalty?asOf=2026-01-20T12:00:00Z`);

    expect(early.body.components).toMatchObject({
      purchasesInWindow: 0,
      satisfaction: 0.5,
      penalty: 0,
      recency: 0,
    });
    expect(early.body.contributingEvents).toEqual([]);
    expect(later.body.components).toMatchObject({
      purchasesInWindow: 2,
      openComplaints: 1,
      complaintsFiledInWindow: 2,
      satisfaction: 1,
    });
    expect(later.body.components.netSpendInWindow).toEqual({ amountMinor: 14050, currency: 'EUR' });
    expect(later.body.contributingEvents).toHaveLength(6);
    expect(later.body.score).toBeGreaterThan(early.body.score);
  });

  it('reports the funnel for a cohort and the loyalty distribution without personal data', async () => {
    const funnel = await ledger.get(
      '/v1/analytics/funnel?firstSeenFrom=2026-01-01T00:00:00Z&firstSeenTo=2026-01-31T23:59:59Z',
    );
    expect(funnel.status).toBe(200);
    expect(funnel.body.stages.map((stage: { customers: number }) => stage.customers)).toEqual([
      1, 1, 1, 1, 1,
    ]);
    expect(funnel.body.stages[2]).toMatchObject({
      stage: 'purchased',
      conversionFromPrevious: 1,
      medianDaysFromPrevious: 1,
    });

    const loyalty = await ledger.get('/v1/analytics/loyalty?top=5');
    expect(loyalty.body.customers).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(loyalty.body)).not.toContain('Grace');
    expect(Object.keys(loyalty.body.top[0]).sort()).toEqual(['pseudonym', 'score', 'tier']);
  });

  it('shows projection status and rebuilds blue/green to the same read models', async () => {
    const before = await ledger.get(`/v1/customers/${customerId}/timeline?limit=50`);
    await ledger.projected();
    const status = await ledger.get('/v1/projections');
    expect(status.body.projections.map((p: { name: string }) => p.name)).toEqual(
      PROJECTIONS.map(({ name }) => name),
    );
    expect(
      status.body.projections.every(
        (p: { lag: number; status: string }) => p.lag === 0 && p.status === 'live',
      ),
    ).toBe(true);

    const rebuild = await ledger.post('/v1/projections/all/rebuild', {});
    expect(rebuild.status).toBe(202);
    await ledger.projected();
    const after = await ledger.get('/v1/projections');
    expect(after.body.projections.every((p: { generation: number }) => p.generation === 2)).toBe(true);
    expect((await ledger.get(`/v1/customers/${customerId}/timeline?limit=50`)).body).toEqual(before.body);
    expect((await ledger.post('/v1/projections/nope/rebuild', {})).status).toBe(404);
  });
});
