import { randomUUID } from 'node:crypto';
import { createEventStoreDbEventStore } from '../../src/adapters/eventstoredb/eventstoredb-event-store';
import { verifyChains } from '../../src/ports/hash-chain';
import { eventStoreContract } from '../contract/event-store.contract';
import { someNewEvents } from '../support/events';

/**
 * The shared contract against a real EventStoreDB, run whenever EVENTSTORE_URL names one (docker compose up,
 * or the CI service container): `EVENTSTORE_URL=esdb://localhost:2113?tls=false npx jest test/event-store`.
 * Streams are unique per test, so the tests share the server's log.
 */
const url = process.env.EVENTSTORE_URL;
if (!url) {
  console.log(
    'EventStoreDB suites skipped: EVENTSTORE_URL is not set (e.g. esdb://localhost:2113?tls=false)',
  );
}
const describeWithServer = url ? describe : describe.skip;
const reason = url ? '' : ' (skipped: EVENTSTORE_URL is not set)';

describeWithServer(`EventStoreDB event store${reason}`, () => {
  eventStoreContract('EventStoreDB', async () => createEventStoreDbEventStore(url ?? ''));

  describe('EventStoreDB event store specifics', () => {
    it('hides its event-id claims from the global log and keeps every chain verifiable', async () => {
      const store = createEventStoreDbEventStore(url ?? '');
      const start = await store.lastPosition();
      const streams = [1, 2, 3].map(() => `customer-esdb-${randomUUID()}`);
      await Promise.all(
        streams.map((streamId) =>
          store.append([{ streamId, expectedRevision: 'no_stream', events: someNewEvents(3) }]),
        ),
      );

      const all = await store.readAll({ afterPosition: start, maxCount: 1000 });
      const mine = all.filter((event) => streams.includes(event.streamId));
      expect(mine).toHaveLength(9);
      expect(all.every((event) => !event.streamId.startsWith('ledger-event-id-'))).toBe(true);
      expect(await verifyChains(mine)).toEqual({ ok: true, streams: 3, events: 9 });
      await store.close();
    });

    it('keeps idempotency across clients: a new connection still finds the original events', async () => {
      const streamId = `customer-esdb-${randomUUID()}`;
      const events = someNewEvents(2);
      const first = createEventStoreDbEventStore(url ?? '');
      const [original] = await first.append([{ streamId, expectedRevision: 'no_stream', events }]);
      await first.close();

      const second = createEventStoreDbEventStore(url ?? '');
      const [retry] = await second.append([{ streamId, expectedRevision: 'any', events }]);
      expect(retry!.events).toEqual(original!.events.map((event) => ({ ...event, duplicate: true })));
      expect(await second.streamRevision(streamId)).toBe(1);
      await second.close();
    });
  });
});
