import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  createPostgresEventStore,
  PostgresEventStoreOptions,
} from '../../src/adapters/postgres/postgres-event-store';
import { verifyLog } from '../../src/application/gdpr/log-verification';
import {
  AppendResult,
  EventIdConflictError,
  EventStore,
  SubscriptionMessage,
} from '../../src/ports/event-store.port';
import { verifyChains } from '../../src/ports/hash-chain';
import { eventStoreContract } from '../contract/event-store.contract';
import { aNewEvent, someNewEvents } from '../support/events';
import {
  reportPostgresSkipped,
  rowVersionsHolding,
  testDatabaseUrl,
  testDatabases,
  testSchemas,
  withClient,
} from '../support/postgres';

/**
 * The shared contract against a real PostgreSQL server, run whenever TEST_DATABASE_URL names one (`.ci/run`
 * starts a throwaway server for every CI run: `bash .ci/postgres.sh npx jest test/event-store` does the same
 * by hand). Each store gets a fresh schema, dropped after the run.
 */
reportPostgresSkipped('PostgreSQL event store suites');
const describeWithServer = testDatabaseUrl ? describe : describe.skip;
const reason = testDatabaseUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)';

describeWithServer(`PostgreSQL event store${reason}`, () => {
  const schemas = testSchemas('ledger_es');
  const databases = testDatabases();
  afterAll(() => Promise.all([schemas.dropAll(), databases.dropAll()]));
  const storeIn = (schema: string, options: Partial<PostgresEventStoreOptions> = {}) =>
    createPostgresEventStore({ connectionString: testDatabaseUrl!, schema, ...options });

  eventStoreContract('PostgreSQL', () => storeIn(schemas.fresh()));

  describe('PostgreSQL event store specifics', () => {
    /** Sessions waiting for the advisory lock that appending to the ledger in `schema` takes. */
    const appendersWaiting = (schema: string) =>
      withClient(testDatabaseUrl!, async (client) => {
        const { rows } = await client.query<{ waiting: string }>(
          `SELECT count(*) AS waiting FROM pg_locks
           WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
             AND objid = $1::regclass::oid AND classid = 0`,
          [`${schema}.events`],
        );
        return Number(rows[0]!.waiting);
      });

    async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    it('commits the appends of one turn in one transaction, each atomic alone, positions dense', async () => {
      const schema = schemas.fresh();
      const store = await storeIn(schema);
      const blocker = await withClient(testDatabaseUrl!, async (client) => {
        const { rows } = await client.query<{ oid: string }>(`SELECT $1::regclass::oid AS oid`, [
          `${schema}.events`,
        ]);
        return Number(rows[0]!.oid);
      });
      // Another session holds the append lock, so the group stays in its transaction while we look.
      const holder = new Client({ connectionString: testDatabaseUrl });
      await holder.connect();
      await holder.query('SELECT pg_advisory_lock($1)', [blocker]);

      const firstTurn = Array.from({ length: 50 }, (_, index) =>
        store.append([
          { streamId: `customer-g${index % 5}`, expectedRevision: 'any', events: someNewEvents(2) },
        ]),
      );
      // Queued after the appends that create customer-g0 in the same transaction: it fails, alone.
      const conflicting = store
        .append([{ streamId: 'customer-g0', expectedRevision: 'no_stream', events: [aNewEvent()] }])
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await waitUntil(async () => (await appendersWaiting(schema)) === 1);
      // Appends made while a group is in flight wait for it, and go together in the next transaction.
      const secondTurn = Array.from({ length: 10 }, () =>
        store.append([{ streamId: 'customer-h', expectedRevision: 'any', events: [aNewEvent()] }]),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await appendersWaiting(schema)).toBe(1);
      await holder.query('SELECT pg_advisory_unlock($1)', [blocker]);
      await holder.end();

      const results = (await Promise.all([...firstTurn, ...secondTurn])).map(([result]) => result!);
      expect(await conflicting).toMatchObject({ name: 'WrongExpectedRevisionError', actual: 19 });
      const positions = results.flatMap((result) => result.events.map((event) => event.position));
      expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));
      expect(await verifyLog(store)).toEqual({ ok: true, streams: 6, events: 110 });
      await store.close();
    });

    it('fails only the append whose values the database refuses, and one whose event id is not a UUID', async () => {
      const store = await storeIn(schemas.fresh());
      const streams = [1, 2, 3, 4].map((index) => `customer-${index}`);

      const outcomes = await Promise.allSettled([
        ...streams.map((streamId) =>
          store.append([{ streamId, expectedRevision: 'no_stream', events: [aNewEvent()] }]),
        ),
        // schema_version is an integer column: 2^31 does not fit, so the group's INSERT is refused.
        store.append([
          {
            streamId: 'customer-5',
            expectedRevision: 'no_stream',
            events: [aNewEvent({ schemaVersion: 2 ** 31 })],
          },
        ]),
        store.append([
          {
            streamId: 'customer-6',
            expectedRevision: 'no_stream',
            events: [aNewEvent({ eventId: 'not-a-uuid' })],
          },
        ]),
      ]);

      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
      ]);
      expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({ code: '22003' });
      expect((outcomes[5] as PromiseRejectedResult).reason.message).toMatch(/not-a-uuid is not a UUID/);
      expect(await verifyLog(store)).toEqual({ ok: true, streams: 4, events: 4 });
      await store.close();
    });

    it('gives every position once, in order and without gaps, to a subscriber while two stores append at once', async () => {
      const schema = schemas.fresh();
      const [first, second, watcher] = await Promise.all([storeIn(schema), storeIn(schema), storeIn(schema)]);
      const controller = new AbortController();
      const seen: number[] = [];
      const total = 2 * 40 * 5;
      const subscribed = (async () => {
        for await (const message of watcher.subscribeToAll({ signal: controller.signal })) {
          if (message.kind === 'event') seen.push(message.event.position);
          if (seen.length === total) return;
        }
      })();

      // Each store issues 40 turns of 5 appends to 10 shared streams: both contend for the same lock.
      const appendFrom = async (store: EventStore, name: string) => {
        const results: AppendResult[] = [];
        for (let turn = 0; turn < 40; turn++) {
          const turnResults = await Promise.all(
            Array.from({ length: 5 }, (_, index) =>
              store.append([
                {
                  streamId: `customer-${(turn + index) % 10}`,
                  expectedRevision: 'any',
                  events: [aNewEvent({ data: { productId: `${name}-${turn}-${index}` } })],
                },
              ]),
            ),
          );
          results.push(...turnResults.flat());
        }
        return results;
      };
      const appended = (await Promise.all([appendFrom(first, 'a'), appendFrom(second, 'b')])).flat();
      await waitUntil(() => seen.length >= total, 20_000).finally(() => controller.abort());
      await subscribed;

      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(
        appended.flatMap((result) => result.events.map((event) => event.position)).sort((a, b) => a - b),
      ).toEqual(seen);
      expect(await verifyLog(watcher)).toEqual({ ok: true, streams: 10, events: total });
      await Promise.all([first.close(), second.close(), watcher.close()]);
    });

    it('wakes a subscriber of another store by NOTIFY when a commit happens, not by its poll', async () => {
      const schema = schemas.fresh();
      const writer = await storeIn(schema);
      const reader = await storeIn(schema, { pollIntervalMs: 600_000 });
      const controller = new AbortController();
      const messages: SubscriptionMessage[] = [];
      const subscribed = (async () => {
        for await (const message of reader.subscribeToAll({ signal: controller.signal })) {
          messages.push(message);
          if (messages.length === 3) return;
        }
      })();
      await waitUntil(() => messages.length === 1);
      // Give the listener its connection before the first commit; a missed one would wait ten minutes.
      await new Promise((resolve) => setTimeout(resolve, 200));

      const startedAt = Date.now();
      await writer.append([
        { streamId: `customer-${randomUUID()}`, expectedRevision: 'no_stream', events: someNewEvents(2) },
      ]);
      await subscribed;
      controller.abort();

      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect(
        messages.map((message) => (message.kind === 'event' ? message.event.position : message.kind)),
      ).toEqual(['caught-up', 1, 2]);
      await Promise.all([writer.close(), reader.close()]);
    });

    it('lets exactly one of two stores claim an event id for its stream when both append it at once', async () => {
      const schema = schemas.fresh();
      const [first, second] = await Promise.all([storeIn(schema), storeIn(schema)]);
      const event = aNewEvent();

      const outcomes = await Promise.allSettled([
        first.append([{ streamId: 'customer-one', expectedRevision: 'any', events: [event] }]),
        second.append([{ streamId: 'customer-two', expectedRevision: 'any', events: [event] }]),
      ]);
      const retried = await second.append([
        {
          streamId: (await first.findEvents([event.eventId])).get(event.eventId)!.streamId,
          expectedRevision: 'any',
          events: [event],
        },
      ]);

      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(EventIdConflictError);
      expect(retried[0]!.events[0]).toMatchObject({ duplicate: true, streamRevision: 0, position: 1 });
      expect(await first.lastPosition()).toBe(1);
      await Promise.all([first.close(), second.close()]);
    });

    it('keeps the exact stored JSON, hash chain and metadata across a reopen', async () => {
      const schema = schemas.fresh();
      const streamId = `customer-${randomUUID()}`;
      const events = [
        aNewEvent({ data: { b: 1.5, a: 'z\u0000y', nested: { y: [1, 'two'], x: null } } }),
        aNewEvent(),
      ];
      const store = await storeIn(schema);
      await store.append([{ streamId, expectedRevision: 'no_stream', events }]);
      await store.setStreamMetadata(streamId, { maxAgeDays: 7 });
      await store.close();

      const reopened = await storeIn(schema);
      const read = await reopened.readStream(streamId);
      expect(read.map((event) => event.data)).toEqual(events.map((event) => event.data));
      expect(await verifyChains(read)).toEqual({ ok: true, streams: 1, events: 2 });
      expect(await reopened.getStreamMetadata(streamId)).toEqual({ maxAgeDays: 7 });
      expect(await reopened.logSummary()).toEqual({
        lastPosition: 2,
        counted: { streams: 1, events: 2 },
        densePositions: true,
      });
      await reopened.close();
    });

    it('redacts old events by retention, keeps the chain verifiable, and leaves no row version with the data', async () => {
      // A database of its own: an open transaction of another test file would keep VACUUM from reclaiming.
      const database = await databases.fresh('ledger_retention');
      const store = await createPostgresEventStore({ connectionString: database.url });
      const at = (day: number) => ({
        occurredAt: `2026-01-${String(day).padStart(2, '0')}T10:00:00.000Z`,
        actor: 'test',
      });
      await store.append([
        {
          streamId: 'customer-r',
          expectedRevision: 'no_stream',
          events: [
            aNewEvent({ type: 'ProductBrowsed', data: { productId: 'secret-old-product' }, metadata: at(1) }),
            aNewEvent({ type: 'PurchaseCompleted', data: { orderId: 'A-1' }, metadata: at(2) }),
            aNewEvent({ type: 'ProductBrowsed', data: { productId: 'p-new' }, metadata: at(20) }),
          ],
        },
      ]);
      const secret = Buffer.from('secret-old-product');
      const before = await withClient(database.url, (client) => rowVersionsHolding(client, 'events', secret));

      const redacted = await store.applyRetention(
        [{ type: 'ProductBrowsed', maxAgeDays: 10 }],
        new Date('2026-01-25T00:00:00Z'),
      );
      const events = await store.readStream('customer-r');
      const after = await withClient(database.url, (client) => rowVersionsHolding(client, 'events', secret));
      await store.close();

      expect(before).toBe(1);
      expect(redacted).toEqual({ ProductBrowsed: 1 });
      expect(events.map((event) => [event.data, event.redactedAt])).toEqual([
        [{}, '2026-01-25T00:00:00.000Z'],
        [{ orderId: 'A-1' }, undefined],
        [{ productId: 'p-new' }, undefined],
      ]);
      expect(await verifyChains(events)).toEqual({ ok: true, streams: 1, events: 3, redacted: 1 });
      expect(after).toBe(0);
    });
  });
});
