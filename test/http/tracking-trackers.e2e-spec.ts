// The test app first: it loads Nest (and reflect-metadata) before any DTO is decorated.
import { LedgerTestApp } from '../support/ledger-app';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium } from 'playwright-core';
import { eventIdOfMessage } from '../../src/application/tracking/tracking-messages';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../src/ports/event-store.port';

/**
 * The trackers stores really use, at their defaults, against the tracking API: RudderStack's Node SDK (gzip
 * bodies, a batch envelope with its own `timestamp`), Segment's Node library, and Segment's browser library
 * (analytics.js 2.0, `@segment/analytics-next`) in Chromium on a page of another origin (CORS, the short
 * paths, text/plain bodies). Each sends every call, then sends it all again with the same message ids; the
 * store must hold every message exactly once.
 */
const WRITE_KEY = 'real-trackers-write-key-0123456789abc';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `SKIPPED the analytics-next part of test/http/tracking-trackers.e2e-spec.ts: ${CHROMIUM} is missing.`,
  );
}

describe('real trackers at their defaults against the tracking API', () => {
  let ledger: LedgerTestApp;
  let store: EventStore;
  let host: string;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start({
      apiKeys: [{ principal: 'web-shop', roles: ['ingest'], keySha256: sha256(WRITE_KEY) }],
    });
    await ledger.app.listen(0, '127.0.0.1');
    host = await ledger.app.getUrl();
    store = ledger.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  /**
   * The calls a shop's tracker makes for one customer, with fixed message ids and times, so that the shop can
   * send them again as they were (a message id resent with another time is a conflict: docs/tracking.md).
   */
  const callsOf = (userId: string) => ({
    identify: {
      userId,
      messageId: `${userId}-identify`,
      timestamp: `2026-01-15T10:00:00.000Z`,
      traits: { name: 'Ada Lovelace', email: `${userId}@example.org`, plan: 'gold' },
    },
    page: {
      userId,
      messageId: `${userId}-page`,
      timestamp: `2026-01-15T10:01:00.000Z`,
      name: 'Home',
      properties: { url: 'https://shop.example/', title: 'Shop' },
    },
    viewed: {
      userId,
      messageId: `${userId}-viewed`,
      timestamp: `2026-01-15T10:02:00.000Z`,
      event: 'Product Viewed',
      properties: { product_id: 'P-1', price: 19.99, currency: 'EUR' },
    },
    order: {
      userId,
      messageId: `${userId}-order`,
      timestamp: `2026-01-15T10:03:00.000Z`,
      event: 'Order Completed',
      properties: {
        order_id: `${userId}-O1`,
        total: 39.98,
        currency: 'EUR',
        products: [{ sku: 'P-1', price: 19.99, quantity: 2 }],
      },
    },
    wishlist: {
      userId,
      messageId: `${userId}-wishlist`,
      timestamp: `2026-01-15T10:04:00.000Z`,
      event: 'Wishlist Product Added',
      properties: { product_id: 'P-2' },
    },
    screen: {
      userId,
      messageId: `${userId}-screen`,
      timestamp: '2026-01-15T10:05:00.000Z',
      name: 'Basket',
      properties: { items: 2 },
    },
    group: {
      userId,
      messageId: `${userId}-group`,
      timestamp: '2026-01-15T10:06:00.000Z',
      groupId: 'acme',
      traits: { name: 'Acme Ltd' },
    },
  });
  /** What each call must have recorded, by message id. */
  const expectedTypes = (userId: string) => ({
    [`${userId}-identify`]: 'CustomerRegistered',
    [`${userId}-page`]: 'ProductBrowsed',
    [`${userId}-viewed`]: 'ProductBrowsed',
    [`${userId}-order`]: 'PurchaseCompleted',
    [`${userId}-wishlist`]: 'EventTracked',
    [`${userId}-screen`]: 'EventTracked',
    [`${userId}-group`]: 'EventTracked',
  });

  /** Every message id of the customer recorded exactly once, with its type; nothing else in the log for it. */
  async function expectRecordedOnce(userId: string, types: Record<string, string>): Promise<RecordedEvent[]> {
    const all = await store.readAll();
    const byEventId = new Map<string, RecordedEvent[]>();
    for (const event of all) byEventId.set(event.eventId, [...(byEventId.get(event.eventId) ?? []), event]);
    for (const [messageId, type] of Object.entries(types)) {
      const recorded = byEventId.get(eventIdOfMessage(messageId)) ?? [];
      expect({ messageId, types: recorded.map((event) => event.type) }).toEqual({ messageId, types: [type] });
    }
    const own = await store.readStream(`customer-${userId}`);
    expect(own.filter((event) => event.type !== 'CustomerMerged')).toHaveLength(Object.keys(types).length);
    return own;
  }

  it('RudderStack Node SDK (gzip on, its batch envelope): every message once, a resend appends nothing', async () => {
    const userId = 'rudder-1';
    const calls = callsOf(userId);
    /** Every call through a fresh client; answers each call's delivery error (none when delivered). */
    const send = async (): Promise<unknown[]> => {
      // Defaults but the data plane: gzip, flushAt 20, retries; the SDK appends /v1/batch to the data plane URL.
      const client = new RudderAnalytics(WRITE_KEY, { dataPlaneUrl: `${host}/tracking` });
      // The SDK takes the time as a Date; each call's callback tells when its batch was delivered, or failed.
      const delivered: Promise<unknown>[] = [];
      const dated = <T extends { timestamp: string }>(call: T) => ({
        ...call,
        timestamp: new Date(call.timestamp),
      });
      const done = () => {
        let settle!: (error: unknown) => void;
        delivered.push(new Promise((resolve) => (settle = resolve)));
        return (error?: unknown) => settle(error ?? null);
      };
      const { identify, page, viewed, order, wishlist, screen, group } = calls;
      client.identify(dated(identify), done());
      client.page(dated(page), done());
      client.track(dated(viewed), done());
      client.track(dated(order), done());
      client.track(dated(wishlist), done());
      client.screen(dated(screen), done());
      client.group(dated(group), done());
      await client.flush().catch(() => undefined);
      return (await Promise.all(delivered)).filter((error) => error !== null);
    };
    expect(await send()).toEqual([]);
    const own = await expectRecordedOnce(userId, expectedTypes(userId));
    const order = own.find((event) => event.type === 'PurchaseCompleted')!;
    expect(order.data.total).toEqual({ amountMinor: 3998, currency: 'EUR' });
    expect(order.metadata.channel).toBe('server');

    const before = await store.lastPosition();
    expect(await send()).toEqual([]);
    expect(await store.lastPosition()).toBe(before);
  });

  it('Segment Node library: every message once, a resend appends nothing', async () => {
    const userId = 'segment-node-1';
    const calls = callsOf(userId);
    const send = async () => {
      const analytics = new SegmentAnalytics({ writeKey: WRITE_KEY, host, path: '/tracking/v1/batch' });
      const failures: unknown[] = [];
      analytics.on('error', (error) => failures.push(error));
      const { identify, page, viewed, order, wishlist, screen, group } = calls;
      analytics.identify(identify);
      analytics.page(page);
      analytics.track(viewed);
      analytics.track(order);
      analytics.track(wishlist);
      analytics.screen(screen);
      analytics.group(group);
      await analytics.closeAndFlush({ timeout: 20_000 });
      return failures;
    };
    expect(await send()).toEqual([]);
    await expectRecordedOnce(userId, expectedTypes(userId));
    const before = await store.lastPosition();
    expect(await send()).toEqual([]);
    expect(await store.lastPosition()).toBe(before);
  });

  (haveChromium ? describe : describe.skip)(
    'Segment browser library (analytics-next) on another origin',
    () => {
      let shop: Server;
      let shopUrl: string;
      let browser: Browser;
      /** One visitor's browser: its anonymous id (in localStorage) stays across the shop's pages. */
      let visitor: BrowserContext;

      beforeAll(async () => {
        // The shop's page on another origin (another port), with analytics.js's standalone build from the package.
        const bundle = readFileSync(
          join(require.resolve('@segment/analytics-next/package.json'), '..', 'dist', 'umd', 'index.js'),
        );
        shop = createServer((request, response) => {
          if (request.url === '/analytics.js') {
            response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
          } else {
            response
              .writeHead(200, { 'content-type': 'text/html' })
              .end('<!doctype html><title>Shop</title>');
          }
        });
        await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
        shopUrl = `http://localhost:${(shop.address() as AddressInfo).port}`;
        browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
        visitor = await browser.newContext();
      });
      afterAll(async () => {
        await browser?.close();
        await new Promise((resolve) => shop?.close(resolve));
      });

      /** Loads analytics-next in the shop's page, pointed at the ledger, and makes every call, awaiting delivery. */
      async function sendFromPage(userId: string): Promise<{ posted: string[]; failed: string[] }> {
        const page = await visitor.newPage();
        const failed: string[] = [];
        const posted: string[] = [];
        page.on('request', (request) => {
          if (request.method() === 'POST') posted.push(new URL(request.url()).pathname);
        });
        page.on('requestfailed', (request) =>
          failed.push(`${request.url()}: ${request.failure()?.errorText}`),
        );
        await page.goto(`${shopUrl}/`);
        await page.addScriptTag({ url: '/analytics.js' });
        const apiHost = `${new URL(host).host}/tracking/v1`;
        await page.evaluate(
          async ({ writeKey, apiHost, calls }) => {
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            const { AnalyticsBrowser } = (globalThis as any).AnalyticsNext;
            const settings = { apiKey: writeKey, apiHost, protocol: 'http' };
            const analytics = AnalyticsBrowser.load({
              writeKey,
              cdnSettings: { integrations: { 'Segment.io': settings } },
            });
            const { identify, page, viewed, order, wishlist, screen, group } = calls;
            const id = (call: { messageId: string; timestamp: string }) => ({
              messageId: call.messageId,
              timestamp: call.timestamp,
            });
            await analytics.identify(identify.userId, identify.traits, id(identify));
            await analytics.page(undefined, page.name, page.properties, id(page));
            await analytics.track(viewed.event, viewed.properties, id(viewed));
            await analytics.track(order.event, order.properties, id(order));
            await analytics.track(wishlist.event, wishlist.properties, id(wishlist));
            await analytics.screen(undefined, screen.name, screen.properties, id(screen));
            await analytics.group(group.groupId, group.traits, id(group));
          },
          { writeKey: WRITE_KEY, apiHost, calls: callsOf(userId) },
        );
        await page.close({ runBeforeUnload: true });
        return { posted, failed };
      }

      it('delivers every call through CORS and the short paths: every message once, a resend appends nothing', async () => {
        const userId = 'browser-1';
        const first = await sendFromPage(userId);
        expect(first.failed).toEqual([]);
        // analytics.js's short paths, one call per request (its default delivery).
        expect(first.posted.sort()).toEqual(
          ['i', 'p', 't', 't', 't', 's', 'g'].map((path) => `/tracking/v1/${path}`).sort(),
        );
        const own = await expectRecordedOnce(userId, expectedTypes(userId));
        // The browser's visitor was merged into the customer by identify: one merge, nothing lost.
        expect(own.filter((event) => event.type === 'CustomerMerged')).toHaveLength(1);
        const before = await store.lastPosition();
        expect((await sendFromPage(userId)).failed).toEqual([]);
        expect(await store.lastPosition()).toBe(before);
      });
    },
  );
});
