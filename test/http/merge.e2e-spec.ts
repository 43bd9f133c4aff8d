import { randomUUID } from 'node:crypto';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';
import { LedgerTestApp } from '../support/ledger-app';
import { aNewEvent } from '../support/events';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';
import { ReadModels } from '../../src/application/read-models/read-models';

/** Two records of one person become one; anonymous visitors join the customer they turn out to be. */
describe('merging customers and identifying anonymous visitors', () => {
  let ledger: LedgerTestApp;
  const id = () => `c-${randomUUID().slice(0, 8)}`;
  const register = (customerId: string, overrides: Record<string, unknown> = {}) =>
    ledger.post('/v1/customers', aRegistration({ customerId, ...overrides }));
  const merge = (survivorId: string, duplicateId: unknown) =>
    ledger.post(`/v1/customers/${survivorId}/merge`, { duplicateId });
  const complaint = (customerId: string, complaintId: string) =>
    ledger.post(
      '/v1/touchpoints',
      aTouchpoint(customerId, 'complaint', {
        complaintId,
        severity: 'high',
        description: `parcel ${complaintId} never arrived`,
      }),
    );

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('merges a duplicate: one profile, timeline and loyalty; the duplicate id redirects; the merge is audited', async () => {
    const survivor = id();
    const duplicate = id();
    await register(survivor, { name: 'Ada Lovelace', email: 'ada@example.org' });
    await register(duplicate, { name: 'A. Lovelace', email: 'ada.l@example.net' });
    await ledger.post('/v1/touchpoints', aPurchase(survivor, { occurredAt: '2026-10-01T10:00:00Z' }));
    await ledger.post('/v1/touchpoints', aPurchase(duplicate, { occurredAt: '2026-09-01T10:00:00Z' }));
    await complaint(duplicate, 'K-dup');
    await ledger.projected();
    const survivorBefore = (await ledger.get(`/v1/customers/${survivor}`)).body;

    const merged = await merge(survivor, duplicate);
    expect(merged.status).toBe(201);
    expect(merged.body).toMatchObject({ survivorId: survivor, duplicateId: duplicate, duplicate: false });
    await ledger.projected();

    const profile = (await ledger.get(`/v1/customers/${survivor}`)).body;
    expect(profile).toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada@example.org',
      purchaseCount: 2,
      complaintsFiled: 1,
      mergedFrom: [duplicate],
      firstSeenAt: '2026-09-01T10:00:00.000Z',
    });
    expect(Number(profile.netSpend.amount)).toBeCloseTo(2 * Number(survivorBefore.netSpend.amount), 2);
    expect(survivorBefore.loyalty.components).toMatchObject({ openComplaints: 0 });
    expect(profile.loyalty.components).toMatchObject({ openComplaints: 1, complaintsFiledInWindow: 1 });
    expect(profile.loyalty.components.frequency).toBeGreaterThan(survivorBefore.loyalty.components.frequency);

    const timeline = (await ledger.get(`/v1/customers/${survivor}/timeline?limit=50`)).body;
    const filed = timeline.entries.find((entry: { type: string }) => entry.type === 'ComplaintFiled');
    expect(filed.details.description).toBe('parcel K-dup never arrived');
    expect(timeline.entries.map((entry: { type: string }) => entry.type)).toEqual(
      expect.arrayContaining(['CustomerMerged', 'CustomerMergedInto', 'CustomerRegistered']),
    );

    const redirected = await ledger.get(`/v1/customers/${duplicate}/timeline?limit=5`);
    expect(redirected.status).toBe(308);
    expect(redirected.headers.location).toBe(`/v1/customers/${survivor}/timeline?limit=5`);
    expect(redirected.body).toMatchObject({ type: '/problems/customer-merged', survivorId: survivor });

    // Writes to the duplicate's id land on the survivor; its complaints resolve there.
    const resolved = await ledger.post(
      '/v1/touchpoints',
      aTouchpoint(duplicate, 'complaint-resolved', { complaintId: 'K-dup', satisfied: true }),
    );
    expect(resolved.status).toBe(201);
    expect(resolved.body.customerId).toBe(survivor);
    await ledger.projected();
    expect((await ledger.get(`/v1/customers/${survivor}`)).body.openComplaints).toEqual([]);

    const again = await merge(survivor, duplicate);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, position: merged.body.position });

    const audit = (await ledger.get(`/v1/customers/${survivor}/events`)).body;
    const mergeEvent = audit.events.find((event: { type: string }) => event.type === 'CustomerMerged');
    expect(mergeEvent).toMatchObject({
      data: { duplicateId: duplicate },
      metadata: { actor: expect.any(String) },
    });
  });

  it('refuses merging into itself, into an erased or merged customer, an unknown record, or one merged elsewhere', async () => {
    const [a, b, c, erased] = [id(), id(), id(), id()];
    for (const customerId of [a, b, c, erased]) await register(customerId);
    await ledger.request('DELETE', `/v1/customers/${erased}`);

    const itself = await merge(a, a);
    expect(itself.status).toBe(422);
    expect(itself.body.errors[0]).toMatchObject({ field: 'duplicateId' });
    expect((await merge(erased, b)).status).toBe(410);
    expect((await merge(a, 'c-nobody-' + randomUUID().slice(0, 6))).body.errors[0]).toMatchObject({
      field: 'duplicateId',
    });
    expect((await merge('c-nobody-x', a)).status).toBe(404);
    expect((await merge(a, { not: 'an id' })).status).toBe(400);

    expect((await merge(a, b)).status).toBe(201);
    const intoMerged = await merge(b, c);
    expect(intoMerged.status).toBe(409);
    expect(intoMerged.body.type).toBe('/problems/customer-merged');
    const mergedElsewhere = await merge(c, b);
    expect(mergedElsewhere.status).toBe(409);
    expect(mergedElsewhere.body.errors[0]).toMatchObject({ field: 'duplicateId' });
  });

  it("joins an anonymous visitor's history to the customer it is identified as, and refuses registering an anonymous id", async () => {
    const visitor = `anonymous:${randomUUID()}`;
    const customerId = id();
    await ledger.post(
      '/v1/touchpoints',
      aTouchpoint(visitor, 'browse', { productId: 'p-42' }, { occurredAt: '2026-08-01T09:00:00Z' }),
    );
    await ledger.post(
      '/v1/touchpoints',
      aTouchpoint(visitor, 'commit', { cartId: 'cart-7' }, { occurredAt: '2026-08-01T09:05:00Z' }),
    );
    await register(customerId);
    await ledger.projected();
    expect((await ledger.get(`/v1/customers/${customerId}`)).body.funnelStage).toBe('browsing');

    expect((await merge(customerId, visitor)).status).toBe(201);
    await ledger.projected();
    const profile = (await ledger.get(`/v1/customers/${customerId}`)).body;
    expect(profile).toMatchObject({ funnelStage: 'committed', firstSeenAt: '2026-08-01T09:00:00.000Z' });
    const later = await ledger.post('/v1/touchpoints', aTouchpoint(visitor, 'browse', { productId: 'p-43' }));
    expect(later.body.customerId).toBe(customerId);

    const reserved = await register(`anonymous:${randomUUID()}`);
    expect(reserved.status).toBe(422);
    expect(reserved.body.type).toBe('/problems/anonymous-id-reserved');
  });

  it('rebuilds merged customers to the same read models as folding live', async () => {
    const [survivor, duplicate, visitor] = [id(), id(), `anonymous:${randomUUID()}`];
    await register(survivor);
    await register(duplicate);
    await ledger.post('/v1/touchpoints', aTouchpoint(visitor, 'browse', { productId: 'p-1' }));
    await ledger.post('/v1/touchpoints', aPurchase(duplicate));
    await merge(duplicate, visitor);
    await complaint(duplicate, 'K-chain');
    await merge(survivor, duplicate);
    await ledger.post('/v1/touchpoints', aPurchase(survivor));
    await ledger.projected();
    const read = async () => [
      {
        ...(await ledger.get(`/v1/customers/${survivor}`)).body,
        loyalty: undefined,
        segment: undefined,
        predictions: undefined,
      },
      (await ledger.get(`/v1/customers/${survivor}/timeline?limit=50`)).body,
      (await ledger.get(`/v1/customers/${survivor}/loyalty?asOf=2026-12-01T00:00:00Z`)).body,
    ];
    const live = await read();
    // The visitor came with the duplicate, which had identified it.
    expect(live[0]).toMatchObject({ mergedFrom: [visitor, duplicate], purchaseCount: 2, complaintsFiled: 1 });
    expect(live[1].entries.some((entry: { type: string }) => entry.type === 'ProductBrowsed')).toBe(true);

    expect((await ledger.post('/v1/projections/all/rebuild', {})).status).toBe(202);
    await ledger.projected();
    expect(await read()).toEqual(live);
    expect((await ledger.get(`/v1/customers/${visitor}`)).status).toBe(308);
  });

  it("retries a parked event of a merged record into the survivor's documents, keeping the merged history", async () => {
    const [survivor, duplicate] = [id(), id()];
    await register(survivor);
    await register(duplicate);
    await ledger.post('/v1/touchpoints', aPurchase(duplicate));
    // Written past the API, as a faulty importer would: a survey off its scale, parked by every projection.
    await ledger.app.get<EventStore>(EVENT_STORE).append([
      {
        streamId: `customer-${duplicate}`,
        expectedRevision: 'any',
        events: [aNewEvent({ type: 'SurveyAnswered', data: { kind: 'csat', score: 0 } })],
      },
    ]);
    await merge(survivor, duplicate);
    await ledger.post('/v1/touchpoints', aPurchase(survivor));
    await ledger.projected();
    const profile = async () => ({
      ...(await ledger.get(`/v1/customers/${survivor}`)).body,
      loyalty: undefined,
      segment: undefined,
      predictions: undefined,
    });
    const before = await profile();
    expect(before).toMatchObject({ purchaseCount: 2, mergedFrom: [duplicate] });

    const retry = await ledger.post('/v1/projections/parked/retry', {});
    expect(retry.status).toBe(200);
    expect(retry.body.retried).toContainEqual(
      expect.objectContaining({ projection: 'customer-summary', stillParked: 1 }),
    );
    expect(await profile()).toEqual(before);
    // The merged record's own documents stay gone: it is no customer of its own any more.
    expect(await ledger.app.get(ReadModels).summary(duplicate)).toBeUndefined();
  });

  it("erases every merged record with the survivor, also when asked through the duplicate's id", async () => {
    const [survivor, duplicate] = [id(), id()];
    await register(survivor);
    await register(duplicate, { email: `dup-${duplicate}@example.org` });
    await complaint(duplicate, 'K-erase');
    await merge(survivor, duplicate);

    const erased = await ledger.request('DELETE', `/v1/customers/${duplicate}`);
    expect(erased.status).toBe(200);
    expect(erased.body.customerId).toBe(survivor);
    expect(JSON.stringify(erased.body.stores)).toContain(duplicate);
    await ledger.projected();
    const timeline = (await ledger.get(`/v1/customers/${survivor}/timeline?limit=50`)).body;
    const filed = timeline.entries.find((entry: { type: string }) => entry.type === 'ComplaintFiled');
    expect(filed.details.description).not.toContain('K-erase');
    expect((await ledger.get(`/v1/customers?email=dup-${duplicate}@example.org`)).body).toMatchObject({
      customers: [],
    });
  });
});
