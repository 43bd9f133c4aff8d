import { randomUUID } from 'node:crypto';
import {
  AppendRequest,
  EventIdConflictError,
  EventStore,
  SubscriptionMessage,
  WrongExpectedRevisionError,
} from '../../src/ports/event-store.port';
import { GENESIS_HASH, verifyChains } from '../../src/ports/hash-chain';
import { verifyStreams } from '../../src/application/gdpr/log-verification';
import { aNewEvent, collect, someNewEvents } from '../support/events';

/**
 * The behaviour every EventStore adapter must have. Each adapter's spec calls this with a factory that
 * returns a fresh, empty store (or one whose streams do not collide: stream names are unique per test).
 */
export function eventStoreContract(name: string, createStore: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let streamId: string;

    beforeEach(async () => {
      store = await createStore();
      streamId = `customer-contract-${randomUUID()}`;
    });
    afterEach(async () => {
      await store.close();
    });

    it('appends to a new stream and reads it back forwards with revisions, positions and a hash chain', async () => {
      const events = someNewEvents(3);
      const [result] = await store.append([{ streamId, expectedRevision: 'no_stream', events }]);

      expect(result!.streamRevision).toBe(2);
      expect(result!.events.map((event) => event.streamRevision)).toEqual([0, 1, 2]);
      expect(result!.events.every((event) => !event.duplicate)).toBe(true);
      const positions = result!.events.map((event) => event.position);
      expect(positions[1]).toBeGreaterThan(positions[0]!);
      expect(positions[2]).toBeGreaterThan(positions[1]!);

      const read = await store.readStream(streamId);
      expect(read.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
      expect(read.map((event) => event.data)).toEqual(events.map((event) => event.data));
      expect(read[0]!.metadata).toEqual(events[0]!.metadata);
      expect(read[0]!.prevHash).toBe(GENESIS_HASH);
      expect(read[1]!.prevHash).toBe(read[0]!.hash);
      expect(await verifyChains(read)).toEqual({ ok: true, streams: 1, events: 3 });
    });

    it('reads backwards and forwards from a revision with a limit', async () => {
      await store.append([{ streamId, expectedRevision: 'no_stream', events: someNewEvents(10) }]);

      const newestThree = await store.readStream(streamId, { direction: 'backwards', maxCount: 3 });
      expect(newestThree.map((event) => event.streamRevision)).toEqual([9, 8, 7]);
      const fromFour = await store.readStream(streamId, { fromRevision: 4, maxCount: 2 });
      expect(fromFour.map((event) => event.streamRevision)).toEqual([4, 5]);
      const backFromFour = await store.readStream(streamId, {
        direction: 'backwards',
        fromRevision: 4,
        maxCount: 2,
      });
      expect(backFromFour.map((event) => event.streamRevision)).toEqual([4, 3]);
    });

    it('returns nothing for a stream that does not exist', async () => {
      expect(await store.readStream(streamId)).toEqual([]);
      expect(await store.streamRevision(streamId)).toBe(-1);
    });

    it('rejects a wrong expected revision, saying what was expected and what was found', async () => {
      await store.append([{ streamId, expectedRevision: 'no_stream', events: someNewEvents(2) }]);

      const attempt = store.append([{ streamId, expectedRevision: 0, events: [aNewEvent()] }]);
      await expect(attempt).rejects.toThrow(WrongExpectedRevisionError);
      await expect(attempt).rejects.toMatchObject({ streamId, expected: 0, actual: 1 });
      await expect(
        store.append([{ streamId, expectedRevision: 'no_stream', events: [aNewEvent()] }]),
      ).rejects.toThrow(/expected revision no_stream, found revision 1/);
      const missing = `customer-contract-${randomUUID()}`;
      await expect(
        store.append([{ streamId: missing, expectedRevision: 'stream_exists', events: [aNewEvent()] }]),
      ).rejects.toMatchObject({ actual: -1 });
      expect(await store.streamRevision(streamId)).toBe(1);
    });

    it('accepts any revision with "any" and the exact one with a number', async () => {
      await store.append([{ streamId, expectedRevision: 'any', events: [aNewEvent()] }]);
      await store.append([{ streamId, expectedRevision: 0, events: [aNewEvent()] }]);
      await store.append([{ streamId, expectedRevision: 'stream_exists', events: [aNewEvent()] }]);
      expect(await store.streamRevision(streamId)).toBe(2);
    });

    it('is idempotent by event id: a retried append returns the original result and appends nothing', async () => {
      const events = someNewEvents(2);
      const [first] = await store.append([{ streamId, expectedRevision: 'no_stream', events }]);
      const [retry] = await store.append([{ streamId, expectedRevision: 'no_stream', events }]);

      expect(retry!.events).toEqual(first!.events.map((event) => ({ ...event, duplicate: true })));
      expect(await store.readStream(streamId)).toHaveLength(2);
      expect(await store.lastPosition()).toBe(first!.events[1]!.position);
    });

    it('gives back an event id sent in upper case in lower case, its hash computed over the id given back', async () => {
      const event = aNewEvent();
      const [result] = await store.append([
        {
          streamId,
          expectedRevision: 'no_stream',
          events: [{ ...event, eventId: event.eventId.toUpperCase() }],
        },
      ]);

      expect(result!.events[0]!.eventId).toBe(event.eventId);
      const stored = await store.readStream(streamId);
      expect(stored.map((recorded) => recorded.eventId)).toEqual([event.eventId]);
      expect((await verifyChains(stored)).ok).toBe(true);
    });

    it('appends only the new events of a request that mixes retried and new ones', async () => {
      const [retried, fresh] = [aNewEvent(), aNewEvent()];
      const [first] = await store.append([{ streamId, expectedRevision: 'any', events: [retried!] }]);
      const [second] = await store.append([
        { streamId, expectedRevision: 'any', events: [retried!, fresh!] },
      ]);

      expect(second!.events[0]).toEqual({ ...first!.events[0], duplicate: true });
      expect(second!.events[1]).toMatchObject({
        eventId: fresh!.eventId,
        streamRevision: 1,
        duplicate: false,
      });
      expect((await store.readStream(streamId)).map((event) => event.eventId)).toEqual([
        retried!.eventId,
        fresh!.eventId,
      ]);
    });

    it('refuses an event id already used for another stream or another type', async () => {
      const event = aNewEvent();
      await store.append([{ streamId, expectedRevision: 'any', events: [event] }]);
      const other = `customer-contract-${randomUUID()}`;

      await expect(
        store.append([{ streamId: other, expectedRevision: 'any', events: [event] }]),
      ).rejects.toThrow(EventIdConflictError);
      await expect(
        store.append([
          { streamId, expectedRevision: 'any', events: [{ ...event, type: 'PurchaseCompleted' }] },
        ]),
      ).rejects.toThrow(EventIdConflictError);
      expect(await store.readStream(other)).toEqual([]);
    });

    it('checks every request of a multi-stream append before writing any: one refused request stores nothing of the others', async () => {
      const other = `customer-contract-${randomUUID()}`;
      await store.append([{ streamId: other, expectedRevision: 'any', events: [aNewEvent()] }]);

      const attempt = store.append([
        { streamId, expectedRevision: 'no_stream', events: someNewEvents(2) },
        { streamId: other, expectedRevision: 'no_stream', events: [aNewEvent()] },
      ]);

      await expect(attempt).rejects.toThrow(WrongExpectedRevisionError);
      expect(await store.readStream(streamId)).toEqual([]);
      expect(await store.readStream(other)).toHaveLength(1);
    });

    it('completes a half-done multi-stream append appended again with the same event ids', async () => {
      const other = `customer-contract-${randomUUID()}`;
      const first: AppendRequest = { streamId, expectedRevision: 'no_stream', events: someNewEvents(2) };
      const second: AppendRequest = { streamId: other, expectedRevision: 'no_stream', events: [aNewEvent()] };
      // As a call stopped after its first stream leaves it (the port allows that: see EventStore.append).
      const [stored] = await store.append([first]);

      const [again, completed] = await store.append([first, second]);

      expect(again).toEqual({
        ...stored,
        events: stored!.events.map((event) => ({ ...event, duplicate: true })),
      });
      expect(completed).toMatchObject({ streamId: other, streamRevision: 0 });
      expect(completed!.events).toMatchObject([{ streamRevision: 0, duplicate: false }]);
      expect(await store.readStream(streamId)).toHaveLength(2);
      expect(await store.readStream(other)).toHaveLength(1);
    });

    it('keeps concurrent appends independent: a conflicting one fails alone', async () => {
      const others = [1, 2, 3].map(() => `customer-contract-${randomUUID()}`);
      const outcomes = await Promise.allSettled([
        store.append([{ streamId, expectedRevision: 'no_stream', events: [aNewEvent()] }]),
        store.append([{ streamId, expectedRevision: 'no_stream', events: [aNewEvent()] }]),
        ...others.map((id) =>
          store.append([{ streamId: id, expectedRevision: 'no_stream', events: [aNewEvent()] }]),
        ),
      ]);

      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(4);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(1);
      expect(await store.readStream(streamId)).toHaveLength(1);
    });

    it('reads the global log in position order from a position', async () => {
      const start = await store.lastPosition();
      const other = `customer-contract-${randomUUID()}`;
      await store.append([{ streamId, expectedRevision: 'any', events: someNewEvents(2) }]);
      await store.append([{ streamId: other, expectedRevision: 'any', events: someNewEvents(2) }]);
      await store.append([{ streamId, expectedRevision: 'any', events: someNewEvents(1) }]);

      const all = await store.readAll({ afterPosition: start });
      const mine = all.filter((event) => event.streamId === streamId || event.streamId === other);
      expect(mine.map((event) => [event.streamId, event.streamRevision])).toEqual([
        [streamId, 0],
        [streamId, 1],
        [other, 0],
        [other, 1],
        [streamId, 2],
      ]);
      const positions = all.map((event) => event.position);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(await store.readAll({ afterPosition: start, maxCount: 2 })).toHaveLength(2);
      expect(await store.lastPosition()).toBe(positions[positions.length - 1]);
    });

    it('finds stored events by id', async () => {
      const event = aNewEvent();
      const [result] = await store.append([{ streamId, expectedRevision: 'any', events: [event] }]);
      const found = await store.findEvents([event.eventId, randomUUID()]);

      expect(found.size).toBe(1);
      expect(found.get(event.eventId)).toEqual({
        eventId: event.eventId,
        streamId,
        type: event.type,
        streamRevision: 0,
        position: result!.events[0]!.position,
      });
    });

    it('subscribes to all: catches up, says so once, then delivers new events live', async () => {
      const start = await store.lastPosition();
      await store.append([{ streamId, expectedRevision: 'any', events: someNewEvents(2) }]);
      const controller = new AbortController();
      const messages: SubscriptionMessage[] = [];
      const consumed = (async () => {
        for await (const message of store.subscribeToAll({
          afterPosition: start,
          signal: controller.signal,
        })) {
          messages.push(message);
          if (messages.filter((m) => m.kind === 'event' && m.event.streamId === streamId).length === 4) break;
        }
      })();
      await waitFor(() => messages.some((message) => message.kind === 'caught-up'));
      await store.append([{ streamId, expectedRevision: 'any', events: someNewEvents(2) }]);
      await consumed;
      controller.abort();

      const kinds = messages
        .filter((m) => m.kind === 'caught-up' || m.event.streamId === streamId)
        .map((m) => (m.kind === 'event' ? m.event.streamRevision : 'caught-up'));
      expect(kinds).toEqual([0, 1, 'caught-up', 2, 3]);
    });

    it('ends a subscription when its signal aborts', async () => {
      const controller = new AbortController();
      const subscription = store.subscribeToAll({
        afterPosition: await store.lastPosition(),
        signal: controller.signal,
      });
      const [first] = await collect(subscription, 1);
      expect(first!.kind).toBe('caught-up');
      controller.abort();
      const rest = await collect(subscription, 1);
      expect(rest).toEqual([]);
    });

    it("keeps each stream's head: its last revision and the hash of its last event", async () => {
      const metadataOnly = `customer-contract-${randomUUID()}`;
      await store.append([{ streamId, expectedRevision: 'no_stream', events: someNewEvents(2) }]);
      await store.append([{ streamId, expectedRevision: 1, events: [aNewEvent()] }]);
      await store.setStreamMetadata(metadataOnly, { maxAgeDays: 30 });
      const last = (await store.readStream(streamId, { direction: 'backwards', maxCount: 1 }))[0]!;

      expect(await store.streamHead(streamId)).toEqual({ streamId, streamRevision: 2, hash: last.hash });
      expect(await store.streamHead(`customer-contract-${randomUUID()}`)).toBeUndefined();
      // A store may keep metadata apart from streams (EventStoreDB) or in the stream's record (SQLite).
      expect([undefined, { streamId: metadataOnly, streamRevision: -1, hash: GENESIS_HASH }]).toContainEqual(
        await store.streamHead(metadataOnly),
      );
      expect(await verifyStreams(store, [streamId, metadataOnly])).toEqual({
        ok: true,
        streams: 1,
        events: 3,
      });
    });

    it('lists every stream head once', async () => {
      const other = `customer-contract-${randomUUID()}`;
      await store.append([
        { streamId, expectedRevision: 'no_stream', events: someNewEvents(3) },
        { streamId: other, expectedRevision: 'no_stream', events: someNewEvents(1) },
      ]);

      const heads = [];
      for await (const head of store.streamHeads()) {
        if (head.streamId === streamId || head.streamId === other) heads.push(head);
      }
      expect(heads.sort((a, b) => a.streamRevision - b.streamRevision)).toEqual([
        await store.streamHead(other),
        await store.streamHead(streamId),
      ]);
      expect(heads.map((head) => head.streamRevision)).toEqual([0, 2]);
    });

    it('summarises the log: the last position, and counts of its own that only stored events advance', async () => {
      const before = await store.logSummary();
      const metadataOnly = `customer-contract-${randomUUID()}`;
      const events = someNewEvents(2);
      await store.setStreamMetadata(metadataOnly, { maxAgeDays: 30 });
      await store.append([{ streamId, expectedRevision: 'no_stream', events }]);
      await store.append([{ streamId, expectedRevision: 'no_stream', events }]);
      await expect(
        store.append([{ streamId, expectedRevision: 'no_stream', events: [aNewEvent()] }]),
      ).rejects.toThrow(WrongExpectedRevisionError);
      await Promise.allSettled([
        store.append([{ streamId: metadataOnly, expectedRevision: 'any', events: someNewEvents(3) }]),
        store.append([{ streamId, expectedRevision: 0, events: [aNewEvent()] }]),
        store.append([{ streamId, expectedRevision: 1, events: [aNewEvent()] }]),
      ]);
      const after = await store.logSummary();

      expect(after.lastPosition).toBe(await store.lastPosition());
      expect(after.lastPosition).toBeGreaterThan(before.lastPosition);
      expect(after.densePositions).toBe(before.densePositions);
      if (before.counted) {
        // 2 new, a retry that stored nothing, a refused append, 3 in a stream that held only metadata, 1 of 2 racing.
        expect(after.counted).toEqual({
          streams: before.counted.streams + 2,
          events: before.counted.events + 6,
        });
      }
      if (after.densePositions) expect(after.lastPosition).toBe(after.counted?.events);
    });

    it('stores and replaces stream metadata', async () => {
      expect(await store.getStreamMetadata(streamId)).toBeUndefined();
      await store.setStreamMetadata(streamId, { maxAgeDays: 30 });
      await store.setStreamMetadata(streamId, { maxAgeDays: 90 });
      expect(await store.getStreamMetadata(streamId)).toEqual({ maxAgeDays: 90 });
      await store.append([{ streamId, expectedRevision: 'no_stream', events: [aNewEvent()] }]);
      expect(await store.getStreamMetadata(streamId)).toEqual({ maxAgeDays: 90 });
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
