import { setTimeout as delay } from 'node:timers/promises';
import {
  AllStreamRecordedEvent,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  NotLeaderError,
  Position,
  ReadStreamOptions as EsdbReadStreamOptions,
  RecordedEvent as EsdbRecordedEvent,
  START,
  StreamNotFoundError,
  streamNameFilter,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  answerStaleRequest,
  appendedAt,
  appendResult,
  assertDistinctIds,
  freshEvents,
  isSameEvent,
  StoredEvents,
} from '../../ports/append-rules';
import {
  AppendedEvent,
  AppendRequest,
  AppendResult,
  EventIdConflictError,
  EventLocation,
  EventStore,
  LogSummary,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  readWholeLog,
  revisionMatches,
  StreamHead,
  StreamMetadata,
  SubscribeOptions,
  SubscriptionMessage,
  WrongExpectedRevisionError,
} from '../../ports/event-store.port';
import { chainEvents } from '../../ports/hash-chain';

/**
 * One stream per event id, `ledger-event-id-<uuid>`, whose single event claims the id for a stream and type.
 * EventStoreDB has no lookup by event id and deduplicates ids only within a stream, so these claims are what
 * makes ids unique across streams and what `findEvents` reads.
 */
const CLAIM_STREAM_PREFIX = 'ledger-event-id-';
const CLAIM_EVENT_TYPE = 'EventIdClaimed';
/** Live subscriptions ask the server for the ledger's streams only: not `$` system streams, not the claims. */
const LEDGER_STREAMS = '^(?!\\$|ledger-event-id-)';
/** The custom key of EventStoreDB stream metadata that holds the port's free-form metadata. */
const METADATA_KEY = 'ledger';

const PAGE_SIZE = 1000;
/** Claims and lookups of one append go out concurrently (gRPC multiplexes them over one connection). */
const CONCURRENCY = 32;
/** Appends with 'any' or 'stream_exists' retry this often when another writer moves the stream meanwhile. */
const MAX_ATTEMPTS = 10;
const MAX_BACKOFF_MS = 5000;

/** What the adapter keeps in an EventStoreDB event's metadata: the port's metadata and the hash chain. */
interface Envelope {
  readonly schemaVersion: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly metadata: Record<string, unknown>;
}

interface Claim {
  readonly streamId: string;
  readonly type: string;
}

interface Head {
  readonly revision: number;
  readonly hash: string;
}

/** Where an event of a request stands: stored already (location), or claimed for this stream and type. */
interface Located {
  readonly claimed: boolean;
  readonly location?: EventLocation;
}

/**
 * The production event store on EventStoreDB (22.6 or later: reads must carry log positions), over gRPC with
 * `@eventstore/db-client`. Same port and semantics as the SQLite store, with these differences:
 *
 * - Hash chain: computed by chainEvents (hash-chain.ts) over the same canonical form, prevHash taken from the
 *   stream's last event, and kept in the EventStoreDB event's metadata next to the port's metadata
 *   ({@link Envelope}).
 *   Every append is sent with the exact revision the chain was computed on, so a concurrent writer makes it
 *   fail (and retry on a fresh head) instead of forking the chain.
 * - Idempotency by event id: EventStoreDB only deduplicates an id within a stream, and only reliably for an
 *   exact expected revision. So each fresh id is first claimed with an append to `ledger-event-id-<id>` with
 *   expected revision NO_STREAM: the server lets one claim win, which makes ids unique across streams and
 *   types (EventIdConflictError otherwise). An id whose claim exists is looked up in its stream (a rare path:
 *   retries and conflicts) and reported as a duplicate with its original revision and position. The stream's
 *   head is read before the claims and the events are appended with that exact revision, so two writers of the
 *   same id can never both append it: the second one's expected revision no longer holds, and on its next
 *   attempt it finds the event. Limits: a claim whose append then failed (a crash, a conflict) stays behind; it
 *   still reserves the id for that stream and type, where a retry appends it normally. Claims double the
 *   number of writes, and they are events of $all (skipped by every read of this adapter).
 * - Positions: the port's `position` is the event's commit position in the transaction log, a byte offset.
 *   Appends over gRPC write self-committing records, whose commit and prepare positions are both the event's
 *   own offset, so one number identifies and orders every event (events written by legacy TCP explicit
 *   transactions share a commit position: they are refused with a clear error). Offsets are exact in a
 *   number up to 2^53 bytes (8 PiB of log); beyond that reading throws. Positions are increasing but far from
 *   dense: differences between positions are bytes, not event counts.
 * - Several streams in one append are NOT atomic: EventStoreDB 24 has no multi-stream transaction
 *   (KurrentDB 25.1 added one; this client does not offer it). Every request is checked first (expected
 *   revision, id conflicts) before anything is written, so the usual failures (a stale revision, a reused id)
 *   still store nothing. The requests are then appended one after the other: a writer that moves a later
 *   stream between the check and its append makes that request fail after the earlier ones were stored. A
 *   retry with the same event ids then answers the stored ones as duplicates. That is all the port promises
 *   for several streams (EventStore.append), and why it promises no more.
 * - Reading the whole log ($all) needs a user allowed to (by default, admins in a secure cluster).
 * - Verification: a stream's head is its last event as the server's stream index returns it (a backwards read
 *   of one event), a source apart from $all. Streams are listed from their first events in $all, because the
 *   `$streams` system stream needs the system projections, which the deployment leaves off. The server keeps no
 *   count of events or streams that the adapter could hold the log against, and positions are byte offsets,
 *   so `logSummary` offers neither; removals that EventStoreDB allows (deleting, truncating or scavenging a
 *   stream) are what a signed anchor catches.
 *
 * `close()` ends live subscriptions and disposes the client (its open gRPC streams are cancelled).
 */
export function createEventStoreDbEventStore(connectionString: string): EventStore {
  return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
}

class EventStoreDbEventStore implements EventStore {
  /** Aborted by close(): ends subscriptions and their back-off waits. */
  private readonly closing = new AbortController();

  constructor(private readonly client: EventStoreDBClient) {}

  async append(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (this.closing.signal.aborted) throw new Error('the event store is closed');
    for (const request of requests) assertAppendable(request);
    if (requests.length > 1) {
      // No multi-stream transaction: check every request before writing any (see the factory's comment).
      const firstPerStream = requests.filter(
        (request, index) => requests.findIndex((other) => other.streamId === request.streamId) === index,
      );
      await Promise.all(firstPerStream.map((request) => this.check(request)));
    }
    const results: AppendResult[] = [];
    for (const request of requests) results.push(await this.appendOne(request));
    return results;
  }

  /** Throws what appending the request would throw right now, without writing anything. */
  private async check(request: AppendRequest): Promise<void> {
    const actual = (await this.head(request.streamId))?.revision ?? -1;
    const stored = storedEvents(await this.locate(request.streamId, request.events));
    if (!revisionMatches(request.expectedRevision, actual)) answerStaleRequest(request, actual, stored);
  }

  private async appendOne(request: AppendRequest): Promise<AppendResult> {
    const { streamId } = request;
    for (let attempt = 1; ; attempt++) {
      // The head comes first: the append below expects exactly this revision (see the factory's comment).
      const head = await this.head(streamId);
      const actual = head?.revision ?? -1;
      const located = await this.locate(streamId, request.events);
      const stored = storedEvents(located);
      if (!revisionMatches(request.expectedRevision, actual)) {
        return answerStaleRequest(request, actual, stored);
      }
      const fresh = freshEvents(request, stored);
      if (fresh.length === 0) return appendResult(streamId, actual, stored, []);
      const unclaimed = request.events.filter((_, index) => !located[index]!.claimed);
      const appended = (await this.claim(streamId, unclaimed))
        ? await this.write(streamId, head, fresh)
        : undefined;
      if (appended) {
        return appendResult(streamId, appended[appended.length - 1]!.streamRevision, stored, appended);
      }
      // A claim lost to a concurrent writer, or a head it moved: look again. A lost claim turns out a conflict
      // or the same event; a moved head fails a fixed expectation; 'any' and 'stream_exists' try again.
      if (attempt >= MAX_ATTEMPTS) {
        throw new WrongExpectedRevisionError(
          streamId,
          request.expectedRevision,
          await this.streamRevision(streamId),
        );
      }
    }
  }

  /** Where each event of a request stands, throwing when its id is claimed for another stream or type. */
  private async locate(streamId: string, events: readonly NewEvent[]): Promise<Located[]> {
    const ids = events.map((event) => event.eventId.toLowerCase());
    const claims = await mapLimit(ids, CONCURRENCY, (eventId) => this.claimOf(eventId));
    for (const [index, claim] of claims.entries()) {
      if (claim && !isSameEvent(streamId, events[index]!, claim)) {
        const eventId = ids[index]!;
        const stored = (await this.scan(claim.streamId, new Set([eventId]))).get(eventId);
        // A claim whose event was never stored still reserves the id: report where it was meant to go.
        throw new EventIdConflictError(
          eventId,
          stored ?? { eventId, streamId: claim.streamId, type: claim.type, streamRevision: -1, position: 0 },
        );
      }
    }
    const claimed = new Set(ids.filter((_, index) => claims[index]));
    const stored = claimed.size > 0 ? await this.scan(streamId, claimed) : new Map<string, EventLocation>();
    return ids.map((eventId) => ({ claimed: claimed.has(eventId), location: stored.get(eventId) }));
  }

  /** Claims the ids for the stream; false when another writer claimed one of them first. */
  private async claim(streamId: string, events: readonly NewEvent[]): Promise<boolean> {
    const won = await mapLimit(events, CONCURRENCY, async (event) => {
      try {
        await this.client.appendToStream(
          claimStreamId(event.eventId),
          jsonEvent({ type: CLAIM_EVENT_TYPE, data: { streamId, type: event.type } satisfies Claim }),
          { expectedRevision: NO_STREAM },
        );
        return true;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) return false;
        throw error;
      }
    });
    return won.every(Boolean);
  }

  /**
   * Appends the events after `head` with the exact expected revision, chaining their hashes; undefined when
   * another writer moved the stream meanwhile.
   */
  private async write(streamId: string, head: Head | undefined, events: readonly NewEvent[]) {
    const first = (head?.revision ?? -1) + 1;
    const stored = [...chainEvents(streamId, head, events)].map(({ event, prevHash, hash }) => {
      const envelope: Envelope = {
        schemaVersion: event.schemaVersion,
        prevHash,
        hash,
        metadata: event.metadata,
      };
      return jsonEvent({ id: event.eventId, type: event.type, data: event.data, metadata: envelope });
    });
    try {
      await this.client.appendToStream(streamId, stored, {
        expectedRevision: head ? BigInt(head.revision) : NO_STREAM,
      });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return undefined;
      throw error;
    }
    // The append answers with one position; each event's own comes from reading them back.
    const written = await this.readRaw(streamId, { fromRevision: BigInt(first), maxCount: events.length });
    return written.map((event): AppendedEvent => appendedAt(toLocation(event)));
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    const backwards = options.direction === 'backwards';
    const events = await this.readRaw(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision:
        options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
      ...(options.maxCount !== undefined && { maxCount: Math.trunc(options.maxCount) }),
    });
    return events.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = Math.trunc(options.maxCount ?? PAGE_SIZE);
    let after = options.afterPosition ?? 0;
    let cursor = after > 0 ? logPosition(after) : undefined;
    const events: RecordedEvent[] = [];
    while (events.length < maxCount) {
      // Claims make up about half of $all: read a little more than is missing.
      const page = await this.readAllPage(
        cursor,
        after,
        Math.min(PAGE_SIZE, 2 * (maxCount - events.length) + 8),
      );
      events.push(...page.events);
      if (page.end) break;
      cursor = page.cursor;
      after = events[events.length - 1]?.position ?? after;
    }
    return events.slice(0, Math.max(0, maxCount));
  }

  /**
   * One forward page of $all from `cursor` (inclusive: the server reads from that record on), keeping the
   * ledger's events after `after`, and the raw cursor to go on from.
   */
  private async readAllPage(cursor: Position | undefined, after: number, rawCount: number) {
    const events: RecordedEvent[] = [];
    let next = cursor;
    let read = 0;
    // The page is always read to its end: leaving a gRPC read half consumed would leave the call open.
    for await (const { event } of this.client.readAll({
      fromPosition: cursor ?? START,
      direction: FORWARDS,
      maxCount: rawCount,
    })) {
      read++;
      if (!event) continue;
      next = event.position;
      if (!isLedgerEvent(event)) continue;
      const recorded = toRecorded(event);
      if (recorded.position > after) events.push(recorded);
    }
    return { events, cursor: next, end: read < rawCount };
  }

  /**
   * Catch-up by pages of $all until a short page, the caught-up marker, then a live subscription from the last
   * record read. Caught-up is decided here rather than by the client's 'caughtUp' event: that event needs
   * EventStoreDB 23.10 and is emitted when the message arrives, not in order with the events still buffered
   * for async iteration. Live events come by async iteration of the subscription, which pauses the gRPC
   * stream while the consumer is busy (backpressure). A dropped subscription (an error or an end the caller
   * did not ask for) is opened again from the last record seen, after a growing pause; the position check
   * drops anything delivered twice. Errors other than a lost server or connection (access denied, a record
   * this store cannot read) end the iteration with that error.
   */
  async *subscribeToAll(options: SubscribeOptions = {}): AsyncIterable<SubscriptionMessage> {
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.closing.signal])
      : this.closing.signal;
    let after = options.afterPosition ?? 0;
    let cursor = after > 0 ? logPosition(after) : undefined;
    let caughtUp = false;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!caughtUp) {
          const page = await this.readAllPage(cursor, after, PAGE_SIZE);
          failures = 0;
          for (const event of page.events) {
            yield { kind: 'event', event };
            after = event.position;
            if (signal.aborted) return;
          }
          cursor = page.cursor;
          if (page.end) {
            caughtUp = true;
            yield { kind: 'caught-up', position: after };
          }
          continue;
        }
        // The server filters the streams; the same check runs here for events of other types ($-prefixed).
        const subscription = this.client.subscribeToAll({
          fromPosition: cursor ?? START,
          filter: streamNameFilter({ regex: LEDGER_STREAMS }),
        });
        // Errors after the iteration ended (the call's status arrives after its end) must not go unhandled.
        subscription.on('error', () => undefined);
        const stop = () => {
          subscription.destroy();
          void subscription.unsubscribe();
        };
        signal.addEventListener('abort', stop);
        try {
          for await (const { event } of subscription) {
            if (!event) continue;
            cursor = event.position;
            if (!isLedgerEvent(event)) continue;
            const recorded = toRecorded(event);
            if (recorded.position <= after) continue;
            failures = 0;
            after = recorded.position;
            yield { kind: 'event', event: recorded };
            if (signal.aborted) return;
          }
        } finally {
          signal.removeEventListener('abort', stop);
          stop();
        }
      } catch (error) {
        if (signal.aborted) return;
        if (!isTransient(error)) throw error;
      }
      await pause(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures++), signal);
    }
  }

  async findEvents(eventIds: readonly string[]): Promise<Map<string, EventLocation>> {
    const ids = [...new Set(eventIds.map((eventId) => eventId.toLowerCase()))];
    const claims = await mapLimit(ids, CONCURRENCY, (eventId) => this.claimOf(eventId));
    const byStream = new Map<string, Set<string>>();
    claims.forEach((claim, index) => {
      if (claim) byStream.set(claim.streamId, (byStream.get(claim.streamId) ?? new Set()).add(ids[index]!));
    });
    const found = new Map<string, EventLocation>();
    for (const [streamId, wanted] of byStream) {
      for (const [eventId, location] of await this.scan(streamId, wanted)) found.set(eventId, location);
    }
    return found;
  }

  async streamRevision(streamId: string): Promise<number> {
    return (await this.head(streamId))?.revision ?? -1;
  }

  /** The newest ledger event, read backwards from the end of $all past claims and system records. */
  async lastPosition(): Promise<number> {
    const pageSize = 64;
    for (let cursor: Position | typeof END = END; ;) {
      let read = 0;
      let newest: AllStreamRecordedEvent | undefined;
      for await (const { event } of this.client.readAll({
        fromPosition: cursor,
        direction: BACKWARDS,
        maxCount: pageSize,
      })) {
        read++;
        if (!event) continue;
        if (!newest && isLedgerEvent(event)) newest = event;
        cursor = event.position;
      }
      if (newest) return toPosition(newest.position);
      if (read < pageSize) return 0;
    }
  }

  async logSummary(): Promise<LogSummary> {
    return { lastPosition: await this.lastPosition(), densePositions: false };
  }

  async streamHead(streamId: string): Promise<StreamHead | undefined> {
    const head = await this.head(streamId);
    return head && { streamId, streamRevision: head.revision, hash: head.hash };
  }

  /** Every stream with events, found by its revision 0 in $all, with its head from its own index. */
  async *streamHeads(): AsyncIterable<StreamHead> {
    for await (const event of readWholeLog(this)) {
      if (event.streamRevision !== 0) continue;
      const head = await this.streamHead(event.streamId);
      if (head) yield head;
    }
  }

  /**
   * EventStoreDB cannot redact single events: it scavenges whole stream prefixes ($tb) or ages ($maxAge).
   * Per-type retention would need each retained type in streams of its own; until then it is refused.
   */
  async applyRetention(): Promise<Record<string, number>> {
    throw new Error(
      'retention by event type is not available on EventStoreDB: use $maxAge or $tb stream metadata',
    );
  }

  /**
   * Kept under one custom key of the EventStoreDB stream metadata, so that the port's free-form keys are never
   * taken for the server's own settings ($maxAge, $maxCount, $tb, $acl), which an operator may still set.
   */
  async getStreamMetadata(streamId: string): Promise<StreamMetadata | undefined> {
    const { metadata } = await this.client.getStreamMetadata(streamId);
    return metadata?.[METADATA_KEY] as StreamMetadata | undefined;
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    const { metadata: current } = await this.client.getStreamMetadata(streamId);
    await this.client.setStreamMetadata(streamId, { ...current, [METADATA_KEY]: metadata });
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.client.dispose();
  }

  private async head(streamId: string): Promise<Head | undefined> {
    const [last] = await this.readRaw(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    return last && { revision: Number(last.revision), hash: envelopeOf(last).hash };
  }

  private async claimOf(eventId: string): Promise<Claim | undefined> {
    const [claim] = await this.readRaw(claimStreamId(eventId), { maxCount: 1 });
    return claim?.data as Claim | undefined;
  }

  /** Where the given ids are stored in one stream: a full read, only needed for retries and conflicts. */
  private async scan(streamId: string, eventIds: ReadonlySet<string>): Promise<Map<string, EventLocation>> {
    const found = new Map<string, EventLocation>();
    for (const event of await this.readRaw(streamId)) {
      if (eventIds.has(event.id.toLowerCase())) found.set(event.id.toLowerCase(), toLocation(event));
    }
    return found;
  }

  /** The events of a stream as EventStoreDB returns them; none when the stream does not exist. */
  private async readRaw(streamId: string, options: EsdbReadStreamOptions = {}): Promise<EsdbRecordedEvent[]> {
    const events: EsdbRecordedEvent[] = [];
    try {
      for await (const { event } of this.client.readStream(streamId, options)) if (event) events.push(event);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }
}

function assertAppendable(request: AppendRequest): void {
  if (request.streamId.startsWith('$') || request.streamId.startsWith(CLAIM_STREAM_PREFIX)) {
    throw new Error(
      `stream ${request.streamId}: names starting with $ or ${CLAIM_STREAM_PREFIX} are reserved`,
    );
  }
  // Before anything is claimed: two claims of one id in the same append would lose to each other.
  assertDistinctIds(request.streamId, request.events);
}

/** Errors after which reading again later can succeed: the server or the connection went away for a while. */
function isTransient(error: unknown): boolean {
  return [
    UnavailableError,
    DeadlineExceededError,
    TimeoutError,
    CancelledError,
    NotLeaderError,
    UnknownError,
  ].some((type) => error instanceof type);
}

function claimStreamId(eventId: string): string {
  return `${CLAIM_STREAM_PREFIX}${eventId.toLowerCase()}`;
}

/**
 * The port's position of an EventStoreDB log position (see the factory's comment): the commit position,
 * which equals the prepare position for every event appended over gRPC.
 */
function toPosition(position: Position | undefined): number {
  if (!position)
    throw new Error('EventStoreDB returned no event position: version 22.6 or later is required');
  if (position.commit !== position.prepare) {
    throw new Error(
      `the event at commit position ${position.commit} (prepare ${position.prepare}) was written by an explicit transaction, which this store cannot number`,
    );
  }
  if (position.commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`log position ${position.commit} is beyond 2^53 and cannot be a number`);
  }
  return Number(position.commit);
}

/** The EventStoreDB log position of a port position: the event's own record. */
function logPosition(position: number): Position {
  const offset = BigInt(Math.trunc(position));
  return { commit: offset, prepare: offset };
}

function envelopeOf(event: EsdbRecordedEvent): Envelope {
  const envelope = event.metadata as Partial<Envelope> | undefined;
  if (typeof envelope?.hash !== 'string' || typeof envelope.prevHash !== 'string') {
    throw new Error(
      `event ${event.id} of ${event.streamId} was not written by the ledger: it has no hash chain`,
    );
  }
  return envelope as Envelope;
}

/** Events of the ledger's own streams, not system records, claims or events written by someone else. */
function isLedgerEvent(event: EsdbRecordedEvent): boolean {
  return (
    event.isJson &&
    !event.streamId.startsWith('$') &&
    !event.type.startsWith('$') &&
    !event.streamId.startsWith(CLAIM_STREAM_PREFIX) &&
    typeof (event.metadata as Partial<Envelope> | undefined)?.hash === 'string'
  );
}

function toRecorded(event: EsdbRecordedEvent): RecordedEvent {
  const envelope = envelopeOf(event);
  return {
    eventId: event.id.toLowerCase(),
    type: event.type,
    schemaVersion: envelope.schemaVersion,
    data: event.data as Record<string, unknown>,
    metadata: envelope.metadata,
    streamId: event.streamId,
    streamRevision: Number(event.revision),
    position: toPosition(event.position),
    prevHash: envelope.prevHash,
    hash: envelope.hash,
  };
}

function toLocation(event: EsdbRecordedEvent): EventLocation {
  return {
    eventId: event.id.toLowerCase(),
    streamId: event.streamId,
    type: event.type,
    streamRevision: Number(event.revision),
    position: toPosition(event.position),
  };
}

function storedEvents(located: readonly Located[]): StoredEvents {
  return located.map(({ location }) => location);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Waits `ms`, or less when the signal aborts (Node's abortable timer, its AbortError swallowed). */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);
