import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { PROJECTIONS } from '../../projections/catalog';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { EVENT_STORE, EventStore, NewEvent, RecordedEvent } from '../../src/ports/event-store.port';
import { READ_STORE, ReadStore } from '../../src/ports/read-store.port';
import { isUpcasting, storedEventsOf } from '../../src/ports/upcasting-event-store';
import { LedgerTestApp } from '../support/ledger-app';
import { runLedgerCli } from '../support/ledger-cli';

/**
 * The proof of schema evolution: the same facts written as ProductBrowsed v1 (as the ledger wrote them before
 * v2), as v2, and mixed, read and rebuild to the same read models and the same answers on every read path,
 * while the stored v1 events stay as written.
 */

interface Fact {
  readonly customerId: string;
  readonly type: string;
  /** For browses: the flat body the API accepts, which is also v1's stored data. */
  readonly data: Record<string, unknown>;
  /** For browses: the same fact in v2, written by hand (not by the upcaster under test). */
  readonly v2?: Record<string, unknown>;
  /** Written by a newer ledger than this one: refused, parked. */
  readonly schemaVersion?: number;
}

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const FACTS: readonly Fact[] = [
  {
    customerId: 'se-1',
    type: 'ProductBrowsed',
    data: { productId: 'p-1', category: 'garden', campaign: 'spring', sessionId: 's-1' },
    v2: { product: { id: 'p-1', category: 'garden' }, campaign: 'spring', sessionId: 's-1' },
  },
  {
    customerId: 'se-1',
    type: 'ProductBrowsed',
    data: { url: 'https://shop.example/garden', category: 'garden', referrer: 'https://search.example/' },
    v2: {
      page: { url: 'https://shop.example/garden', referrer: 'https://search.example/', category: 'garden' },
    },
  },
  {
    customerId: 'se-2',
    type: 'ProductBrowsed',
    data: { url: 'https://shop.example/' },
    v2: { page: { url: 'https://shop.example/' } },
  },
  { customerId: 'se-1', type: 'PurchaseCommitted', data: { cartId: 'cart-1', value: eur(4_990) } },
  { customerId: 'se-1', type: 'PurchaseCompleted', data: { orderId: 'o-1', total: eur(4_990) } },
  {
    customerId: 'se-2',
    type: 'ProductBrowsed',
    data: { productId: 'p-7', referrer: 'https://mail.example/', campaign: 'newsletter' },
    v2: { product: { id: 'p-7' }, page: { referrer: 'https://mail.example/' }, campaign: 'newsletter' },
  },
  {
    customerId: 'se-2',
    type: 'ComplaintFiled',
    data: { complaintId: 'k-1', severity: 'high', category: 'delivery' },
  },
  { customerId: 'se-1', type: 'SurveyAnswered', data: { kind: 'nps', score: 9, orderId: 'o-1' } },
  {
    customerId: 'se-3',
    type: 'ProductBrowsed',
    data: { productId: 'p-2', url: 'https://shop.example/p-2', category: 'kitchen' },
    v2: { product: { id: 'p-2', category: 'kitchen' }, page: { url: 'https://shop.example/p-2' } },
  },
  // A ProductBrowsed v3, as a newer ledger would write it: this one cannot know its shape.
  {
    customerId: 'se-3',
    type: 'ProductBrowsed',
    data: { products: [{ id: 'p-3' }] },
    schemaVersion: 3,
  },
  { customerId: 'se-1', type: 'PurchaseCompleted', data: { orderId: 'o-2', total: eur(1_250) } },
  { customerId: 'se-4', type: 'PurchaseCompleted', data: { orderId: 'o-3', total: eur(10_000) } },
  { customerId: 'se-4', type: 'PurchaseRefunded', data: { orderId: 'o-3', amount: eur(2_500) } },
  {
    customerId: 'se-4',
    type: 'ProductBrowsed',
    data: { productId: 'p-9', sessionId: 's-4' },
    v2: { product: { id: 'p-9' }, sessionId: 's-4' },
  },
  { customerId: 'se-2', type: 'ComplaintResolved', data: { complaintId: 'k-1', satisfied: false } },
];
const CUSTOMERS = [...new Set(FACTS.map((fact) => fact.customerId))];
const EVENT_IDS = FACTS.map(() => uuidv7());
const occurredAt = (index: number) => new Date(Date.UTC(2025, 2, 1, 9) + index * 3_600_000).toISOString();
const BROWSES = FACTS.flatMap((fact, index) => (fact.v2 ? [index] : []));
const FUTURE_EVENT = FACTS.findIndex((fact) => fact.schemaVersion === 3);

type Writing = 'v1' | 'v2' | 'mixed';

/** The facts as stored events; browses in v1 or v2 (mixed: every other browse in each). */
function storedFacts(writing: Writing): NewEvent[] {
  return FACTS.map((fact, index) => {
    const asV2 = fact.v2 && (writing === 'v2' || (writing === 'mixed' && BROWSES.indexOf(index) % 2 === 1));
    return {
      eventId: EVENT_IDS[index]!,
      type: fact.type,
      schemaVersion: fact.schemaVersion ?? (asV2 ? 2 : 1),
      data: asV2 ? fact.v2! : fact.data,
      metadata: {
        occurredAt: occurredAt(index),
        recordedAt: occurredAt(index),
        actor: 'ledger-before-v2',
        channel: 'web',
        correlationId: EVENT_IDS[index]!,
      },
    };
  });
}

/** A data directory whose event store holds the facts, appended through the store port one by one. */
async function dataDirWith(writing: Writing): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), `ledger-schema-${writing}-`));
  const store = createSqliteEventStore({ file: join(dataDir, 'events.db') });
  for (const [index, event] of storedFacts(writing).entries()) {
    await store.append([
      { streamId: `customer-${FACTS[index]!.customerId}`, expectedRevision: 'any', events: [event] },
    ]);
  }
  await store.close();
  return dataDir;
}

const masterKey = randomBytes(32);
const WRITINGS: readonly Writing[] = ['v1', 'v2', 'mixed'];
const dataDirs = {} as Record<Writing, string>;
const apps = {} as Record<Writing, LedgerTestApp>;
const cliEnv = (writing: Writing) => ({
  DATA_DIR: dataDirs[writing],
  LEDGER_MASTER_KEY: masterKey.toString('base64'),
  LOG_LEVEL: 'silent',
});

/** Every document of a projection's active collection, in a stable order. */
async function documents(app: LedgerTestApp, projection: string): Promise<unknown[]> {
  const reads = app.app.get<ReadStore>(READ_STORE);
  const collection = app.app.get<ProjectionEngine>(PROJECTION_ENGINE).collection(projection);
  const all: unknown[] = [];
  for await (const doc of reads.scan<Record<string, unknown>>(collection)) all.push(doc);
  return all.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/**
 * A profile without what the reading clock decides: its loyalty and segment are computed as of now (the
 * loyalty endpoint is compared as of a fixed instant instead).
 */
function clockFree({
  loyalty,
  segment,
  predictions,
  ...profile
}: {
  loyalty: { score: number; tier: string };
  segment: Record<string, unknown>;
  predictions: Record<string, unknown>;
}) {
  return {
    ...profile,
    loyalty: { score: loyalty.score, tier: loyalty.tier },
    segment: { ...segment, asOf: 'now' },
    predictions: { ...predictions, asOf: 'now' },
  };
}

/** An event as a reader gets it, without its hashes (they cover the stored bytes, which differ by writing). */
const withoutHashes = ({ hash: _hash, prevHash: _prevHash, ...event }: RecordedEvent) => event;

describe('schema evolution: ProductBrowsed v1 and v2 read and rebuild alike', () => {
  jest.setTimeout(120_000);

  beforeAll(async () => {
    for (const writing of WRITINGS) dataDirs[writing] = await dataDirWith(writing);
  });
  afterAll(async () => {
    for (const writing of WRITINGS) {
      await apps[writing]?.app.close();
      rmSync(dataDirs[writing], { recursive: true, force: true });
    }
  });

  describe('the CLI, before any service ran', () => {
    it('exports the same events from each store, browses in v2', async () => {
      const exports = {} as Record<Writing, unknown[]>;
      for (const writing of WRITINGS) {
        const run = await runLedgerCli(cliEnv(writing), ['export', '--format', 'ndjson']);
        expect(run.code).toBe(0);
        exports[writing] = run.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .map(({ hash: _hash, prevHash: _prevHash, ...line }) => line);
      }
      expect(exports.v1).toHaveLength(FACTS.length);
      expect(exports.v1).toEqual(exports.v2);
      expect(exports.mixed).toEqual(exports.v2);
      const browse = exports.v1.find((line) => (line as { eventId: string }).eventId === EVENT_IDS[0]);
      expect(browse).toMatchObject({ type: 'ProductBrowsed', data: FACTS[0]!.v2 });
    });

    it("gives the same customer as of an instant (as-of folds the stored events through the projections' guard)", async () => {
      const answers = [];
      for (const writing of WRITINGS) {
        const run = await runLedgerCli(cliEnv(writing), ['as-of', 'se-1', '--at', occurredAt(FACTS.length)]);
        expect(run.code).toBe(0);
        answers.push(JSON.parse(run.stdout) as unknown);
      }
      expect(answers[0]).toMatchObject({ timeline: expect.any(Array) });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
    });
  });

  describe('the service', () => {
    beforeAll(async () => {
      for (const writing of WRITINGS) {
        apps[writing] = await LedgerTestApp.start({ dataDir: dataDirs[writing], masterKey });
        await apps[writing].projected();
      }
    });

    it('reads through an upcasting store', () => {
      for (const writing of WRITINGS) expect(isUpcasting(apps[writing].app.get(EVENT_STORE))).toBe(true);
    });

    it.each(PROJECTIONS.map((projection) => projection.name))(
      'rebuilds %s to the same documents from v1, v2 and mixed events',
      async (projection) => {
        const v1 = await documents(apps.v1, projection);
        expect(v1.length).toBeGreaterThan(0);
        expect(await documents(apps.v2, projection)).toEqual(v1);
        expect(await documents(apps.mixed, projection)).toEqual(v1);
      },
    );

    it('keeps browse details in v2 in the timeline, whichever version the event was written in', async () => {
      const entries = (await documents(apps.v1, 'timeline')) as { entryId: string; details: unknown }[];
      for (const index of BROWSES) {
        expect(entries.find((entry) => entry.entryId === EVENT_IDS[index])?.details).toEqual(
          FACTS[index]!.v2,
        );
      }
    });

    it.each(CUSTOMERS)('answers the same for %s on every HTTP read', async (customerId) => {
      const answers = await Promise.all(
        WRITINGS.map(async (writing) => {
          const app = apps[writing];
          const [profile, timeline, loyalty, events, exported] = await Promise.all([
            app.get(`/v1/customers/${customerId}`),
            app.get(`/v1/customers/${customerId}/timeline?limit=100`),
            app.get(`/v1/customers/${customerId}/loyalty?asOf=${occurredAt(FACTS.length)}`),
            app.get(`/v1/customers/${customerId}/events`),
            app.get(`/v1/customers/${customerId}/export`),
          ]);
          for (const response of [profile, timeline, loyalty, events, exported])
            expect(response.status).toBe(200);
          return {
            profile: clockFree(profile.body),
            timeline: timeline.body,
            loyalty: loyalty.body,
            events: (events.body.events as RecordedEvent[]).map(withoutHashes),
            exported: {
              events: (exported.body.events as RecordedEvent[]).map(withoutHashes),
              readModels: exported.body.readModels,
            },
          };
        }),
      );
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      for (const event of answers[0]!.events.filter((event) => event.type === 'ProductBrowsed')) {
        const index = EVENT_IDS.indexOf(event.eventId);
        expect(event).toMatchObject(
          index === FUTURE_EVENT
            ? { schemaVersion: 3, data: FACTS[index]!.data }
            : { schemaVersion: 2, data: FACTS[index]!.v2 },
        );
      }
    });

    it('parks the event of a newer schema version under every projection, naming why, and folds the rest', async () => {
      const response = await apps.v1.get('/v1/projections');
      expect(response.status).toBe(200);
      expect(response.body.parked).toBe(PROJECTIONS.length);
      for (const projection of response.body.projections) {
        expect(projection.parked.events).toEqual([
          expect.objectContaining({
            eventId: EVENT_IDS[FUTURE_EVENT],
            type: 'ProductBrowsed',
            error: expect.stringContaining(
              'schemaVersion is 3, newer than the ProductBrowsed schema this ledger knows (2)',
            ),
          }),
        ]);
      }
      const timeline = await apps.v1.get('/v1/customers/se-3/timeline');
      expect(timeline.body.entries).toHaveLength(1);
    });

    it('leaves the stored events as written, and verifies their hash chains', async () => {
      const written = storedFacts('v1');
      const stored = await storedEventsOf(apps.v1.app.get<EventStore>(EVENT_STORE)).readAll({
        maxCount: 100,
      });
      const customerEvents = stored.filter((event) => event.streamId.startsWith('customer-'));
      expect(customerEvents.map(({ type, schemaVersion, data }) => ({ type, schemaVersion, data }))).toEqual(
        written.map(({ type, schemaVersion, data }) => ({ type, schemaVersion, data })),
      );
      for (const writing of WRITINGS) {
        const report = await apps[writing].get('/v1/audit/verify');
        expect(report.body).toMatchObject({ ok: true, events: expect.any(Number) });
        const customer = await apps[writing].get('/v1/audit/verify?customerId=se-1');
        expect(customer.body).toMatchObject({ ok: true });
      }
    });

    it('takes a retry of a browse stored in v1 as the same fact: the stored event is compared upcast', async () => {
      const index = BROWSES[1]!;
      const retry = await apps.v1.post('/v1/touchpoints', {
        customerId: FACTS[index]!.customerId,
        type: 'browse',
        eventId: EVENT_IDS[index],
        occurredAt: occurredAt(index),
        channel: 'web',
        data: FACTS[index]!.data,
      });
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ eventId: EVENT_IDS[index], duplicate: true });
    });
  });

  describe('the command path', () => {
    let app: LedgerTestApp;
    beforeAll(async () => {
      app = await LedgerTestApp.start();
    });
    afterAll(async () => {
      await app.stop();
    });

    it('writes a browse sent with the flat fields in v2, exactly as the fact reads when written in v1', async () => {
      for (const index of BROWSES) {
        const fact = FACTS[index]!;
        const response = await app.post('/v1/touchpoints', {
          customerId: fact.customerId,
          type: 'browse',
          eventId: EVENT_IDS[index],
          data: fact.data,
        });
        expect(response.status).toBe(201);
      }
      const stored = await storedEventsOf(app.app.get<EventStore>(EVENT_STORE)).readAll({ maxCount: 100 });
      expect(
        stored.map(({ eventId, type, schemaVersion, data }) => ({ eventId, type, schemaVersion, data })),
      ).toEqual(
        BROWSES.map((index) => ({
          eventId: EVENT_IDS[index],
          type: 'ProductBrowsed',
          schemaVersion: 2,
          data: FACTS[index]!.v2,
        })),
      );
    });

    it("stores a product's name and price and a page's title, and summarises them", async () => {
      const response = await app.post('/v1/touchpoints', {
        customerId: 'se-9',
        type: 'browse',
        data: {
          productId: 'p-5',
          productName: 'Garden hose',
          price: { amount: 24.9, currency: 'EUR' },
          category: 'garden',
          url: 'https://shop.example/p-5',
          title: 'Garden hose, 25 m',
        },
      });
      expect(response.status).toBe(201);
      const [event] = await storedEventsOf(app.app.get<EventStore>(EVENT_STORE)).readStream('customer-se-9');
      expect(event).toMatchObject({
        schemaVersion: 2,
        data: {
          product: {
            id: 'p-5',
            name: 'Garden hose',
            price: { amountMinor: 2_490, currency: 'EUR' },
            category: 'garden',
          },
          page: { url: 'https://shop.example/p-5', title: 'Garden hose, 25 m' },
        },
      });
      await app.projected();
      const timeline = await app.get('/v1/customers/se-9/timeline');
      expect(timeline.body.entries[0].summary).toBe(
        'Browsed product p-5 (Garden hose) at EUR 24.90 in garden',
      );
    });

    it('refuses a product name or price without a product id, naming the field', async () => {
      const response = await app.post('/v1/touchpoints', {
        customerId: 'se-9',
        type: 'browse',
        data: { url: 'https://shop.example/', productName: 'Garden hose' },
      });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.errors)).toContain('data.productId');
    });
  });
});
