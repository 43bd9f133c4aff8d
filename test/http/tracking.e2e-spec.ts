// The test app first: it loads Nest (and reflect-metadata) before the DTOs below are decorated.
import { ApiResponse, LedgerTestApp } from '../support/ledger-app';
import { createHash } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { v5 as uuidv5 } from 'uuid';
import { MESSAGE_ID_NAMESPACE } from '../../src/application/tracking/tracking-messages';
import { EVENT_STORE, EventStore } from '../../src/ports/event-store.port';

const WRITE_KEY = 'tracking-write-key-of-the-web-shop-0001';
const AUDITOR_KEY = 'tracking-spec-auditor-key-0123456789';
const REP_KEY = 'tracking-spec-rep-key-without-ingest-01';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const API_KEYS = [
  { principal: 'web-shop-tracker', roles: ['ingest' as const], keySha256: sha256(WRITE_KEY) },
  { principal: 'auditor', roles: ['auditor' as const, 'rep' as const], keySha256: sha256(AUDITOR_KEY) },
  { principal: 'rep', roles: ['rep' as const], keySha256: sha256(REP_KEY) },
];

let sequence = 0;
/** A fresh customer id per test, so tests share one service without sharing customers. */
const aUserId = () => `trk-${process.pid}-${++sequence}`;
const aMessageId = () => `msg-${process.pid}-${++sequence}`;

describe('Segment-spec tracking API', () => {
  let ledger: LedgerTestApp;
  let store: EventStore;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ apiKeys: API_KEYS });
    store = ledger.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const send = (call: string, body: unknown, authorization = basic(WRITE_KEY)) =>
    ledger.post(`/tracking/v1/${call}`, body, { authorization });
  const eventsOf = async (customerId: string) => {
    const response = await ledger.request('GET', `/v1/customers/${customerId}/events`, undefined, {
      authorization: `Bearer ${AUDITOR_KEY}`,
    });
    return (response.body?.events ?? []) as {
      eventId: string;
      type: string;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    }[];
  };
  /** Runs a request that must be refused and checks that nothing at all was appended. */
  const refused = async (request: () => Promise<ApiResponse>) => {
    const before = await store.lastPosition();
    const response = await request();
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await store.lastPosition()).toBe(before);
    return response;
  };
  /** Runs a request some of whose messages are refused: problem+json, and only the others appended. */
  const partlyRefused = async (request: () => Promise<ApiResponse>, recorded: number) => {
    const before = await store.lastPosition();
    const response = await request();
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await store.lastPosition()).toBe(before + recorded);
    return response;
  };

  describe('write key', () => {
    const order = () => ({
      userId: aUserId(),
      event: 'Order Completed',
      properties: { order_id: 'A-1', total: 10, currency: 'EUR' },
    });

    it('takes the write key as HTTP Basic user name with an empty password, as Segment sends it', async () => {
      const response = await send('track', order());
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ success: true, results: [{ duplicate: false }] });
      const [event] = await eventsOf(response.body.results[0].customerId);
      expect(event!.metadata.actor).toBe('web-shop-tracker');
    });

    it('refuses a missing, unknown or malformed write key with 401 and a key without ingest with 403', async () => {
      const missing = await refused(() => ledger.post('/tracking/v1/track', order()));
      expect(missing.status).toBe(401);
      expect(missing.body.title).toMatch(/write key is required/);
      const unknown = await refused(() => send('track', order(), basic('not-a-key-of-this-service-000')));
      expect(unknown.status).toBe(401);
      expect(unknown.body.title).toBe('This API key is not known');
      const malformed = await refused(() => send('track', order(), 'Basic !!!'));
      expect(malformed.status).toBe(401);
      const rep = await refused(() => send('track', order(), basic(REP_KEY)));
      expect(rep.status).toBe(403);
    });

    it('keeps Basic auth to the tracking endpoints: the rest of the API still wants Bearer', async () => {
      const response = await ledger.request('GET', '/v1/customers/anyone/events', undefined, {
        authorization: basic(AUDITOR_KEY),
      });
      expect(response.status).toBe(401);
    });
  });

  describe('e-commerce events', () => {
    it('records Order Completed as a purchase in integer minor units, the message id as its event id', async () => {
      const userId = aUserId();
      const messageId = aMessageId();
      const response = await send('track', {
        userId,
        messageId,
        event: 'Order Completed',
        timestamp: '2026-03-01T10:00:00.000Z',
        properties: {
          order_id: 'ORD-17',
          total: 59.97,
          currency: 'EUR',
          products: [{ product_id: 'P-1', sku: 'SKU-1', name: 'Monopoly', price: 19.99, quantity: 3 }],
        },
      });
      expect(response.status).toBe(200);
      expect(response.body.results).toEqual([
        {
          messageId,
          customerId: userId,
          eventId: uuidv5(messageId, MESSAGE_ID_NAMESPACE),
          streamRevision: 0,
          position: expect.any(Number),
          duplicate: false,
        },
      ]);
      const [event] = await eventsOf(userId);
      expect(event).toMatchObject({
        eventId: uuidv5(messageId, MESSAGE_ID_NAMESPACE),
        type: 'PurchaseCompleted',
        data: {
          orderId: 'ORD-17',
          total: { amountMinor: 5997, currency: 'EUR' },
          items: [{ sku: 'SKU-1', quantity: 3, unitPrice: { amountMinor: 1999, currency: 'EUR' } }],
        },
        metadata: { occurredAt: '2026-03-01T10:00:00.000Z' },
      });
    });

    it('answers a resent message as a duplicate and a resent message id with another body with 409', async () => {
      const userId = aUserId();
      const message = {
        type: 'track',
        userId,
        messageId: aMessageId(),
        event: 'Order Completed',
        timestamp: '2026-03-01T10:00:00.000Z',
        properties: { order_id: 'ORD-1', total: 12.5, currency: 'EUR' },
      };
      const first = await send('track', message);
      const again = await send('batch', { batch: [message] });
      expect(again.status).toBe(200);
      expect(again.body.results[0]).toEqual({ ...first.body.results[0], duplicate: true });
      const changed = await refused(() =>
        send('batch', { batch: [{ ...message, properties: { ...message.properties, total: 13.5 } }] }),
      );
      expect(changed.status).toBe(409);
      expect(changed.body).toMatchObject({
        type: '/problems/event-id-reused',
        errors: [{ field: 'batch[0].properties.total' }],
      });
      expect(await eventsOf(userId)).toHaveLength(1);
    });

    it('maps Product Viewed and page calls to browse, Cart Viewed and Checkout Started to commit, Order Refunded to refund', async () => {
      const userId = aUserId();
      const context = {
        page: { url: 'https://shop.example/p/42', referrer: 'https://search.example/', title: 'Uno' },
        campaign: { name: 'spring' },
        sessionId: 'session-1',
      };
      const response = await send('batch', {
        batch: [
          { type: 'page', userId, name: 'Home', context, properties: { url: 'https://shop.example/' } },
          {
            type: 'track',
            userId,
            event: 'Product Viewed',
            context,
            properties: { product_id: 42, category: 'Games', name: 'Uno', price: 3.5, currency: 'EUR' },
          },
          {
            type: 'track',
            userId,
            event: 'Cart Viewed',
            properties: { cart_id: 'C-1', currency: 'EUR', products: [{ sku: 'U-1', price: 3.5 }] },
          },
          {
            type: 'track',
            userId,
            event: 'Checkout Started',
            properties: {
              order_id: 'O-9',
              value: 7,
              currency: 'EUR',
              products: [{ sku: 'U-1', price: 3.5, quantity: 2 }],
            },
          },
          {
            type: 'track',
            userId,
            event: 'Order Refunded',
            properties: { order_id: 'O-9', total: 3.5, currency: 'EUR', reason: 'broken' },
          },
        ],
      });
      expect(response.status).toBe(200);
      const events = await eventsOf(userId);
      expect(events.map((event) => event.type)).toEqual([
        'ProductBrowsed',
        'ProductBrowsed',
        'PurchaseCommitted',
        'PurchaseCommitted',
        'PurchaseRefunded',
      ]);
      // ProductBrowsed's stored shape evolves (flat, or v2 product and page): the values are what count. The
      // page's title is context.page.title before the page's name.
      const page = JSON.stringify(events[0]!.data);
      for (const value of [
        'https://shop.example/',
        'https://search.example/',
        'spring',
        'session-1',
        'Uno',
      ]) {
        expect(page).toContain(value);
      }
      const product = JSON.stringify(events[1]!.data);
      for (const value of ['"42"', 'Games', 'Uno', 'https://shop.example/p/42', '350']) {
        expect(product).toContain(value);
      }
      expect(events[2]!.data).toEqual({
        cartId: 'C-1',
        items: [{ sku: 'U-1', quantity: 1, unitPrice: { amountMinor: 350, currency: 'EUR' } }],
      });
      expect(events[3]!.data).toMatchObject({ orderId: 'O-9', value: { amountMinor: 700, currency: 'EUR' } });
      expect(events[4]!.data).toEqual({
        orderId: 'O-9',
        amount: { amountMinor: 350, currency: 'EUR' },
        reason: 'broken',
      });
    });

    it('records surveys and complaints with the documented events, their free text encrypted like any other', async () => {
      const userId = aUserId();
      const response = await send('batch', {
        batch: [
          {
            type: 'track',
            userId,
            event: 'Survey Answered',
            properties: { survey_id: 'S-1', kind: 'nps', score: 9, comment: 'Great service' },
          },
          {
            type: 'track',
            userId,
            event: 'Complaint Filed',
            properties: {
              complaint_id: 'K-1',
              severity: 'high',
              category: 'delivery',
              description: 'Parcel never came',
            },
          },
          {
            type: 'track',
            userId,
            event: 'Complaint Resolved',
            properties: { complaint_id: 'K-1', resolution: 'Resent', satisfied: true },
          },
        ],
      });
      expect(response.status).toBe(200);
      const events = await eventsOf(userId);
      expect(events.map(({ type, data }) => ({ type, data }))).toEqual([
        {
          type: 'SurveyAnswered',
          data: { surveyId: 'S-1', kind: 'nps', score: 9, comment: 'Great service' },
        },
        {
          type: 'ComplaintFiled',
          data: {
            complaintId: 'K-1',
            severity: 'high',
            category: 'delivery',
            description: 'Parcel never came',
          },
        },
        { type: 'ComplaintResolved', data: { complaintId: 'K-1', resolution: 'Resent', satisfied: true } },
      ]);
      const [stored] = await store.readStream(`customer-${userId}`, { maxCount: 1 });
      expect(JSON.stringify(stored!.data)).not.toContain('Great service');
    });

    it('names the message field of a rule the ledger enforces: a complaint resolved that was never filed', async () => {
      const response = await partlyRefused(
        () =>
          send('batch', {
            batch: [
              { type: 'page', userId: aUserId(), properties: { url: 'https://shop.example/' } },
              {
                type: 'track',
                userId: aUserId(),
                event: 'Complaint Resolved',
                properties: { complaint_id: 'K-404' },
              },
            ],
          }),
        1,
      );
      expect(response.status).toBe(404);
      expect(response.body.errors).toEqual([
        {
          field: 'batch[1].properties.complaint_id',
          message: 'no complaint K-404 was filed for this customer',
        },
      ]);
      // The page view was recorded all the same; the refused message says why in its result.
      expect(response.body.results[0]).toMatchObject({ duplicate: false });
      expect(response.body.results[1].refused.errors).toEqual(response.body.errors);
    });
  });

  describe('money', () => {
    const purchase = (total: unknown, currency: unknown) => ({
      type: 'track',
      userId: aUserId(),
      event: 'Order Completed',
      properties: { order_id: 'M-1', total, currency },
    });

    it('converts decimals exactly to the currency minor units (EUR 2, JPY 0, BHD 3)', async () => {
      const cases: [number, string, number][] = [
        [0.1, 'EUR', 10],
        [1234567.89, 'EUR', 123456789],
        [1200, 'JPY', 1200],
        [1.234, 'BHD', 1234],
      ];
      for (const [total, currency, amountMinor] of cases) {
        const message = purchase(total, currency);
        expect((await send('track', message)).status).toBe(200);
        const [event] = await eventsOf(message.userId);
        expect(event!.data.total).toEqual({ amountMinor, currency });
      }
    });

    it('keeps as sent, saying why, a purchase with more decimals than its currency has, no currency or a text price', async () => {
      const messages = [
        purchase(10.005, 'EUR'),
        purchase(1200.5, 'JPY'),
        purchase(10, undefined),
        { ...purchase(1, 'EUR'), properties: { order_id: 'M-3', total: '12.50', currency: 'EUR' } },
        purchase(1, 'EUR'),
      ];
      const response = await send('batch', { batch: messages });
      expect(response.status).toBe(200);
      expect(response.body.results.map((result: { notMapped?: unknown }) => result.notMapped)).toEqual([
        [{ field: 'batch[0].properties.total', message: 'total has more decimals than EUR allows' }],
        [{ field: 'batch[1].properties.total', message: 'total has more decimals than JPY allows' }],
        [
          {
            field: 'batch[2].properties.currency',
            message: 'currency must be an ISO 4217 currency code such as EUR',
          },
        ],
        [{ field: 'batch[3].properties.total', message: expect.stringContaining('total') }],
        undefined,
      ]);
      for (const [index, message] of messages.entries()) {
        const [event] = await eventsOf(message.userId);
        if (index < 4) {
          expect(event).toMatchObject({ type: 'EventTracked', data: { event: 'Order Completed' } });
          expect(JSON.parse(String(event!.data.properties))).toEqual(message.properties);
        } else {
          expect(event!.type).toBe('PurchaseCompleted');
        }
      }
    });
  });

  describe('clock', () => {
    const at = async (message: Record<string, unknown>, batchSentAt?: string) => {
      const userId = aUserId();
      const body = { type: 'page', userId, properties: { url: 'https://shop.example/' }, ...message };
      const before = Date.now();
      const response = await send('batch', {
        batch: [body],
        ...(batchSentAt ? { sentAt: batchSentAt } : {}),
      });
      expect(response.status).toBe(200);
      const [event] = await eventsOf(userId);
      return { occurredAt: Date.parse(String(event!.metadata.occurredAt)), before, after: Date.now() };
    };
    const HOUR = 3_600_000;

    it('takes an explicit timestamp as it is, whatever originalTimestamp and sentAt say', async () => {
      const { occurredAt } = await at({
        timestamp: '2025-12-24T18:00:00.000Z',
        originalTimestamp: '2030-01-01T00:00:00.000Z',
        sentAt: '2030-01-01T00:00:05.000Z',
      });
      expect(occurredAt).toBe(Date.parse('2025-12-24T18:00:00.000Z'));
    });

    it('corrects a device clock: receivedAt - (sentAt - originalTimestamp)', async () => {
      // The device clock runs 3 days fast; the call happened 1 hour before the device sent it.
      const deviceNow = Date.now() + 72 * HOUR;
      const { occurredAt, before, after } = await at({
        originalTimestamp: new Date(deviceNow - HOUR).toISOString(),
        sentAt: new Date(deviceNow).toISOString(),
      });
      expect(occurredAt).toBeGreaterThanOrEqual(before - HOUR - 1000);
      expect(occurredAt).toBeLessThanOrEqual(after - HOUR + 1000);
    });

    it("uses the batch's sentAt for messages without their own", async () => {
      const deviceNow = Date.now() - 10 * 24 * HOUR;
      const { occurredAt, before, after } = await at(
        { originalTimestamp: new Date(deviceNow - 2 * HOUR).toISOString() },
        new Date(deviceNow).toISOString(),
      );
      expect(occurredAt).toBeGreaterThanOrEqual(before - 2 * HOUR - 1000);
      expect(occurredAt).toBeLessThanOrEqual(after - 2 * HOUR + 1000);
    });

    it('takes originalTimestamp as it is without sentAt, and the receiving time without any', async () => {
      expect((await at({ originalTimestamp: '2025-06-01T08:30:00+02:00' })).occurredAt).toBe(
        Date.parse('2025-06-01T06:30:00Z'),
      );
      const { occurredAt, before, after } = await at({});
      expect(occurredAt).toBeGreaterThanOrEqual(before - 1000);
      expect(occurredAt).toBeLessThanOrEqual(after + 1000);
    });

    it('refuses a timestamp more than 5 minutes ahead, naming it, and a timestamp that is no ISO 8601', async () => {
      const future = await refused(() =>
        send('page', {
          userId: aUserId(),
          timestamp: new Date(Date.now() + 3_600_000).toISOString(),
          properties: { url: 'https://shop.example/' },
        }),
      );
      expect(future.status).toBe(422);
      expect(future.body.errors).toEqual([
        { field: 'timestamp', message: 'occurredAt is more than 5 minutes in the future' },
      ]);
      const garbled = await refused(() =>
        send('page', {
          userId: aUserId(),
          originalTimestamp: 'yesterday',
          properties: { url: 'https://shop.example/' },
        }),
      );
      expect(garbled.status).toBe(400);
      expect(garbled.body.errors[0].field).toBe('originalTimestamp');
    });
  });

  describe('identify', () => {
    it('registers an unknown userId from its traits, encrypted, and changes only the traits that changed', async () => {
      const userId = aUserId();
      const first = await send('identify', {
        userId,
        messageId: aMessageId(),
        traits: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', plan: 'gold' },
      });
      expect(first.status).toBe(200);
      const same = await send('identify', {
        userId,
        traits: { name: 'Ada Lovelace', email: 'ada@example.org' },
      });
      expect(same.body.results).toEqual([{ customerId: userId, unchanged: true }]);
      const moved = await send('identify', {
        userId,
        traits: { name: 'Ada Lovelace', email: 'ada.king@example.org', phone: '+44 20 7946 0958' },
      });
      expect(moved.status).toBe(200);
      const events = await eventsOf(userId);
      expect(events.map(({ type, data }) => ({ type, data }))).toEqual([
        { type: 'CustomerRegistered', data: { name: 'Ada Lovelace', email: 'ada@example.org' } },
        {
          type: 'ContactDetailsChanged',
          data: {
            email: 'ada.king@example.org',
            phone: '+44 20 7946 0958',
            reason: 'identify call of a tracker (tracking API)',
          },
        },
      ]);
      const stored = await store.readStream(`customer-${userId}`);
      expect(JSON.stringify(stored.map((event) => event.data))).not.toMatch(/ada|Lovelace|7946/);
    });

    it('keeps an identify that cannot register (no e-mail or no name) as sent, naming the missing trait', async () => {
      const [noMail, noName] = [aUserId(), aUserId()];
      const response = await send('batch', {
        batch: [
          { type: 'page', userId: aUserId(), properties: { url: 'https://shop.example/' } },
          { type: 'identify', userId: noMail, traits: { name: 'No Mail' } },
          { type: 'identify', userId: noName, traits: { email: 'no.name@example.org' } },
        ],
      });
      expect(response.status).toBe(200);
      expect(
        response.body.results.map(
          (result: { notMapped?: { field: string }[] }) => result.notMapped?.[0]?.field,
        ),
      ).toEqual([undefined, 'batch[1].traits.email', 'batch[2].traits.name']);
      expect((await eventsOf(noMail)).map((event) => event.data)).toEqual([
        { event: 'identify', properties: JSON.stringify({ traits: { name: 'No Mail' } }) },
      ]);
      const [stored] = await store.readStream(`customer-${noName}`);
      expect(stored!.type).toBe('EventTracked');
      expect(JSON.stringify(stored!.data)).not.toContain('no.name@example.org');
    });

    it('answers a resent identify as a duplicate and refuses its message id with other traits', async () => {
      const userId = aUserId();
      const message = {
        userId,
        messageId: aMessageId(),
        traits: { name: 'Mary Somerville', email: 'mary@example.org' },
      };
      const first = await send('identify', message);
      const again = await send('identify', message);
      expect(again.body.results[0]).toEqual({ ...first.body.results[0], duplicate: true });
      const other = await refused(() =>
        send('identify', { ...message, traits: { ...message.traits, name: 'Mary Fairfax' } }),
      );
      expect(other.status).toBe(409);
      expect(other.body.errors[0].field).toBe('traits.name');
      expect(await eventsOf(userId)).toHaveLength(1);
    });

    it('keeps an identify with traits of the wrong form as sent, naming them', async () => {
      const userId = aUserId();
      const response = await send('identify', {
        userId,
        traits: { name: 'X', email: 'not-an-email', phone: 'call me' },
      });
      expect(response.status).toBe(200);
      expect(response.body.results[0].notMapped.map((problem: { field: string }) => problem.field)).toEqual([
        'traits.email',
        'traits.phone',
      ]);
      expect((await eventsOf(userId)).map((event) => event.type)).toEqual(['EventTracked']);
    });
  });

  describe('anonymous visitors, identify and alias', () => {
    it('records an anonymous visitor under its own profile and merges it into the customer who identifies', async () => {
      const anonymousId = `anon-${aUserId()}`;
      const userId = aUserId();
      const response = await send('batch', {
        batch: [
          { type: 'track', anonymousId, event: 'Product Viewed', properties: { product_id: 'P-7' } },
          {
            type: 'identify',
            anonymousId,
            userId,
            traits: { name: 'Grace Hopper', email: 'grace@example.org' },
          },
          {
            type: 'track',
            anonymousId,
            userId,
            event: 'Order Completed',
            properties: { order_id: 'G-1', total: 5, currency: 'USD' },
          },
        ],
      });
      expect(response.status).toBe(200);
      expect(response.body.results[0].customerId).toBe(`anonymous:${anonymousId}`);
      expect(response.body.results[1].merged).toMatchObject({
        survivorId: userId,
        duplicateId: `anonymous:${anonymousId}`,
      });
      const survivor = await store.readStream(`customer-${userId}`);
      expect(survivor.map((event) => event.type)).toEqual([
        'CustomerRegistered',
        'CustomerMerged',
        'PurchaseCompleted',
      ]);
      const visitor = await store.readStream(`customer-anonymous:${anonymousId}`);
      expect(visitor.map((event) => event.type)).toEqual(['ProductBrowsed', 'CustomerMergedInto']);

      const resent = await send('batch', {
        batch: [
          {
            type: 'identify',
            anonymousId,
            userId,
            traits: { name: 'Grace Hopper', email: 'grace@example.org' },
          },
        ],
      });
      expect(resent.status).toBe(200);
      expect(await store.readStream(`customer-${userId}`)).toHaveLength(3);
    });

    it('merges the record an alias names into the customer', async () => {
      const previousId = aUserId();
      const userId = aUserId();
      await send('identify', { userId: previousId, traits: { name: 'Old Login', email: 'old@example.org' } });
      await send('identify', { userId, traits: { name: 'New Login', email: 'new@example.org' } });
      const response = await send('alias', { previousId, userId });
      expect(response.status).toBe(200);
      expect(response.body.results[0].merged).toMatchObject({ survivorId: userId, duplicateId: previousId });
      const refusedSelf = await refused(() => send('alias', { previousId: userId, userId }));
      expect(refusedSelf.status).toBe(422);
      expect(refusedSelf.body.errors[0].field).toBe('previousId');
    });
  });

  describe('unmapped events', () => {
    it('keeps a track event without a mapping by default as EventTracked, its properties encrypted at rest', async () => {
      const userId = aUserId();
      const messageId = aMessageId();
      const wishlist = {
        type: 'track',
        userId,
        messageId,
        event: 'Wishlist Product Added',
        properties: { product_id: 'p-9', note: 'for Ada, size 38' },
      };
      const response = await send('batch', { batch: [wishlist, { type: 'screen', userId, name: 'Home' }] });
      expect(response.status).toBe(200);
      expect(response.body.results[0]).toMatchObject({ messageId, customerId: userId, duplicate: false });

      const [stored] = await store.readStream(`customer-${userId}`);
      expect(stored).toMatchObject({ type: 'EventTracked', data: { event: 'Wishlist Product Added' } });
      expect(String(stored!.data.properties)).not.toContain('Ada');
      const events = await eventsOf(userId);
      expect(events.map((event) => event.data)).toEqual([
        { event: 'Wishlist Product Added', properties: JSON.stringify(wishlist.properties) },
        { event: 'screen', properties: JSON.stringify({ name: 'Home' }) },
      ]);
      expect((await send('batch', { batch: [wishlist] })).body.results[0]).toMatchObject({ duplicate: true });
    });
  });

  describe('browser trackers', () => {
    it('reads a batch that analytics.js posts as text/plain, and refuses text/plain anywhere else', async () => {
      const userId = aUserId();
      const page = { type: 'page', userId, properties: { url: 'https://shop.example/' } };
      const response = await ledger.request('POST', '/tracking/v1/batch', JSON.stringify({ batch: [page] }), {
        authorization: basic(WRITE_KEY),
        'content-type': 'text/plain;charset=UTF-8',
      });
      expect(response.status).toBe(200);
      expect((await eventsOf(userId)).map((event) => event.type)).toEqual(['ProductBrowsed']);

      const malformed = await refused(() =>
        ledger.request('POST', '/tracking/v1/batch', '{"batch": [', {
          authorization: basic(WRITE_KEY),
          'content-type': 'text/plain',
        }),
      );
      expect(malformed.status).toBe(400);
      const elsewhere = await refused(() =>
        ledger.request('POST', '/v1/touchpoints', JSON.stringify(page), {
          authorization: basic(WRITE_KEY),
          'content-type': 'text/plain',
        }),
      );
      expect(elsewhere.status).toBe(415);
    });
  });

  describe('malformed requests', () => {
    const page = () => ({ type: 'page', userId: aUserId(), properties: { url: 'https://shop.example/' } });

    it('refuses malformed JSON', async () => {
      const response = await refused(() => send('batch', '{"batch": [{"type": "page",'));
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('body');
    });

    it('refuses only the messages it cannot file (unknown type, no user), keeps those it cannot map, ignores unknown fields', async () => {
      const response = await partlyRefused(
        () =>
          send('batch', {
            batch: [
              page(),
              { type: 'screen2', userId: aUserId() },
              { type: 'page', properties: { url: 'https://shop.example/' } },
              { type: 'track', userId: 42, event: 'Order Completed', properties: [] },
              { ...page(), colour: 'red' },
              {
                type: 'track',
                userId: aUserId(),
                event: 'Order Completed',
                properties: { total: 1, currency: 'EUR' },
              },
              {
                type: 'track',
                userId: aUserId(),
                event: 'Cart Viewed',
                properties: { cart_id: 'C', products: {} },
              },
            ],
          }),
        4,
      );
      expect(response.status).toBe(400);
      expect(response.body.type).toBe('/problems/validation');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([
        'batch[1].type',
        'batch[2].userId',
        'batch[3].userId',
      ]);
      const results = response.body.results as Record<string, unknown>[];
      expect(
        results.map(
          (result) =>
            Object.keys(result)
              .filter((key) => key !== 'messageId')
              .sort()[0],
        ),
      ).toEqual(['customerId', 'refused', 'refused', 'refused', 'customerId', 'customerId', 'customerId']);
      expect(results[5]!.notMapped).toEqual([
        { field: 'batch[5].properties.order_id', message: expect.any(String) },
      ]);
      expect(results[6]!.notMapped).toEqual([
        { field: 'batch[6].properties.products', message: 'must be an array of products' },
      ]);
    });

    it('refuses an empty batch, one over 1000 messages, and a message over 32 KB', async () => {
      expect((await refused(() => send('batch', { batch: [] }))).body.errors[0].field).toBe('batch');
      const tooMany = await refused(() => send('batch', { batch: Array.from({ length: 1001 }, page) }));
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.errors).toEqual([
        { field: 'batch', message: 'must be an array of 1 to 1000 messages' },
      ]);
      const big = { ...page(), properties: { url: 'https://shop.example/', note: 'x'.repeat(33 * 1024) } };
      expect(
        (await partlyRefused(() => send('batch', { batch: [page(), big] }), 1)).body.errors[0].field,
      ).toBe('batch[1]');
    });

    it('refuses a type other than the endpoint says, and keeps an alias without previousId as sent', async () => {
      const wrong = await refused(() => send('track', page()));
      expect(wrong.body.errors[0]).toEqual({
        field: 'type',
        message: 'must be track on this endpoint (or left out)',
      });
      const alias = await send('alias', { userId: aUserId() });
      expect(alias.status).toBe(200);
      expect(alias.body.results[0].notMapped[0].field).toBe('previousId');
    });
  });
});

describe('Segment-spec tracking API with LEDGER_TRACKING_UNMAPPED=refuse', () => {
  let ledger: LedgerTestApp;
  let store: EventStore;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ apiKeys: API_KEYS, trackingUnmapped: 'refuse' });
    store = ledger.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('refuses a track event without a mapping, naming it, and records the others of the batch', async () => {
    const response = await ledger.post(
      '/tracking/v1/batch',
      {
        batch: [
          { type: 'page', userId: aUserId(), properties: { url: 'https://shop.example/' } },
          { type: 'track', userId: aUserId(), event: 'Products Searched', properties: { query: 'uno' } },
        ],
      },
      { authorization: basic(WRITE_KEY) },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        field: 'batch[1].event',
        message: expect.stringContaining('event "Products Searched" has no touchpoint in the ledger'),
      },
    ]);
    expect(response.body.results[0]).toMatchObject({ duplicate: false });
    expect(await store.lastPosition()).toBe(1);
  });
});

describe('Segment-spec tracking API with LEDGER_TRACKING_UNMAPPED=skip', () => {
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ apiKeys: API_KEYS, trackingUnmapped: 'skip' });
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('records the mapped messages and answers each unmapped one as skipped, saying why', async () => {
    const userId = aUserId();
    const response = await ledger.post(
      '/tracking/v1/batch',
      {
        batch: [
          {
            type: 'track',
            userId,
            event: 'Products Searched',
            messageId: 'm-1',
            properties: { query: 'uno' },
          },
          { type: 'screen', userId, name: 'Home' },
          { type: 'page', userId, messageId: 'm-3', properties: { url: 'https://shop.example/' } },
        ],
      },
      { authorization: basic(WRITE_KEY) },
    );
    expect(response.status).toBe(200);
    expect(response.body.results).toEqual([
      { messageId: 'm-1', skipped: expect.stringContaining('event "Products Searched" has no touchpoint') },
      { skipped: expect.stringContaining('screen calls have no touchpoint') },
      expect.objectContaining({ messageId: 'm-3', customerId: userId, duplicate: false }),
    ]);
    const events = await ledger.app.get<EventStore>(EVENT_STORE).readStream(`customer-${userId}`);
    expect(events.map((event) => event.type)).toEqual(['ProductBrowsed']);
  });
});

describe('Segment-spec tracking API: compressed bodies, CORS and short paths', () => {
  const SHOP = 'https://shop.example';
  let ledger: LedgerTestApp;
  let store: EventStore;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({ apiKeys: API_KEYS, trackingCorsOrigins: [SHOP] });
    store = ledger.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const post = (url: string, payload: Buffer | string, headers: Record<string, string>) =>
    ledger.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { authorization: basic(WRITE_KEY), 'content-type': 'application/json', ...headers },
    });
  const pageOf = (userId: string) => ({
    type: 'page',
    userId,
    properties: { url: 'https://shop.example/' },
  });

  it('reads gzip and deflate bodies, and refuses other codings and a body that is not what it says', async () => {
    const [zipped, deflated] = [aUserId(), aUserId()];
    const gzipped = await post('/tracking/v1/batch', gzipSync(JSON.stringify({ batch: [pageOf(zipped)] })), {
      'content-encoding': 'gzip',
    });
    expect(gzipped.statusCode).toBe(200);
    const inflated = await post('/tracking/v1/p', deflateSync(JSON.stringify(pageOf(deflated))), {
      'content-encoding': 'deflate',
    });
    expect(inflated.statusCode).toBe(200);
    for (const userId of [zipped, deflated]) {
      expect((await store.readStream(`customer-${userId}`)).map((event) => event.type)).toEqual([
        'ProductBrowsed',
      ]);
    }
    const before = await store.lastPosition();
    const brotli = await post('/tracking/v1/batch', JSON.stringify({ batch: [pageOf(aUserId())] }), {
      'content-encoding': 'br',
    });
    expect(brotli.statusCode).toBe(415);
    expect(brotli.json().errors[0].field).toBe('content-encoding');
    const notGzip = await post('/tracking/v1/batch', JSON.stringify({ batch: [pageOf(aUserId())] }), {
      'content-encoding': 'gzip',
    });
    expect(notGzip.statusCode).toBe(400);
    expect(notGzip.headers['content-type']).toMatch(/^application\/problem\+json/);
    // Only the tracking API decodes: elsewhere a coded body is refused, not misread.
    const elsewhere = await post('/v1/touchpoints', gzipSync('{}'), { 'content-encoding': 'gzip' });
    expect(elsewhere.statusCode).toBe(415);
    expect(await store.lastPosition()).toBe(before);
  });

  it('applies the 1 MiB limit to the decompressed body: a decompression bomb is answered 413, nothing stored', async () => {
    const before = await store.lastPosition();
    // 8 MiB of spaces inside valid JSON: about 8 KB gzipped, far under the limit on the wire.
    const bomb = gzipSync(
      Buffer.concat([Buffer.from('{"batch":['), Buffer.alloc(8 * 1024 * 1024, ' '), Buffer.from(']}')]),
    );
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const response = await post('/tracking/v1/batch', bomb, { 'content-encoding': 'gzip' });
    expect(response.statusCode).toBe(413);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await store.lastPosition()).toBe(before);
  });

  it("answers preflights of the tracking paths for the configured origins, never with credentials, and nothing else's", async () => {
    const preflight = (url: string, origin: string) =>
      ledger.app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('/tracking/v1/t', SHOP);
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': SHOP,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'Authorization, Content-Type, X-Retry-Count',
      vary: 'Origin',
    });
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();

    const stranger = await preflight('/tracking/v1/t', 'https://evil.example');
    expect(stranger.statusCode).toBe(204);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    expect(stranger.headers['access-control-allow-headers']).toBeUndefined();

    const userId = aUserId();
    const tracked = await post('/tracking/v1/b', JSON.stringify({ batch: [pageOf(userId)] }), {
      origin: SHOP,
      'content-type': 'text/plain',
    });
    expect(tracked.statusCode).toBe(200);
    expect(tracked.headers['access-control-allow-origin']).toBe(SHOP);
    expect(tracked.headers['access-control-allow-credentials']).toBeUndefined();

    // The rest of the API is for the ledger's own pages and servers: no CORS at all.
    expect((await preflight('/v1/touchpoints', SHOP)).headers['access-control-allow-origin']).toBeUndefined();
    const other = await ledger.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: SHOP },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes the short paths of analytics.js and the envelope fields of every library, ignoring what it does not use', async () => {
    const userId = aUserId();
    const envelope = {
      batch: [
        {
          ...pageOf(userId),
          messageId: 'env-1',
          writeKey: WRITE_KEY,
          _metadata: { bundled: ['Segment.io'], unbundled: [] },
          integrations: { All: true },
          receivedAt: 'whenever',
          library: 'unknown top-level field',
        },
        { type: 'screen', userId, name: 'Basket', messageId: 'env-2' },
        { type: 'group', userId, groupId: 'acme', traits: { employees: 12 }, messageId: 'env-3' },
      ],
      timestamp: new Date().toISOString(),
      sentAt: 'not a time',
      writeKey: WRITE_KEY,
      messageId: 'the batch has one too',
      _metadata: { nodeVersion: '20' },
      integrations: [],
      context: 'not an object',
    };
    const response = await post('/tracking/v1/b', JSON.stringify(envelope), {});
    expect(response.statusCode).toBe(200);
    expect((await store.readStream(`customer-${userId}`)).map((event) => event.type)).toEqual([
      'ProductBrowsed',
      'EventTracked',
      'EventTracked',
    ]);
    for (const [path, body] of [
      ['/tracking/v1/s', { userId, name: 'Home' }],
      ['/tracking/v1/g', { userId, groupId: 'acme' }],
      ['/tracking/v1/screen', { userId, name: 'Checkout' }],
    ] as const) {
      expect((await post(path, JSON.stringify(body), {})).statusCode).toBe(200);
    }
    expect(await store.readStream(`customer-${userId}`)).toHaveLength(6);
  });
});
