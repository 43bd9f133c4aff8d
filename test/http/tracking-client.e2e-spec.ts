// The test app first: it loads Nest (and reflect-metadata) before any DTO is decorated.
import { LedgerTestApp } from '../support/ledger-app';
import { Analytics } from '@segment/analytics-node';
import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { MESSAGE_ID_NAMESPACE } from '../../src/application/tracking/tracking-messages';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../src/ports/event-store.port';
import { customerIdOf, readRees46, Rees46Row } from '../fixtures/rees46';

const WRITE_KEY = 'rees46-store-write-key-0123456789';
/** analytics-node runs in the shop's backend: its key never leaves the server, so it may change contacts. */
const SERVER_KEY = 'rees46-store-server-side-key-0123456789';
const AUDITOR_KEY = 'rees46-spec-auditor-key-0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const BUYERS = 30;

/**
 * REES46 rows (e-commerce behaviour, Oct 2019; data by REES46 / Open CDP, free to use with attribution) as a
 * store's tracker would send them with Segment's e-commerce spec: view = Product Viewed, cart = Cart Viewed
 * (the session is the cart), purchase = Order Completed (one product per row, prices in USD).
 */
function track(analytics: Analytics, row: Rees46Row): void {
  const common = {
    userId: customerIdOf(row.userId),
    messageId: `rees46-line-${row.line}`,
    timestamp: row.eventTime.replace(' UTC', 'Z').replace(' ', 'T'),
    context: { sessionId: row.session },
  };
  const product = { product_id: row.productId, sku: row.productId, price: Number(row.price), quantity: 1 };
  switch (row.eventType) {
    case 'view':
      return analytics.track({
        ...common,
        event: 'Product Viewed',
        properties: { ...product, category: row.categoryCode || row.categoryId, currency: 'USD' },
      });
    case 'cart':
      return analytics.track({
        ...common,
        event: 'Cart Viewed',
        properties: { cart_id: row.session, products: [product], currency: 'USD' },
      });
    case 'purchase':
      return analytics.track({
        ...common,
        event: 'Order Completed',
        properties: { order_id: `rees46-line-${row.line}`, products: [product], currency: 'USD' },
      });
  }
}

/** Integer cents of a REES46 price ("35.79"), from its text: what the store must hold. */
const centsOf = (price: string) => Number(price.replace('.', ''));

describe('the real @segment/analytics-node client against the tracking API, with REES46 rows', () => {
  let ledger: LedgerTestApp;
  let store: EventStore;
  let host: string;
  let rows: Rees46Row[];

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      apiKeys: [
        { principal: 'rees46-store', roles: ['ingest'], keySha256: sha256(WRITE_KEY) },
        { principal: 'rees46-backend', roles: ['ingest', 'rep'], keySha256: sha256(SERVER_KEY) },
        { principal: 'auditor', roles: ['auditor'], keySha256: sha256(AUDITOR_KEY) },
      ],
    });
    await ledger.app.listen(0, '127.0.0.1');
    host = await ledger.app.getUrl();
    store = ledger.app.get<EventStore>(EVENT_STORE);
    const all = readRees46();
    const buyers = [...new Set(all.filter((row) => row.eventType === 'purchase').map((row) => row.userId))];
    const chosen = new Set(buyers.slice(0, BUYERS));
    rows = all.filter((row) => chosen.has(row.userId));
  });
  afterAll(async () => {
    await ledger.stop();
  });

  /** Sends everything through a fresh client and waits until it is delivered; answers the HTTP statuses. */
  async function sendWithClient(
    send: (analytics: Analytics) => void,
    writeKey = WRITE_KEY,
  ): Promise<{ statuses: number[]; failures: unknown[] }> {
    const analytics = new Analytics({
      writeKey,
      host,
      path: '/tracking/v1/batch',
      flushAt: 40,
      flushInterval: 50,
      maxRetries: 0,
    });
    const statuses: number[] = [];
    const failures: unknown[] = [];
    analytics.on('http_response', (response) => statuses.push(response.status));
    analytics.on('error', (error) => failures.push(error));
    send(analytics);
    await analytics.closeAndFlush({ timeout: 30_000 });
    return { statuses, failures };
  }

  const streamOf = (row: Rees46Row) => store.readStream(`customer-${customerIdOf(row.userId)}`);

  it('records every row as the touchpoint of its event, with its time, product, session and price in cents', async () => {
    const { statuses, failures } = await sendWithClient((analytics) =>
      rows.forEach((row) => track(analytics, row)),
    );
    expect(failures).toEqual([]);
    expect(statuses.length).toBeGreaterThanOrEqual(Math.ceil(rows.length / 40));
    expect(new Set(statuses)).toEqual(new Set([200]));

    const byEventId = new Map<string, RecordedEvent>();
    for (const userId of new Set(rows.map((row) => row.userId))) {
      for (const event of await store.readStream(`customer-${customerIdOf(userId)}`))
        byEventId.set(event.eventId, event);
    }
    expect(byEventId.size).toBe(rows.length);
    for (const row of rows) {
      const event = byEventId.get(uuidv5(`rees46-line-${row.line}`, MESSAGE_ID_NAMESPACE));
      expect(event).toBeDefined();
      expect(event!.metadata.occurredAt).toBe(new Date(row.eventTime.replace(' UTC', 'Z')).toISOString());
      expect(event!.metadata.actor).toBe('rees46-store');
      const item = {
        sku: row.productId,
        quantity: 1,
        unitPrice: { amountMinor: centsOf(row.price), currency: 'USD' },
      };
      if (row.eventType === 'view') {
        expect(event!.type).toBe('ProductBrowsed');
        const stored = JSON.stringify(event!.data);
        for (const value of [
          row.productId,
          row.categoryCode || row.categoryId,
          row.session,
          `:${centsOf(row.price)},`,
        ])
          expect(stored).toContain(value);
      } else if (row.eventType === 'cart') {
        expect(event!.type).toBe('PurchaseCommitted');
        expect(event!.data).toEqual({ cartId: row.session, items: [item] });
      } else {
        expect(event!.type).toBe('PurchaseCompleted');
        expect(event!.data).toEqual({
          orderId: `rees46-line-${row.line}`,
          items: [item],
          total: { amountMinor: centsOf(row.price), currency: 'USD' },
        });
      }
    }
    // Per customer, the stream holds the customer's rows in the order they were sent.
    const first = rows[0]!;
    const own = rows.filter((row) => row.userId === first.userId);
    expect((await streamOf(first)).map((event) => event.eventId)).toEqual(
      own.map((row) => uuidv5(`rees46-line-${row.line}`, MESSAGE_ID_NAMESPACE)),
    );
  });

  it('stores nothing twice when the client sends everything again with the same message ids', async () => {
    const before = await store.lastPosition();
    const { statuses, failures } = await sendWithClient((analytics) =>
      rows.forEach((row) => track(analytics, row)),
    );
    expect(failures).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(await store.lastPosition()).toBe(before);
  });

  it('identifies a buyer through the client with a server-side key: registration with encrypted traits, then a change', async () => {
    const buyer = rows.find((row) => row.eventType === 'purchase')!;
    const userId = customerIdOf(buyer.userId);
    const { failures } = await sendWithClient((analytics) => {
      analytics.identify({
        userId,
        messageId: `identify-${userId}-1`,
        traits: { firstName: 'Rees', lastName: 'Buyer', email: `buyer-${buyer.userId}@example.org` },
      });
      analytics.identify({
        userId,
        messageId: `identify-${userId}-2`,
        traits: { email: `buyer-${buyer.userId}@example.net`, plan: 'basic' },
      });
    }, SERVER_KEY);
    expect(failures).toEqual([]);
    const stored = (await streamOf(buyer)).filter((event) => /Registered|ContactDetails/.test(event.type));
    expect(stored.map((event) => event.type)).toEqual(['CustomerRegistered', 'ContactDetailsChanged']);
    expect(JSON.stringify(stored.map((event) => event.data))).not.toMatch(/example\.|Rees|Buyer/);
    const response = await ledger.request('GET', `/v1/customers/${userId}/events`, undefined, {
      authorization: `Bearer ${AUDITOR_KEY}`,
    });
    const decrypted = (response.body.events as RecordedEvent[]).filter((event) =>
      /Registered|ContactDetails/.test(event.type),
    );
    expect(decrypted.map((event) => event.data)).toEqual([
      { name: 'Rees Buyer', email: `buyer-${buyer.userId}@example.org` },
      { email: `buyer-${buyer.userId}@example.net`, reason: 'identify call of a tracker (tracking API)' },
    ]);
  });

  it('fails the delivery, storing nothing, when the write key is not known', async () => {
    const before = await store.lastPosition();
    const { statuses, failures } = await sendWithClient(
      (analytics) => track(analytics, rows[0]!),
      'not-the-write-key-of-this-store-0000',
    );
    expect(statuses).toEqual([401]);
    expect(failures).toHaveLength(1);
    expect(await store.lastPosition()).toBe(before);
  });
});
