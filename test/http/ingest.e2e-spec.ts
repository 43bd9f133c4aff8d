import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerTestApp } from '../support/ledger-app';
import { aPurchase, aRegistration, aTouchpoint } from '../fixtures/touchpoints';

describe('HTTP ingest API (v1)', () => {
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const eventsOf = async (customerId: string) =>
    (await ledger.get(`/v1/customers/${customerId}/events`)).body.events;

  describe('registering customers', () => {
    it('registers a customer and returns where the event was stored', async () => {
      const registration = aRegistration();
      const response = await ledger.post('/v1/customers', registration);

      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        customerId: registration.customerId,
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        streamRevision: 0,
        position: expect.any(Number),
        duplicate: false,
      });
      const [event] = await eventsOf(registration.customerId);
      expect(event).toMatchObject({
        type: 'CustomerRegistered',
        schemaVersion: 1,
        data: {
          name: 'Ada Lovelace',
          email: 'ada.lovelace@example.org',
          phone: '+44 20 7946 0958',
          country: 'GB',
        },
        metadata: { actor: 'anonymous', occurredAt: expect.any(String), recordedAt: expect.any(String) },
      });
    });

    it('refuses to register the same customer twice', async () => {
      const registration = aRegistration();
      await ledger.post('/v1/customers', registration);
      const again = await ledger.post('/v1/customers', { ...registration, name: 'Someone Else' });

      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(again.body).toMatchObject({
        status: 409,
        type: '/problems/already-registered',
        errors: [{ field: 'customerId' }],
      });
      expect(await eventsOf(registration.customerId)).toHaveLength(1);
    });

    it('lists every invalid field of a registration', async () => {
      const response = await ledger.post('/v1/customers', {
        customerId: '-bad id-',
        name: 42,
        email: 'not-an-email',
        country: 'Narnia',
        nickname: 'x',
      });

      expect(response.status).toBe(400);
      expect(response.body.type).toBe('/problems/validation');
      const fields = response.body.errors.map((error: { field: string }) => error.field);
      expect(new Set(fields)).toEqual(new Set(['customerId', 'name', 'email', 'country', 'nickname']));
      expect(response.body.errors).toContainEqual({ field: 'nickname', message: 'is not a known field' });
    });

    it('changes contact details of a registered customer and refuses them for an unknown one', async () => {
      const registration = aRegistration();
      await ledger.post('/v1/customers', registration);
      const changed = await ledger.request(
        'PATCH',
        `/v1/customers/${registration.customerId}/contact-details`,
        {
          email: 'ada@newmail.example',
          reason: 'customer request by phone',
        },
      );
      const unknown = await ledger.request('PATCH', '/v1/customers/nobody-1/contact-details', {
        email: 'x@example.org',
        reason: 'test',
      });
      const empty = await ledger.request(
        'PATCH',
        `/v1/customers/${registration.customerId}/contact-details`,
        {
          reason: 'nothing',
        },
      );

      expect(changed.status).toBe(200);
      expect((await eventsOf(registration.customerId))[1]).toMatchObject({
        type: 'ContactDetailsChanged',
        data: { email: 'ada@newmail.example', reason: 'customer request by phone' },
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({
        type: '/problems/customer-not-registered',
        errors: [{ field: 'customerId' }],
      });
      expect(empty.status).toBe(400);
      expect(empty.body.errors[0].field).toBe('name');
    });

    it('records consent granted and withdrawn', async () => {
      const { customerId } = aRegistration();
      const granted = await ledger.post(`/v1/customers/${customerId}/consents`, {
        purpose: 'marketing',
        granted: true,
        legalBasis: 'consent',
      });
      const withdrawn = await ledger.post(`/v1/customers/${customerId}/consents`, {
        purpose: 'marketing',
        granted: false,
      });
      const wrong = await ledger.post(`/v1/customers/${customerId}/consents`, {
        purpose: 'spam',
        granted: 'yes',
      });

      expect([granted.status, withdrawn.status]).toEqual([201, 201]);
      expect((await eventsOf(customerId)).map((event: { type: string }) => event.type)).toEqual([
        'ConsentGranted',
        'ConsentWithdrawn',
      ]);
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
        'granted',
        'purpose',
      ]);
    });
  });

  describe('recording touchpoints', () => {
    it('records every touchpoint type, unregistered customers included, with money in minor units', async () => {
      const customerId = `walk-in-${randomUUID().slice(0, 8)}`;
      const touchpoints = [
        aTouchpoint(customerId, 'browse', {
          url: 'https://shop.example/p/1',
          productId: 'p-1',
          category: 'garden',
        }),
        aTouchpoint(customerId, 'commit', { cartId: 'cart-9', value: { amount: 19.99, currency: 'EUR' } }),
        aPurchase(customerId, { data: { orderId: 'A-17', total: { amount: 120.5, currency: 'EUR' } } }),
        aTouchpoint(customerId, 'refund', {
          orderId: 'A-17',
          amount: { amount: 20, currency: 'EUR' },
          reason: 'damaged',
        }),
        aTouchpoint(customerId, 'survey', { kind: 'nps', score: 9, comment: 'Lovely staff' }),
        aTouchpoint(customerId, 'complaint', {
          complaintId: 'K-1',
          severity: 'high',
          description: 'Late delivery',
        }),
        aTouchpoint(customerId, 'complaint-resolved', {
          complaintId: 'K-1',
          resolution: 'Refunded shipping',
          satisfied: true,
        }),
        aTouchpoint(customerId, 'contact', {
          direction: 'outbound',
          topic: 'refund',
          note: 'Left a voicemail',
          durationSeconds: 60,
        }),
      ];
      for (const touchpoint of touchpoints) {
        const response = await ledger.post('/v1/touchpoints', touchpoint);
        expect(response.status).toBe(201);
      }

      const events = await eventsOf(customerId);
      expect(events.map((event: { type: string }) => event.type)).toEqual([
        'ProductBrowsed',
        'PurchaseCommitted',
        'PurchaseCompleted',
        'PurchaseRefunded',
        'SurveyAnswered',
        'ComplaintFiled',
        'ComplaintResolved',
        'CustomerContacted',
      ]);
      expect(events[7].data).toEqual({
        direction: 'outbound',
        topic: 'refund',
        note: 'Left a voicemail',
        durationSeconds: 60,
      });
      expect(events[2].data.total).toEqual({ amountMinor: 12050, currency: 'EUR' });
      expect(events[4].data.comment).toBe('Lovely staff');
      expect(events[7].data).toEqual({
        direction: 'outbound',
        topic: 'refund',
        note: 'Left a voicemail',
        durationSeconds: 60,
      });
      expect(events.map((event: { streamRevision: number }) => event.streamRevision)).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7,
      ]);
    });

    it('computes a purchase total from its items when no total is given', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      await ledger.post('/v1/touchpoints', aPurchase(customerId));
      const [event] = await eventsOf(customerId);
      expect(event.data.total).toEqual({ amountMinor: 12051, currency: 'EUR' });
    });

    it('answers a retried eventId with the original result and appends nothing', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const touchpoint = aPurchase(customerId, { eventId: randomUUID() });
      const first = await ledger.post('/v1/touchpoints', touchpoint);
      const retry = await ledger.post('/v1/touchpoints', touchpoint);

      expect(first.status).toBe(201);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual({ ...first.body, duplicate: true });
      expect(await eventsOf(customerId)).toHaveLength(1);
    });

    it('answers a retried complaint resolution as a duplicate, not as resolved twice', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      await ledger.post(
        '/v1/touchpoints',
        aTouchpoint(customerId, 'complaint', { complaintId: 'K-2', severity: 'low' }),
      );
      const resolution = aTouchpoint(
        customerId,
        'complaint-resolved',
        { complaintId: 'K-2' },
        { eventId: randomUUID() },
      );
      await ledger.post('/v1/touchpoints', resolution);
      const retry = await ledger.post('/v1/touchpoints', resolution);

      expect(retry.status).toBe(200);
      expect(retry.body.duplicate).toBe(true);
    });

    it('refuses a retried eventId with another body: 409 naming the id and the first differing field', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const eventId = randomUUID();
      const original = aPurchase(customerId, { eventId });
      await ledger.post('/v1/touchpoints', original);
      const changed = {
        ...original,
        data: {
          ...original.data,
          items: [{ sku: 'SKU-1', quantity: 3, unitPrice: { amount: 40.18, currency: 'EUR' } }],
        },
      };

      const reuse = await ledger.post('/v1/touchpoints', changed);

      expect(reuse.status).toBe(409);
      expect(reuse.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(reuse.body).toMatchObject({
        type: '/problems/event-id-reused',
        errors: [{ field: 'data.items[0].unitPrice.amount' }],
      });
      expect(reuse.body.detail).toContain(eventId);
      expect(await eventsOf(customerId)).toHaveLength(1);
      expect((await ledger.post('/v1/touchpoints', original)).status).toBe(200);
    });

    it('compares a retried body on every field the client sent, personal data included', async () => {
      const registration = { ...aRegistration(), eventId: randomUUID() };
      await ledger.post('/v1/customers', registration);
      const otherEmail = await ledger.post('/v1/customers', { ...registration, email: 'grace@example.org' });
      const otherTime = await ledger.post('/v1/touchpoints', {
        ...aTouchpoint(registration.customerId, 'browse', { url: 'https://shop.example/p/1' }),
        eventId: registration.eventId,
      });
      const sameAgain = await ledger.post('/v1/customers', registration);

      expect(otherEmail.status).toBe(409);
      expect(otherEmail.body.errors).toEqual([
        { field: 'email', message: expect.stringContaining('differs') },
      ]);
      expect(otherTime.status).toBe(409);
      expect(otherTime.body.errors[0].field).toBe('type');
      expect(sameAgain.status).toBe(200);
      expect(sameAgain.body.duplicate).toBe(true);
    });

    it('compares occurredAt only when the client sent one', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const eventId = randomUUID();
      const withoutTime = { customerId, type: 'browse', eventId, data: { url: 'https://shop.example/p/2' } };
      await ledger.post('/v1/touchpoints', withoutTime);

      expect((await ledger.post('/v1/touchpoints', withoutTime)).status).toBe(200);
      const withTime = await ledger.post('/v1/touchpoints', {
        ...withoutTime,
        occurredAt: '2020-01-01T00:00:00Z',
      });
      expect(withTime.status).toBe(409);
      expect(withTime.body.errors[0].field).toBe('occurredAt');
    });

    it('refuses an eventId already used for another customer', async () => {
      const eventId = randomUUID();
      await ledger.post('/v1/touchpoints', aPurchase('owner-1', { eventId }));
      const reuse = await ledger.post('/v1/touchpoints', aPurchase('other-1', { eventId }));

      expect(reuse.status).toBe(409);
      expect(reuse.body).toMatchObject({ type: '/problems/event-id-reused', errors: [{ field: 'eventId' }] });
      expect((await ledger.get('/v1/customers/other-1/events')).status).toBe(404);
    });

    it('refuses to resolve a complaint twice or one that was never filed', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      await ledger.post(
        '/v1/touchpoints',
        aTouchpoint(customerId, 'complaint', { complaintId: 'K-3', severity: 'critical' }),
      );
      const resolve = aTouchpoint(customerId, 'complaint-resolved', { complaintId: 'K-3' });
      const first = await ledger.post('/v1/touchpoints', resolve);
      const twice = await ledger.post('/v1/touchpoints', resolve);
      const never = await ledger.post(
        '/v1/touchpoints',
        aTouchpoint(customerId, 'complaint-resolved', { complaintId: 'K-404' }),
      );

      expect(first.status).toBe(201);
      expect(twice.status).toBe(409);
      expect(twice.body).toMatchObject({
        type: '/problems/complaint-already-resolved',
        errors: [{ field: 'data.complaintId' }],
      });
      expect(never.status).toBe(404);
      expect(never.body.errors[0].field).toBe('data.complaintId');
      expect(await eventsOf(customerId)).toHaveLength(2);
    });

    it('refuses an occurredAt more than 5 minutes in the future', async () => {
      const future = new Date(Date.now() + 10 * 60 * 1000).toISOString();
      const response = await ledger.post('/v1/touchpoints', aPurchase('c-future', { occurredAt: future }));
      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual([
        { field: 'occurredAt', message: expect.stringContaining('future') },
      ]);
    });

    it.each([
      ['wrong type name', { type: 'teleport' }, ['type']],
      ['score off the nps scale', { type: 'survey', data: { kind: 'nps', score: 11 } }, ['data.score']],
      ['csat score 0', { type: 'survey', data: { kind: 'csat', score: 0 } }, ['data.score']],
      [
        'too many decimals for EUR',
        { data: { orderId: 'A', total: { amount: 1.005, currency: 'EUR' } } },
        ['data.total.amount'],
      ],
      [
        'decimals for JPY',
        { data: { orderId: 'A', total: { amount: 10.5, currency: 'JPY' } } },
        ['data.total.amount'],
      ],
      [
        'unknown currency',
        { data: { orderId: 'A', total: { amount: 10, currency: 'XYZ' } } },
        ['data.total.currency'],
      ],
      [
        'amount as a string',
        { data: { orderId: 'A', total: { amount: '10', currency: 'EUR' } } },
        ['data.total.amount'],
      ],
      ['purchase without orderId', { data: { total: { amount: 1, currency: 'EUR' } } }, ['data.orderId']],
      [
        'unknown data field',
        { data: { orderId: 'A', total: { amount: 1, currency: 'EUR' }, coupon: 'X' } },
        ['data.coupon'],
      ],
      ['unknown envelope field', { sneaky: true }, ['sneaky']],
      ['malformed eventId', { eventId: 'not-a-uuid' }, ['eventId']],
      ['occurredAt without zone', { occurredAt: '2026-11-20 10:00' }, ['occurredAt']],
      ['bad customerId', { customerId: '../etc/passwd' }, ['customerId']],
      [
        'mixed currencies',
        {
          data: {
            orderId: 'A',
            items: [{ sku: 'S', quantity: 1, unitPrice: { amount: 1, currency: 'GBP' } }],
            total: { amount: 1, currency: 'EUR' },
          },
        },
        ['data.items[0].unitPrice.currency'],
      ],
      [
        'nested item errors',
        {
          data: {
            orderId: 'A',
            items: [{ sku: 'S', quantity: 0, unitPrice: { amount: -1, currency: 'EUR' } }],
          },
        },
        ['data.items[0].quantity', 'data.items[0].unitPrice.amount'],
      ],
      ['data not an object', { data: 'purchase' }, ['data']],
    ])('rejects %s with 400 naming the field', async (_, overrides, fields) => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const response = await ledger.post('/v1/touchpoints', { ...aPurchase(customerId), ...overrides });

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(
        [...new Set(response.body.errors.map((error: { field: string }) => error.field))].sort(),
      ).toEqual([...fields].sort());
      expect((await ledger.get(`/v1/customers/${customerId}/events`)).status).toBe(404);
    });

    it('rejects malformed JSON, a non-JSON media type and a body over 1 MiB', async () => {
      const malformed = await ledger.post('/v1/touchpoints', '{"customerId": "c-1", ');
      const text = await ledger.request('POST', '/v1/touchpoints', 'hello', { 'content-type': 'text/plain' });
      const huge = await ledger.post(
        '/v1/touchpoints',
        aPurchase('c-huge', { data: { orderId: 'x'.repeat(1024 * 1024) } }),
      );
      const array = await ledger.post('/v1/touchpoints', [aPurchase('c-array')]);

      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ title: 'Malformed request body', errors: [{ field: 'body' }] });
      expect(text.status).toBe(415);
      expect(huge.status).toBe(413);
      expect(huge.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(array.status).toBe(400);
      expect(array.body.errors).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    });
  });

  describe('batches', () => {
    it('records a batch across customers, results in order', async () => {
      const [a, b] = [`c-${randomUUID().slice(0, 8)}`, `c-${randomUUID().slice(0, 8)}`];
      const response = await ledger.post('/v1/touchpoints/batch', {
        touchpoints: [
          aTouchpoint(a, 'browse', { productId: 'p-1' }),
          aPurchase(b),
          aTouchpoint(a, 'complaint', { complaintId: 'K-9', severity: 'low' }),
          aTouchpoint(a, 'complaint-resolved', { complaintId: 'K-9' }),
        ],
      });

      expect(response.status).toBe(201);
      expect(
        response.body.results.map((result: { customerId: string; streamRevision: number }) => [
          result.customerId,
          result.streamRevision,
        ]),
      ).toEqual([
        [a, 0],
        [b, 0],
        [a, 1],
        [a, 2],
      ]);
    });

    it('validates all or nothing: one bad touchpoint rejects the batch and appends nothing', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const response = await ledger.post('/v1/touchpoints/batch', {
        touchpoints: [
          aPurchase(customerId),
          aTouchpoint(customerId, 'survey', { kind: 'ces', score: 9 }),
          aPurchase(customerId),
        ],
      });

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        { field: 'touchpoints[1].data.score', message: expect.any(String) },
      ]);
      expect((await ledger.get(`/v1/customers/${customerId}/events`)).status).toBe(404);
    });

    it('rejects the whole batch when one touchpoint breaks a rule of the customer history', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const response = await ledger.post('/v1/touchpoints/batch', {
        touchpoints: [
          aPurchase(customerId),
          aTouchpoint(customerId, 'complaint-resolved', { complaintId: 'nope' }),
        ],
      });

      expect(response.status).toBe(404);
      expect(response.body.errors[0].field).toBe('touchpoints[1].data.complaintId');
      expect((await ledger.get(`/v1/customers/${customerId}/events`)).status).toBe(404);
    });

    it('lists every domain error of a batch, one entry per touchpoint index, and appends nothing', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const other = `c-${randomUUID().slice(0, 8)}`;
      const response = await ledger.post('/v1/touchpoints/batch', {
        touchpoints: [
          aTouchpoint(customerId, 'complaint', { complaintId: 'K-1', severity: 'low' }),
          aTouchpoint(customerId, 'complaint-resolved', { complaintId: 'nope' }),
          aPurchase(other),
          aTouchpoint(customerId, 'complaint', { complaintId: 'K-1', severity: 'high' }),
          aTouchpoint(other, 'complaint-resolved', { complaintId: 'K-9' }),
        ],
      });

      expect(response.status).toBe(422);
      expect(response.body.type).toBe('/problems/commands-rejected');
      expect(response.body.errors).toEqual([
        {
          field: 'touchpoints[1].data.complaintId',
          code: 'complaint-not-filed',
          message: expect.any(String),
        },
        {
          field: 'touchpoints[3].data.complaintId',
          code: 'complaint-already-filed',
          message: expect.any(String),
        },
        {
          field: 'touchpoints[4].data.complaintId',
          code: 'complaint-not-filed',
          message: expect.any(String),
        },
      ]);
      expect((await ledger.get(`/v1/customers/${customerId}/events`)).status).toBe(404);
      expect((await ledger.get(`/v1/customers/${other}/events`)).status).toBe(404);
    });

    it('answers a retried batch with the original results', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      const batch = {
        touchpoints: [
          aPurchase(customerId, { eventId: randomUUID() }),
          aPurchase(customerId, { eventId: randomUUID() }),
        ],
      };
      const first = await ledger.post('/v1/touchpoints/batch', batch);
      const retry = await ledger.post('/v1/touchpoints/batch', batch);

      expect(retry.status).toBe(200);
      expect(retry.body.results).toEqual(
        first.body.results.map((result: object) => ({ ...result, duplicate: true })),
      );
      expect(await eventsOf(customerId)).toHaveLength(2);
    });

    it('rejects an empty batch, one over 1000, unknown fields and an eventId repeated within the batch', async () => {
      const tooMany = Array.from({ length: 1001 }, () => aTouchpoint('c-many', 'browse', { productId: 'p' }));
      const eventId = randomUUID();

      const empty = await ledger.post('/v1/touchpoints/batch', { touchpoints: [] });
      const over = await ledger.post('/v1/touchpoints/batch', { touchpoints: tooMany });
      const extra = await ledger.post('/v1/touchpoints/batch', {
        touchpoints: [aPurchase('c-x')],
        dryRun: true,
      });
      const repeated = await ledger.post('/v1/touchpoints/batch', {
        touchpoints: [aPurchase('c-rep', { eventId }), aPurchase('c-rep', { eventId })],
      });

      expect(empty.status).toBe(400);
      expect(over.status).toBe(400);
      expect(over.body.errors).toEqual([
        { field: 'touchpoints', message: 'must be an array of 1 to 1000 touchpoints' },
      ]);
      expect(extra.body.errors).toEqual([{ field: 'dryRun', message: 'is not a known field' }]);
      expect(repeated.status).toBe(422);
      expect(repeated.body.errors[0].field).toBe('touchpoints[1].eventId');
      expect((await ledger.get('/v1/customers/c-rep/events')).status).toBe(404);
    });
  });

  describe('reading the raw stream', () => {
    it('pages through a stream by revision', async () => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      await ledger.post('/v1/touchpoints/batch', {
        touchpoints: Array.from({ length: 5 }, (_, index) =>
          aTouchpoint(customerId, 'browse', { productId: `p-${index}` }),
        ),
      });
      const first = await ledger.get(`/v1/customers/${customerId}/events?limit=2`);
      const last = await ledger.get(`/v1/customers/${customerId}/events?limit=2&fromRevision=4`);
      const bad = await ledger.get(`/v1/customers/${customerId}/events?limit=abc&color=red`);

      // Stored as ProductBrowsed v2: the flat productId is the product's id.
      expect(
        first.body.events.map((event: { data: { product: { id: string } } }) => event.data.product.id),
      ).toEqual(['p-0', 'p-1']);
      expect(first.body.nextRevision).toBe(2);
      expect(last.body.nextRevision).toBeUndefined();
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
        'color',
        'limit',
      ]);
    });

    it('answers 404 for a customer with no events and 400 for a malformed id', async () => {
      expect((await ledger.get('/v1/customers/never-seen/events')).status).toBe(404);
      const malformed = await ledger.get('/v1/customers/%20bad/events');
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors[0].field).toBe('customerId');
    });
  });

  describe('personal data at rest', () => {
    it('leaves no plaintext name, e-mail, phone or free text in any file under the data directory', async () => {
      const secrets = {
        name: 'Zebulon Quixotic-Plaintext',
        email: 'zebulon.quixotic@plaintext.example',
        phone: '+33 6 12 34 56 78',
        comment: 'My neighbour Hortensia Vermillion recommended you',
        description: 'Parcel left at 17 Rue Imaginaire',
        resolution: 'Called back Zebulon on his mobile',
      };
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      await ledger.post(
        '/v1/customers',
        aRegistration({ customerId, name: secrets.name, email: secrets.email, phone: secrets.phone }),
      );
      await ledger.post(
        '/v1/touchpoints',
        aTouchpoint(customerId, 'survey', { kind: 'csat', score: 4, comment: secrets.comment }),
      );
      await ledger.post(
        '/v1/touchpoints',
        aTouchpoint(customerId, 'complaint', {
          complaintId: 'K-p',
          severity: 'low',
          description: secrets.description,
        }),
      );
      await ledger.post(
        '/v1/touchpoints',
        aTouchpoint(customerId, 'complaint-resolved', { complaintId: 'K-p', resolution: secrets.resolution }),
      );

      const events = await eventsOf(customerId);
      expect(events[0].data.name).toBe(secrets.name);
      const files = readdirSync(ledger.config.dataDir).map((file) =>
        readFileSync(join(ledger.config.dataDir, file)),
      );
      expect(files.length).toBeGreaterThanOrEqual(2);
      for (const secret of Object.values(secrets)) {
        for (const content of files) {
          expect(content.includes(Buffer.from(secret))).toBe(false);
          expect(content.includes(Buffer.from(secret, 'utf16le'))).toBe(false);
        }
      }
    });
  });

  describe('operations', () => {
    it('reports health and serves the OpenAPI document', async () => {
      const health = await ledger.get('/health');
      const docs = await ledger.get('/docs-json');

      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', checks: { eventStore: { status: 'up' } } });
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/customers',
          '/v1/touchpoints',
          '/v1/touchpoints/batch',
          '/v1/customers/{id}/events',
        ]),
      );
      expect(docs.body.components.schemas.PurchaseDataDto.properties.orderId).toBeDefined();
    });

    it('exposes Prometheus metrics: recorded events, request durations, projection lag', async () => {
      const response = await ledger.app.inject({ method: 'GET', url: '/metrics' });

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.body).toMatch(/^ledger_events_recorded_total\{outcome="appended"\} [1-9]\d*$/m);
      expect(response.body).toMatch(/^ledger_events_recorded_total\{outcome="duplicate"\} [1-9]\d*$/m);
      expect(response.body).toMatch(
        /ledger_http_request_duration_seconds_count\{method="POST",route="\/v1\/touchpoints",status="201"\} [1-9]/,
      );
      expect(response.body).toMatch(/^ledger_projection_lag_events\{projection="timeline"\} \d+$/m);
      expect(response.body).toMatch(/^ledger_log_position [1-9]\d*$/m);
    });

    it('answers an unknown route with problem+json 404', async () => {
      const response = await ledger.get('/v1/nothing-here');
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });
});
