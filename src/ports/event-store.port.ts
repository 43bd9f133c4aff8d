/** Injection token of the EventStore port; PersistenceModule (src/modules/) binds the chosen adapter to it. */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** An event as handed to the store: data and metadata are JSON values, already free of plaintext PII. */
export interface NewEvent {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

/** An event as the store holds it, with its place in the stream and in the global log. */
export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  readonly streamRevision: number;
  readonly position: number;
  readonly prevHash: string;
  readonly hash: string;
  /** Set when retention removed the event's data; its place, type, times and hashes remain. */
  readonly redactedAt?: string;
}

/** Events of a type older than so many days (by occurredAt) have their data removed. */
export interface RetentionRule {
  readonly type: string;
  readonly maxAgeDays: number;
}

/**
 * What the writer believes about the stream: its last revision (0-based), that it does not exist yet,
 * that it exists, or nothing at all.
 */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendRequest {
  readonly streamId: string;
  readonly expectedRevision: ExpectedRevision;
  readonly events: readonly NewEvent[];
}

export interface AppendedEvent {
  readonly eventId: string;
  readonly streamRevision: number;
  readonly position: number;
  /** True when an event with this id was already in the stream: nothing was appended for it. */
  readonly duplicate: boolean;
}

export interface AppendResult {
  readonly streamId: string;
  /** The stream's last revision after the append. */
  readonly streamRevision: number;
  readonly events: readonly AppendedEvent[];
}

/** Where an event id was already used. */
export interface EventLocation {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly streamRevision: number;
  readonly position: number;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** First revision to read (inclusive); from the start (forwards) or the end (backwards) when absent. */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events with a position strictly greater than this; 0 reads from the start. */
  readonly afterPosition?: number;
  readonly maxCount?: number;
}

export type SubscriptionMessage =
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  | { readonly kind: 'caught-up'; readonly position: number };

export interface SubscribeOptions {
  readonly afterPosition?: number;
  readonly signal?: AbortSignal;
}

/** Free-form stream metadata (retention settings, for example). */
export type StreamMetadata = Record<string, unknown>;

/**
 * The store's own record of where a stream ends, kept apart from the events themselves (SQLite: the `streams`
 * row; EventStoreDB: the stream's index). Verification holds it against the stream's last event, so that a
 * removed last event cannot go unnoticed.
 */
export interface StreamHead {
  readonly streamId: string;
  /** The last revision, -1 for a stream that holds only metadata. */
  readonly streamRevision: number;
  /** The hash of the last event, GENESIS_HASH when there is none. */
  readonly hash: string;
}

/** What the store knows about the whole log, read at one instant. */
export interface LogSummary {
  /** The position of the last event, 0 when empty. */
  readonly lastPosition: number;
  /**
   * Events, and streams with at least one event, up to lastPosition as the store counted them while appending
   * (in the same transaction as the events); absent where the backend keeps no count of its own. A removed
   * stream leaves nothing else behind to notice it by.
   */
  readonly counted?: { readonly streams: number; readonly events: number };
  /**
   * True when positions run 1, 2, 3... without gaps (SQLite row ids), so that a gap is itself a removed event;
   * false where positions are byte offsets (EventStoreDB).
   */
  readonly densePositions: boolean;
}

/**
 * The append-only event log: one stream per aggregate, a global order over all streams, exact idempotency
 * by event id and optimistic concurrency by stream revision. Every adapter passes test/contract/event-store.contract.ts.
 * The rules every adapter applies in an append are written once beside this port: append-rules.ts and
 * `chainEvents` in hash-chain.ts.
 */
export interface EventStore {
  /**
   * Appends each request to its stream, in order, and answers one result per request.
   *
   * - One stream: the request's events are stored all or none, at consecutive revisions.
   * - Idempotency: an event whose id is already in the same stream with the same type is not appended again and
   *   comes back as a duplicate with its original revision and position; a request whose events are all stored
   *   already gets that original result whatever its expected revision (a retry). An id used in another stream
   *   or for another type: EventIdConflictError. Otherwise a wrong expected revision: WrongExpectedRevisionError.
   * - Several streams: every request is checked (expected revision, event ids) before any is written, so a
   *   request the check refuses fails the whole call and stores nothing of the others. Beyond that check the
   *   call is NOT all or none: on a store without multi-stream transactions (EventStoreDB) a writer that moves
   *   a later stream between the check and its write, or a crash or lost connection midway, can leave the
   *   earlier requests stored and the later ones not. Appending the same requests again with the same event
   *   ids answers the stored ones with their original results and appends the rest, each against its expected
   *   revision again; a caller that needs several streams to change together retries so, or otherwise finds
   *   and completes (or undoes) a half-done change from what the streams hold. SQLite and PostgreSQL do store
   *   a call all or none, but nothing outside them may rely on it.
   */
  append(requests: readonly AppendRequest[]): Promise<AppendResult[]>;

  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** The global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** Catch-up then live: every event after the position, a caught-up marker once, then new events as they come. */
  subscribeToAll(options?: SubscribeOptions): AsyncIterable<SubscriptionMessage>;

  /** Where the given event ids are stored, for those that are. */
  findEvents(eventIds: readonly string[]): Promise<Map<string, EventLocation>>;

  /** The last revision of a stream, or -1 when it has no events. */
  streamRevision(streamId: string): Promise<number>;

  /** The position of the last event in the log, 0 when empty. */
  lastPosition(): Promise<number>;

  /** The last position and the store's own counts, read together (see LogSummary). */
  logSummary(): Promise<LogSummary>;

  /** The store's record of one stream's end; undefined for a stream it does not know. */
  streamHead(streamId: string): Promise<StreamHead | undefined>;

  /**
   * The store's record of the end of every stream with events, each once, in no promised order; a store that
   * keeps metadata-only streams apart from its events lists them too, with revision -1. Read while appends go
   * on: a head may be ahead of a log read a moment earlier.
   */
  streamHeads(): AsyncIterable<StreamHead>;

  /**
   * Retention: removes the data of events older than their type's rule, keeping position, revision, type,
   * metadata and both hashes, so the chains still link and every other event still verifies. Returns how
   * many events were redacted per type.
   */
  applyRetention(rules: readonly RetentionRule[], now: Date): Promise<Record<string, number>>;

  getStreamMetadata(streamId: string): Promise<StreamMetadata | undefined>;
  setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void>;

  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(
      `stream ${streamId}: expected revision ${String(expected)}, found ${actual < 0 ? 'no stream' : `revision ${actual}`}`,
    );
    this.name = 'WrongExpectedRevisionError';
  }
}

export class EventIdConflictError extends Error {
  constructor(
    readonly eventId: string,
    readonly existing: EventLocation,
  ) {
    super(
      `event id ${eventId} is already used by ${existing.type} at revision ${existing.streamRevision} of ${existing.streamId}`,
    );
    this.name = 'EventIdConflictError';
  }
}

/** Whether a stream whose last revision is `actual` (-1 for none) satisfies the expectation. */
export function revisionMatches(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'stream_exists':
      return actual >= 0;
    default:
      return expected === actual;
  }
}

/** Events per page of the paged reads below: a page is read, and handled, in a few milliseconds. */
export const READ_PAGE_SIZE = 200;

/**
 * One stream's events in revision order, read page by page (the store's reads are synchronous on SQLite: one read
 * of a long stream would hold the event loop), giving the loop a turn after each page so that other requests
 * (appends, /health) go on while a long stream is walked.
 */
export async function* readStreamInPages(
  store: EventStore,
  streamId: string,
  pageSize = READ_PAGE_SIZE,
): AsyncIterable<readonly RecordedEvent[]> {
  for (let fromRevision = 0; ;) {
    const page = await store.readStream(streamId, { fromRevision, maxCount: pageSize });
    if (page.length === 0) return;
    yield page;
    if (page.length < pageSize) return;
    fromRevision = page[page.length - 1]!.streamRevision + 1;
    await yieldToEventLoop();
  }
}

/** Lets timers and I/O waiting behind long work run before it goes on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Every event of the log in position order, read page by page. */
export async function* readWholeLog(store: EventStore): AsyncIterable<RecordedEvent> {
  for (let after = 0; ;) {
    const page = await store.readAll({ afterPosition: after, maxCount: 1000 });
    if (page.length === 0) return;
    yield* page;
    after = page[page.length - 1]!.position;
    await yieldToEventLoop();
  }
}
