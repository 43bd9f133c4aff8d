import Database from 'better-sqlite3';
import {
  answerStaleRequest,
  appendedAt,
  appendResult,
  freshEvents,
  isSameEvent,
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
  RetentionRule,
  ReadStreamOptions,
  RecordedEvent,
  revisionMatches,
  StreamHead,
  StreamMetadata,
  SubscribeOptions,
  SubscriptionMessage,
  WrongExpectedRevisionError,
} from '../../ports/event-store.port';
import { chainEvents, GENESIS_HASH } from '../../ports/hash-chain';
import { AppendOutcome, GroupCommitQueue } from '../shared/group-commit';
import { CommitSignal, pollingSubscription } from '../shared/polling-subscription';
import { openDatabase, statementCache } from './open-database';

export interface SqliteEventStoreOptions {
  /** Path of the database file, or ':memory:'. */
  readonly file: string;
  /** How often a live subscription looks for events appended by other processes. */
  readonly pollIntervalMs?: number;
}

interface StreamRow {
  stream_key: number;
  revision: number;
  last_hash: Buffer;
}

interface EventRow {
  position: number;
  stream_id: string;
  stream_revision: number;
  event_id: Buffer;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  prev_hash: Buffer;
  hash: Buffer;
  redacted_at: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (
  stream_key INTEGER PRIMARY KEY,
  stream_id TEXT NOT NULL UNIQUE,
  revision INTEGER NOT NULL,
  last_hash BLOB NOT NULL,
  metadata TEXT
);
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_key INTEGER NOT NULL,
  stream_revision INTEGER NOT NULL,
  event_id BLOB NOT NULL,
  type TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  redacted_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream_key, stream_revision);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_event_id ON events (event_id);
`;

/**
 * The store's own count of events and of streams holding events, advanced in the same transaction as the
 * events, so that verification notices a whole stream removed from the file (events and streams row).
 */
const LOG_SUMMARY = `
CREATE TABLE log_summary (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  streams INTEGER NOT NULL,
  events INTEGER NOT NULL
);
INSERT INTO log_summary (id, streams, events)
  SELECT 1, (SELECT COUNT(*) FROM streams WHERE revision >= 0), (SELECT COUNT(*) FROM events);
`;

const EVENT_COLUMNS = `e.position, s.stream_id, e.stream_revision, e.event_id, e.type, e.schema_version,
  e.data, e.metadata, e.prev_hash, e.hash, e.redacted_at`;

const PAGE_SIZE = 1000;

/** Reads, completed by " LIMIT n" when a limit is given. */
const READ_FORWARDS = `SELECT ${EVENT_COLUMNS} FROM streams s JOIN events e USING (stream_key)
  WHERE s.stream_id = ? AND e.stream_revision >= ? ORDER BY e.stream_revision`;
const READ_BACKWARDS = `SELECT ${EVENT_COLUMNS} FROM streams s JOIN events e USING (stream_key)
  WHERE s.stream_id = ? AND e.stream_revision <= ? ORDER BY e.stream_revision DESC`;
/**
 * A page of the global log (events after a position, in order) as one JSON array of recorded events, built by
 * SQLite: one JSON.parse of the page costs a third of building a row object per event and parsing its data and
 * metadata apart, and no Buffer is made for ids and hashes. json() checks that data and metadata are one JSON
 * value each (a tampered column fails the read, as JSON.parse did), and the envelope comes after them, so a
 * duplicate key could not override it anyway. Every column but redacted_at is NOT NULL, so no row drops out.
 */
const READ_ALL_AS_JSON = (limit: number) => `SELECT '[' || coalesce(group_concat(
    '{"data":' || json(data) || ',"metadata":' || json(metadata) ||
    ',"eventId":"' || substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) || '-' ||
      substr(id, 17, 4) || '-' || substr(id, 21) ||
    '","type":' || json_quote(type) || ',"schemaVersion":' || schema_version ||
    ',"streamId":' || json_quote(stream_id) || ',"streamRevision":' || stream_revision ||
    ',"position":' || position || ',"prevHash":"' || lower(hex(prev_hash)) || '","hash":"' || lower(hex(hash)) ||
    '"' || CASE WHEN redacted_at IS NULL THEN '' ELSE ',"redactedAt":' || json_quote(redacted_at) END || '}',
    ',' ORDER BY position), '') || ']' AS text
  FROM (SELECT e.position, s.stream_id, e.stream_revision, lower(hex(e.event_id)) AS id, e.type, e.schema_version,
          e.data, e.metadata, e.prev_hash, e.hash, e.redacted_at
        FROM events e JOIN streams s USING (stream_key) WHERE e.position > ? ORDER BY e.position LIMIT ${limit})`;

/**
 * The embedded event store: one SQLite file in WAL mode with synchronous=FULL, so an acknowledged append
 * survives a crash. Appends issued in the same turn of the event loop share one transaction and one fsync
 * (group commit, the shared GroupCommitQueue); each append call stays atomic on its own through a savepoint.
 */
export function createSqliteEventStore(options: SqliteEventStoreOptions): EventStore {
  return new SqliteEventStore(options);
}

class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly appends: GroupCommitQueue;
  private readonly commits = new CommitSignal();
  private readonly pollIntervalMs: number;
  private closed = false;
  /** Reads by SQL and limit: a bound LIMIT parameter made each read about 20 us slower than a literal one. */
  private readonly prepared: ReturnType<typeof statementCache>;
  /** One transaction per group commit; a request that fails is reported to its caller alone. */
  private readonly commitGroup: Database.Transaction<
    (group: readonly (readonly AppendRequest[])[]) => AppendOutcome[]
  >;
  /** Nested in the group's transaction, so it runs in a savepoint: a failing request leaves no trace. */
  private readonly appendAtomically: Database.Transaction<
    (requests: readonly AppendRequest[]) => AppendResult[]
  >;
  private readonly insertInSavepoint: Database.Transaction<
    (streamId: string, stream: StreamRow | undefined, events: readonly NewEvent[]) => AppendResult
  >;

  constructor(options: SqliteEventStoreOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.db = openDatabase(options.file, { durable: true, secureDelete: true });
    this.prepared = statementCache(this.db);
    this.db.exec(SCHEMA);
    createLogSummary(this.db);
    this.statements = prepareStatements(this.db);
    this.commitGroup = this.db.transaction((group: readonly (readonly AppendRequest[])[]) => {
      const outcomes: AppendOutcome[] = [];
      for (const requests of group) {
        try {
          outcomes.push({ results: this.appendAtomically(requests) });
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError || error instanceof EventIdConflictError))
            throw error;
          outcomes.push({ error });
        }
      }
      this.countAppended(outcomes);
      return outcomes;
    });
    this.appendAtomically = this.db.transaction((requests: readonly AppendRequest[]) =>
      requests.map((request) => this.appendOne(request)),
    );
    this.insertInSavepoint = this.db.transaction(
      (streamId: string, stream: StreamRow | undefined, events: readonly NewEvent[]) =>
        this.insertEvents(streamId, stream, events),
    );
    this.appends = new GroupCommitQueue(
      (group) => this.commitGroup.immediate(group),
      () => this.commits.committed(),
    );
  }

  /** Queued for the next group commit: one transaction, and one fsync, for every append of the group. */
  append(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (this.closed) return Promise.reject(new Error('the event store is closed'));
    return this.appends.append(requests);
  }

  /**
   * Advances the log summary once per group commit, from the results alone: a request rolled back in its
   * savepoint has none, and a stream gains its first event exactly when revision 0 is appended to it.
   */
  private countAppended(outcomes: readonly AppendOutcome[]): void {
    let events = 0;
    let streams = 0;
    for (const outcome of outcomes) {
      if (!('results' in outcome)) continue;
      for (const result of outcome.results) {
        for (const event of result.events) {
          if (event.duplicate) continue;
          events++;
          if (event.streamRevision === 0) streams++;
        }
      }
    }
    // Relative, so that other processes appending to the same file between our commits are counted too.
    if (events > 0) this.statements.countAppended.run(streams, events);
  }

  private appendOne(request: AppendRequest): AppendResult {
    const stream = this.statements.stream.get(request.streamId);
    const actual = stream ? stream.revision : -1;
    if (!revisionMatches(request.expectedRevision, actual)) {
      return answerStaleRequest(request, actual, this.locate(request));
    }
    try {
      return this.insertInSavepoint(request.streamId, stream, request.events);
    } catch (error) {
      if (!isUniqueEventIdViolation(error)) throw error;
      return this.appendSkippingDuplicates(request);
    }
  }

  private appendSkippingDuplicates(request: AppendRequest): AppendResult {
    const stored = this.locate(request);
    const fresh = freshEvents(request, stored);
    const inserted =
      fresh.length > 0
        ? this.insertEvents(request.streamId, this.statements.stream.get(request.streamId), fresh)
        : undefined;
    return appendResult(
      request.streamId,
      inserted?.streamRevision ?? this.statements.stream.get(request.streamId)?.revision ?? -1,
      stored,
      inserted?.events ?? [],
    );
  }

  /** Where each event of the request is already stored, checking that a reused id means the same event. */
  private locate(request: AppendRequest): (EventLocation | undefined)[] {
    return request.events.map((event) => {
      const row = this.statements.eventById.get(uuidToBytes(event.eventId));
      if (!row) return undefined;
      const location = toLocation(row);
      if (!isSameEvent(request.streamId, event, location)) {
        throw new EventIdConflictError(event.eventId, location);
      }
      return location;
    });
  }

  private insertEvents(
    streamId: string,
    stream: StreamRow | undefined,
    events: readonly NewEvent[],
  ): AppendResult {
    const streamKey = stream
      ? stream.stream_key
      : Number(this.statements.insertStream.run(streamId, Buffer.from(GENESIS_HASH, 'hex')).lastInsertRowid);
    const head = stream && { revision: stream.revision, hash: stream.last_hash.toString('hex') };
    // Each hash is made bytes once, then serves as the next event's prevHash (a conversion per event saved).
    let prevHashBytes = stream ? stream.last_hash : Buffer.from(GENESIS_HASH, 'hex');
    let revision = head?.revision ?? -1;
    const appended: AppendedEvent[] = [];
    for (const row of chainEvents(streamId, head, events)) {
      const hashBytes = Buffer.from(row.hash, 'hex');
      const { lastInsertRowid } = this.statements.insertEvent.run(
        streamKey,
        row.streamRevision,
        uuidToBytes(row.event.eventId),
        row.event.type,
        row.event.schemaVersion,
        row.dataJson,
        row.metadataJson,
        prevHashBytes,
        hashBytes,
      );
      appended.push(
        appendedAt({
          eventId: row.event.eventId,
          streamRevision: row.streamRevision,
          position: Number(lastInsertRowid),
        }),
      );
      prevHashBytes = hashBytes;
      revision = row.streamRevision;
    }
    if (appended.length > 0) this.statements.advanceStream.run(revision, prevHashBytes, streamKey);
    return { streamId, streamRevision: revision, events: appended };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const rows =
      options.direction === 'backwards'
        ? this.read(READ_BACKWARDS, options.maxCount).all(
            streamId,
            options.fromRevision ?? Number.MAX_SAFE_INTEGER,
          )
        : this.read(READ_FORWARDS, options.maxCount).all(streamId, options.fromRevision ?? 0);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readAllSync(options.afterPosition ?? 0, options.maxCount ?? PAGE_SIZE);
  }

  private readAllSync(afterPosition: number, maxCount: number): RecordedEvent[] {
    const limit = Math.max(0, Math.trunc(maxCount));
    const page = this.prepared<{ text: string }>(READ_ALL_AS_JSON(limit)).get(afterPosition)!;
    return JSON.parse(page.text) as RecordedEvent[];
  }

  private read(sql: string, limit: number | undefined) {
    const limitClause = limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.trunc(limit))}`;
    return this.prepared<EventRow>(sql + limitClause);
  }

  /** Woken by this process's commits; the poll interval covers commits of other processes to the same file. */
  subscribeToAll(options: SubscribeOptions = {}): AsyncIterable<SubscriptionMessage> {
    return pollingSubscription(
      {
        readPage: async (afterPosition, maxCount) => this.readAllSync(afterPosition, maxCount),
        commits: this.commits,
        pollIntervalMs: this.pollIntervalMs,
        pageSize: PAGE_SIZE,
      },
      options,
    );
  }

  async findEvents(eventIds: readonly string[]): Promise<Map<string, EventLocation>> {
    const found = new Map<string, EventLocation>();
    for (const eventId of eventIds) {
      const row = this.statements.eventById.get(uuidToBytes(eventId));
      if (row) found.set(eventId.toLowerCase(), toLocation(row));
    }
    return found;
  }

  async streamRevision(streamId: string): Promise<number> {
    return this.statements.stream.get(streamId)?.revision ?? -1;
  }

  async lastPosition(): Promise<number> {
    return this.statements.lastPosition.get()?.position ?? 0;
  }

  async logSummary(): Promise<LogSummary> {
    // One read transaction: the counts and the last position come from the same snapshot of the file.
    return this.db.transaction((): LogSummary => {
      // A missing row counts as nothing counted: verification then finds every event unaccounted for.
      const counted = this.statements.logSummary.get() ?? { streams: 0, events: 0 };
      const lastPosition = this.statements.lastPosition.get()?.position ?? 0;
      return { lastPosition, counted, densePositions: true };
    })();
  }

  async streamHead(streamId: string): Promise<StreamHead | undefined> {
    const row = this.statements.stream.get(streamId);
    return row && { streamId, streamRevision: row.revision, hash: row.last_hash.toString('hex') };
  }

  async *streamHeads(): AsyncIterable<StreamHead> {
    for (let afterKey = 0; ;) {
      const page = this.statements.streamHeads.all(afterKey, PAGE_SIZE);
      for (const row of page) {
        yield { streamId: row.stream_id, streamRevision: row.revision, hash: row.last_hash.toString('hex') };
      }
      if (page.length < PAGE_SIZE) return;
      afterKey = page[page.length - 1]!.stream_key;
    }
  }

  async applyRetention(rules: readonly RetentionRule[], now: Date): Promise<Record<string, number>> {
    const redact = this.db.prepare<[string, string, string]>(
      `UPDATE events SET data = '{}', redacted_at = ?
       WHERE type = ? AND redacted_at IS NULL AND json_extract(metadata, '$.occurredAt') < ?`,
    );
    const redacted: Record<string, number> = {};
    this.db
      .transaction(() => {
        for (const rule of rules) {
          const cutoff = new Date(now.getTime() - rule.maxAgeDays * 86_400_000).toISOString();
          redacted[rule.type] = redact.run(now.toISOString(), rule.type, cutoff).changes;
        }
      })
      .immediate();
    // secure_delete zeroed the old data in the pages; the checkpoint leaves no copy in the WAL either.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return redacted;
  }

  async getStreamMetadata(streamId: string): Promise<StreamMetadata | undefined> {
    const row = this.statements.metadata.get(streamId);
    return row?.metadata ? (JSON.parse(row.metadata) as StreamMetadata) : undefined;
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    this.statements.setMetadata.run(streamId, Buffer.from(GENESIS_HASH, 'hex'), JSON.stringify(metadata));
  }

  /** Commits what is queued, then ends subscriptions and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.appends.drain();
    this.commits.close();
    this.db.close();
  }
}

function prepareStatements(db: Database.Database) {
  return {
    stream: db.prepare<[string], StreamRow>(
      'SELECT stream_key, revision, last_hash FROM streams WHERE stream_id = ?',
    ),
    insertStream: db.prepare<[string, Buffer]>(
      'INSERT INTO streams (stream_id, revision, last_hash) VALUES (?, -1, ?)',
    ),
    advanceStream: db.prepare<[number, Buffer, number]>(
      'UPDATE streams SET revision = ?, last_hash = ? WHERE stream_key = ?',
    ),
    insertEvent: db.prepare<[number, number, Buffer, string, number, string, string, Buffer, Buffer]>(
      `INSERT INTO events (stream_key, stream_revision, event_id, type, schema_version, data, metadata, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    eventById: db.prepare<[Buffer], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events e JOIN streams s USING (stream_key) WHERE e.event_id = ?`,
    ),
    lastPosition: db.prepare<[], { position: number | null }>('SELECT MAX(position) AS position FROM events'),
    logSummary: db.prepare<[], { streams: number; events: number }>(
      'SELECT streams, events FROM log_summary WHERE id = 1',
    ),
    countAppended: db.prepare<[number, number]>(
      'UPDATE log_summary SET streams = streams + ?, events = events + ? WHERE id = 1',
    ),
    streamHeads: db.prepare<[number, number], StreamRow & { stream_id: string }>(
      'SELECT stream_key, stream_id, revision, last_hash FROM streams WHERE stream_key > ? ORDER BY stream_key LIMIT ?',
    ),
    metadata: db.prepare<[string], { metadata: string | null }>(
      'SELECT metadata FROM streams WHERE stream_id = ?',
    ),
    setMetadata: db.prepare<[string, Buffer, string]>(
      `INSERT INTO streams (stream_id, revision, last_hash, metadata) VALUES (?, -1, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET metadata = excluded.metadata`,
    ),
  };
}

/**
 * Creates and seeds the log summary once, in a write transaction so that two processes opening the file
 * together seed it once. A file from before the summary existed is counted as it stands when first opened.
 */
function createLogSummary(db: Database.Database): void {
  db.transaction(() => {
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_summary'")
      .get();
    if (!exists) db.exec(LOG_SUMMARY);
  }).immediate();
}

/** By code, not instanceof: a module registry (Jest) may hold another SqliteError class than the addon throws. */
function isUniqueEventIdViolation(error: unknown): boolean {
  return (
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    (error as Error).message.includes('events.event_id')
  );
}

function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    eventId: bytesToUuid(row.event_id),
    type: row.type,
    schemaVersion: row.schema_version,
    data: JSON.parse(row.data) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    streamId: row.stream_id,
    streamRevision: row.stream_revision,
    position: row.position,
    prevHash: row.prev_hash.toString('hex'),
    hash: row.hash.toString('hex'),
    ...(row.redacted_at && { redactedAt: row.redacted_at }),
  };
}

function toLocation(row: EventRow): EventLocation {
  return {
    eventId: bytesToUuid(row.event_id),
    streamId: row.stream_id,
    type: row.type,
    streamRevision: row.stream_revision,
    position: row.position,
  };
}
