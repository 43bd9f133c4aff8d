import { Pool, PoolClient, QueryResult } from 'pg';
import {
  answerStaleRequest,
  appendedAt,
  appendResult,
  freshEvents,
  isSameEvent,
} from '../../ports/append-rules';
import {
  AppendRequest,
  AppendResult,
  EventIdConflictError,
  EventLocation,
  EventStore,
  LogSummary,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  RetentionRule,
  revisionMatches,
  StreamHead,
  StreamMetadata,
  SubscribeOptions,
  SubscriptionMessage,
} from '../../ports/event-store.port';
import { chainEvents, ChainedEvent, GENESIS_HASH } from '../../ports/hash-chain';
import { AppendOutcome, GroupCommitQueue } from '../shared/group-commit';
import { CommitSignal, pollingSubscription } from '../shared/polling-subscription';
import {
  ChannelListener,
  inTransaction,
  migrate,
  openPool,
  PostgresConnectionOptions,
} from './postgres-connection';

export interface PostgresEventStoreOptions extends PostgresConnectionOptions {
  /**
   * How often a live subscription reads the log when no notification woke it: notifications of other
   * processes' commits come by LISTEN/NOTIFY, and this poll covers a listening connection that was lost.
   */
  readonly pollIntervalMs?: number;
  /**
   * How many partitions the customer events are split into for the partitioned projector (docs/postgresql.md,
   * "Scale-out"): recorded with the log when its tables are created (default DEFAULT_LOG_PARTITIONS), and read
   * from there afterwards.
   */
  readonly partitions?: number;
}

/** The partitions of a new log: a few times the projector processes a deployment runs (docs/postgresql.md). */
export const DEFAULT_LOG_PARTITIONS = 8;

interface StreamRow {
  revision: string;
  last_hash: Buffer;
}

export interface EventRow {
  position: string;
  stream_id: string;
  stream_revision: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  prev_hash: Buffer;
  hash: Buffer;
  redacted_at: Date | null;
}

/** Where a stream ends: its last revision (-1: no event) and the hash of its last event. */
interface Head {
  readonly revision: number;
  readonly hash: string;
}

/** An event row, drafted in memory, to insert with the group. */
interface NewRow extends ChainedEvent {
  readonly position: number;
  readonly streamId: string;
}

/**
 * A group commit's writes so far: the heads of its streams and the locations of its event ids as the
 * database holds them, with the appends accepted so far laid over them.
 */
interface GroupState {
  lastPosition: number;
  readonly heads: Map<string, Head>;
  readonly locations: Map<string, EventLocation>;
  readonly rows: NewRow[];
  readonly advanced: Set<string>;
}

/**
 * Events keep the exact canonical JSON text they were hashed over (`json`, not `jsonb`, which would
 * reorder keys and refuse \u0000). The stream id is in each event row: no join on reads.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (
  stream_id text COLLATE "C" PRIMARY KEY,
  revision bigint NOT NULL,
  last_hash bytea NOT NULL,
  metadata jsonb
);
CREATE TABLE IF NOT EXISTS events (
  position bigint PRIMARY KEY,
  stream_id text COLLATE "C" NOT NULL,
  stream_revision bigint NOT NULL,
  event_id uuid NOT NULL,
  type text NOT NULL,
  schema_version integer NOT NULL,
  data json NOT NULL,
  metadata json NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  redacted_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream_id, stream_revision);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_event_id ON events (event_id);
CREATE TABLE IF NOT EXISTS log_summary (
  id integer PRIMARY KEY CHECK (id = 1),
  last_position bigint NOT NULL,
  streams bigint NOT NULL,
  events bigint NOT NULL
);
INSERT INTO log_summary (id, last_position, streams, events) VALUES (1, 0, 0, 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS log_partitions (id integer PRIMARY KEY CHECK (id = 1), partitions integer NOT NULL);
CREATE OR REPLACE FUNCTION ledger_partition(stream_id text, partitions integer) RETURNS smallint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN left(stream_id, 9) = 'customer-'
    THEN (('x' || substr(md5(substr(stream_id, 10)), 1, 7))::bit(28)::integer % partitions)::smallint END $$;
`;

/**
 * The partition of each customer event (partitionOf in src/application/read-models/partitions.ts, the same
 * hash: the first 28 bits of the MD5 of the customer id, modulo the log's partitions), computed as it is
 * appended; NULL for other streams, which no projection folds. A log created before partitions gets the
 * column and its values once, here (one pass over the table); the partial index then lets each partition read
 * only its own events, in position order.
 */
async function migratePartitions(client: PoolClient, partitions: number): Promise<void> {
  await client.query(
    'INSERT INTO log_partitions (id, partitions) VALUES (1, $1) ON CONFLICT (id) DO NOTHING',
    [partitions],
  );
  const { rows } = await client.query(
    `SELECT 1 FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'events' AND column_name = 'partition'`,
  );
  if (rows.length > 0) return;
  await client.query('ALTER TABLE events ADD COLUMN partition smallint');
  await client.query(
    `UPDATE events SET partition = ledger_partition(stream_id, (SELECT partitions FROM log_partitions))
     WHERE left(stream_id, 9) = 'customer-'`,
  );
  await client.query(
    'CREATE INDEX events_by_partition ON events (partition, position) WHERE partition IS NOT NULL',
  );
}

export const EVENT_COLUMNS = `position, stream_id, stream_revision, event_id, type, schema_version, data, metadata,
  prev_hash, hash, redacted_at`;
const LOCATION_COLUMNS = 'position, stream_id, stream_revision, event_id, type';

const READ_FORWARDS = `SELECT ${EVENT_COLUMNS} FROM events
  WHERE stream_id = $1 AND stream_revision >= $2 ORDER BY stream_revision LIMIT $3`;
const READ_BACKWARDS = `SELECT ${EVENT_COLUMNS} FROM events
  WHERE stream_id = $1 AND stream_revision <= $2 ORDER BY stream_revision DESC LIMIT $3`;
const READ_ALL = `SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2`;
/** The last position handed out; the log itself when the summary row is missing. */
const LAST_ASSIGNED = `SELECT coalesce((SELECT last_position FROM log_summary WHERE id = 1),
  (SELECT max(position) FROM events), 0) AS last_position`;
const INSERT_EVENTS = `INSERT INTO events
  (position, stream_id, stream_revision, event_id, type, schema_version, data, metadata, prev_hash, hash,
    partition)
  SELECT e.*, ledger_partition(e.stream_id, (SELECT partitions FROM log_partitions WHERE id = 1))
  FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::integer[],
    $7::json[], $8::json[], $9::bytea[], $10::bytea[])
    AS e (position, stream_id, stream_revision, event_id, type, schema_version, data, metadata, prev_hash, hash)`;
const ADVANCE_STREAMS = `INSERT INTO streams (stream_id, revision, last_hash)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
  ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, last_hash = excluded.last_hash`;
/** The count advances with the events; the notification goes out when, and only if, they commit. */
const COUNT_AND_NOTIFY = `WITH counted AS (
    UPDATE log_summary SET last_position = $1, streams = streams + $2, events = events + $3 WHERE id = 1)
  SELECT pg_notify($4, $5)`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const PAGE_SIZE = 1000;

/**
 * The event store on PostgreSQL (`DATABASE_URL`), with the SQLite store's semantics, for several processes
 * appending to one database:
 *
 * - Group commit: appends issued in the same turn of the event loop (and those issued while a group is being
 *   committed) share one transaction (the shared GroupCommitQueue), one WAL flush and a fixed number of
 *   statements: the group reads the heads of its streams and the locations of its event ids, drafts every
 *   append in memory, and writes the accepted ones with one INSERT of events and one upsert of stream heads.
 *   Each append call stays atomic on its own: a refused one (wrong revision, reused id) leaves nothing in the
 *   group's writes, and when the database refuses the writes themselves, each call is committed alone. (The
 *   SQLite store gets the same from savepoints; here they would cost round trips per call.)
 * - Global order without gaps: every group transaction takes one transaction-level advisory lock
 *   (pg_advisory_xact_lock) before it reads anything and holds it until it commits, in this process and in
 *   every other one appending to the same tables. What the group read therefore stays true until it
 *   commits, positions are dense (1, 2, 3...: a counter in `log_summary`, not a sequence, which would leave
 *   holes where a transaction failed), and groups commit in position order: a reader never sees position N+1
 *   before N. Throughput comes from group commit, not from concurrent appenders.
 * - Idempotency by event id: a unique index on event_id; an id already stored in the same stream with the
 *   same type is a duplicate (answered with its original revision and position), elsewhere an
 *   EventIdConflictError. Optimistic concurrency by the stream row's revision.
 * - Hash chain: computed by chainEvents (hash-chain.ts) over the canonical JSON, which is stored as that exact text
 *   (`json`), so verification recomputes the same hashes.
 * - Subscriptions: the shared polling subscription (catch-up by pages, then live), woken by this process's
 *   commits and by NOTIFY from every other process (sent inside the commit), with a poll as a fallback.
 *
 * The factory creates the tables when missing (in the options' schema, or the connection's current one).
 */
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<EventStore> {
  const pool = openPool(options, 5);
  try {
    await migrate(pool, options, async (client) => {
      await client.query(SCHEMA);
      await migratePartitions(client, options.partitions ?? DEFAULT_LOG_PARTITIONS);
    });
    // The events table's oid names this ledger in the database: two ledgers in two schemas of one
    // database neither wait for each other's lock nor wake each other's subscribers.
    const { rows } = await pool.query<{ oid: string }>(`SELECT 'events'::regclass::oid::bigint AS oid`);
    return new PostgresEventStore(pool, options, Number(rows[0]!.oid));
  } catch (error) {
    await pool.end();
    throw error;
  }
}

class PostgresEventStore implements EventStore {
  private readonly appends = new GroupCommitQueue(
    (group) => this.commit(group),
    () => this.commits.committed(),
  );
  /** This process's commits and those other processes notify. */
  private readonly commits = new CommitSignal();
  private closed = false;
  private readonly pollIntervalMs: number;
  private readonly channel: string;
  private readonly listener: ChannelListener;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresEventStoreOptions,
    /** The advisory lock key of appending to this ledger (a bigint key; migrations use the two-int space). */
    private readonly appendLock: number,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.channel = `ledger_events_${appendLock}`;
    this.listener = new ChannelListener(options.connectionString, this.channel, () =>
      this.commits.committed(),
    );
  }

  /** Queued for the next group commit (see the factory's comment). */
  append(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (this.closed) return Promise.reject(new Error('the event store is closed'));
    return this.appends.append(requests);
  }

  /**
   * Commits a group and answers each append call. When the database refuses the group's writes (a value it
   * cannot store, say), each call is committed alone, so that only the one at fault fails; when the
   * transaction fails otherwise (connection lost, commit refused), nothing of it is known to be stored, and a
   * retry with the same event ids is safe.
   */
  private async commit(group: readonly (readonly AppendRequest[])[]): Promise<AppendOutcome[]> {
    try {
      return await inTransaction(this.pool, (client) => this.commitGroup(client, group));
    } catch (error) {
      if (group.length === 1 || isConnectionError(error)) throw error;
      const outcomes: AppendOutcome[] = [];
      for (const call of group) {
        outcomes.push(...(await this.commit([call]).catch((alone: unknown) => [{ error: alone }])));
      }
      return outcomes;
    }
  }

  /**
   * Under the append lock, reads the heads of the group's streams and where its event ids are stored, drafts
   * every append in memory (an append that is refused leaves nothing behind), and writes what was accepted
   * with three statements, whatever the size of the group.
   */
  private async commitGroup(
    client: PoolClient,
    group: readonly (readonly AppendRequest[])[],
  ): Promise<AppendOutcome[]> {
    // One round trip: the lock, then the counter it guards.
    const [, assigned] = (await client.query(
      `SELECT pg_advisory_xact_lock(${this.appendLock}); ${LAST_ASSIGNED}`,
    )) as unknown as QueryResult<{ last_position: string }>[];
    const requests = group.flat();
    const state: GroupState = {
      lastPosition: Number(assigned!.rows[0]!.last_position),
      heads: await this.heads(client, [...new Set(requests.map((request) => request.streamId))]),
      locations: await this.locations(
        client,
        requests.flatMap((request) => request.events.map((event) => event.eventId)),
      ),
      rows: [],
      advanced: new Set(),
    };
    const outcomes = group.map((call): AppendOutcome => {
      const draft = emptyDraft(state.lastPosition);
      try {
        const results = call.map((request) => draftAppend(draft, state, request));
        accept(state, draft);
        return { results };
      } catch (error) {
        return { error };
      }
    });
    if (state.rows.length > 0) await this.write(client, state);
    return outcomes;
  }

  private async write(client: PoolClient, state: GroupState): Promise<void> {
    const { rows } = state;
    await client.query(INSERT_EVENTS, [
      rows.map((row) => row.position),
      rows.map((row) => row.streamId),
      rows.map((row) => row.streamRevision),
      rows.map((row) => row.event.eventId),
      rows.map((row) => row.event.type),
      rows.map((row) => row.event.schemaVersion),
      rows.map((row) => row.dataJson),
      rows.map((row) => row.metadataJson),
      rows.map((row) => Buffer.from(row.prevHash, 'hex')),
      rows.map((row) => Buffer.from(row.hash, 'hex')),
    ]);
    const advanced = [...state.advanced];
    await client.query(ADVANCE_STREAMS, [
      advanced,
      advanced.map((streamId) => state.heads.get(streamId)!.revision),
      advanced.map((streamId) => Buffer.from(state.heads.get(streamId)!.hash, 'hex')),
    ]);
    // A stream gains its first event exactly when revision 0 is appended to it.
    const newStreams = rows.filter((row) => row.streamRevision === 0).length;
    await client.query(COUNT_AND_NOTIFY, [
      state.lastPosition,
      newStreams,
      rows.length,
      this.channel,
      String(state.lastPosition),
    ]);
  }

  /** The heads of the given streams that exist (a stream with only metadata has revision -1). */
  private async heads(client: PoolClient, streamIds: readonly string[]): Promise<Map<string, Head>> {
    const { rows } = await client.query<StreamRow & { stream_id: string }>(
      'SELECT stream_id, revision, last_hash FROM streams WHERE stream_id = ANY($1::text[])',
      [streamIds],
    );
    return new Map(
      rows.map((row) => [
        row.stream_id,
        { revision: Number(row.revision), hash: row.last_hash.toString('hex') },
      ]),
    );
  }

  /** Where the given event ids are stored, by lower-case id; ids that are not UUIDs are left to draftAppend. */
  private async locations(client: Pool | PoolClient, eventIds: readonly string[]) {
    const ids = [...new Set(eventIds.filter((eventId) => UUID.test(eventId)).map((id) => id.toLowerCase()))];
    if (ids.length === 0) return new Map<string, EventLocation>();
    const { rows } = await client.query<EventRow>(
      `SELECT ${LOCATION_COLUMNS} FROM events WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((row) => [row.event_id, toLocation(row)]));
  }

  private async stream(client: Pool | PoolClient, streamId: string): Promise<StreamRow | undefined> {
    const { rows } = await client.query<StreamRow>(
      'SELECT revision, last_hash FROM streams WHERE stream_id = $1',
      [streamId],
    );
    return rows[0];
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const { rows } = await this.pool.query<EventRow>(backwards ? READ_BACKWARDS : READ_FORWARDS, [
      streamId,
      options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0),
      limitOf(options.maxCount),
    ]);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(READ_ALL, [
      options.afterPosition ?? 0,
      limitOf(options.maxCount ?? PAGE_SIZE),
    ]);
    return rows.map(toRecorded);
  }

  /**
   * Woken by this process's commits and by NOTIFY from every other process (sent inside the commit), with a
   * poll as a fallback. A lost connection or a restarting server is waited out (growing pauses); other errors
   * end the iteration with that error.
   */
  subscribeToAll(options: SubscribeOptions = {}): AsyncIterable<SubscriptionMessage> {
    return pollingSubscription(
      {
        readPage: (afterPosition, maxCount) => this.readAll({ afterPosition, maxCount }),
        commits: this.commits,
        pollIntervalMs: this.pollIntervalMs,
        pageSize: PAGE_SIZE,
        isTransient: isConnectionError,
        beforeWait: () => this.listener.listen(),
      },
      options,
    );
  }

  async findEvents(eventIds: readonly string[]): Promise<Map<string, EventLocation>> {
    return this.locations(this.pool, eventIds);
  }

  async streamRevision(streamId: string): Promise<number> {
    const stream = await this.stream(this.pool, streamId);
    return stream ? Number(stream.revision) : -1;
  }

  async lastPosition(): Promise<number> {
    const { rows } = await this.pool.query<{ position: string | null }>(
      'SELECT max(position) AS position FROM events',
    );
    return Number(rows[0]?.position ?? 0);
  }

  async logSummary(): Promise<LogSummary> {
    // One statement, one snapshot: the counts and the last position are read together.
    const { rows } = await this.pool.query<{ position: string | null; streams: string; events: string }>(
      `SELECT (SELECT max(position) FROM events) AS position,
        coalesce((SELECT streams FROM log_summary WHERE id = 1), 0) AS streams,
        coalesce((SELECT events FROM log_summary WHERE id = 1), 0) AS events`,
    );
    const row = rows[0]!;
    return {
      lastPosition: Number(row.position ?? 0),
      counted: { streams: Number(row.streams), events: Number(row.events) },
      densePositions: true,
    };
  }

  async streamHead(streamId: string): Promise<StreamHead | undefined> {
    const stream = await this.stream(this.pool, streamId);
    return (
      stream && { streamId, streamRevision: Number(stream.revision), hash: stream.last_hash.toString('hex') }
    );
  }

  async *streamHeads(): AsyncIterable<StreamHead> {
    for (let after = ''; ;) {
      const { rows } = await this.pool.query<StreamRow & { stream_id: string }>(
        'SELECT stream_id, revision, last_hash FROM streams WHERE stream_id > $1 ORDER BY stream_id LIMIT $2',
        [after, PAGE_SIZE],
      );
      for (const row of rows) {
        yield {
          streamId: row.stream_id,
          streamRevision: Number(row.revision),
          hash: row.last_hash.toString('hex'),
        };
      }
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]!.stream_id;
    }
  }

  /**
   * Removes the data in place, then VACUUMs the table so that the old row versions, which still hold it,
   * are given up (see docs/postgresql.md for what VACUUM does not reach: free space, WAL, backups).
   */
  async applyRetention(rules: readonly RetentionRule[], now: Date): Promise<Record<string, number>> {
    const redacted: Record<string, number> = {};
    await inTransaction(this.pool, async (client) => {
      for (const rule of rules) {
        const cutoff = new Date(now.getTime() - rule.maxAgeDays * 86_400_000).toISOString();
        const { rowCount } = await client.query(
          `UPDATE events SET data = '{}', redacted_at = $1
           WHERE type = $2 AND redacted_at IS NULL AND metadata->>'occurredAt' < $3`,
          [now, rule.type, cutoff],
        );
        redacted[rule.type] = rowCount ?? 0;
      }
    });
    await this.pool.query('VACUUM events');
    return redacted;
  }

  async getStreamMetadata(streamId: string): Promise<StreamMetadata | undefined> {
    const { rows } = await this.pool.query<{ metadata: StreamMetadata | null }>(
      'SELECT metadata FROM streams WHERE stream_id = $1',
      [streamId],
    );
    return rows[0]?.metadata ?? undefined;
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    await this.pool.query(
      `INSERT INTO streams (stream_id, revision, last_hash, metadata) VALUES ($1, -1, $2, $3)
       ON CONFLICT (stream_id) DO UPDATE SET metadata = excluded.metadata`,
      [streamId, Buffer.from(GENESIS_HASH, 'hex'), JSON.stringify(metadata)],
    );
  }

  /** Commits what is queued, then ends subscriptions and connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An append queued before close is still committed.
    await this.appends.drain();
    this.commits.close();
    await this.listener.close();
    await this.pool.end();
  }
}

/** The writes of one append call, decided but not yet accepted into the group. */
function emptyDraft(lastPosition: number): GroupState {
  return { lastPosition, heads: new Map(), locations: new Map(), rows: [], advanced: new Set() };
}

/** Lays an accepted append call's writes over the group's. */
function accept(group: GroupState, draft: GroupState): void {
  group.lastPosition = draft.lastPosition;
  for (const [streamId, head] of draft.heads) group.heads.set(streamId, head);
  for (const [eventId, location] of draft.locations) group.locations.set(eventId, location);
  for (const streamId of draft.advanced) group.advanced.add(streamId);
  group.rows.push(...draft.rows);
}

/**
 * Drafts one append request against the group's state (`group`) and the writes of the same append call
 * before it (`draft`), adding its events to the draft. Throws what the append is refused with; the
 * draft is then dropped, so a refused call leaves nothing behind.
 */
function draftAppend(draft: GroupState, group: GroupState, request: AppendRequest): AppendResult {
  const { streamId } = request;
  const head = draft.heads.get(streamId) ?? group.heads.get(streamId);
  const actual = head?.revision ?? -1;
  const stored = request.events.map((event) => {
    if (!UUID.test(event.eventId))
      throw new Error(`stream ${streamId}: event id ${event.eventId} is not a UUID`);
    const eventId = event.eventId.toLowerCase();
    const location = draft.locations.get(eventId) ?? group.locations.get(eventId);
    if (location && !isSameEvent(streamId, event, location)) {
      throw new EventIdConflictError(event.eventId, location);
    }
    return location;
  });
  if (!revisionMatches(request.expectedRevision, actual)) {
    return answerStaleRequest(request, actual, stored);
  }
  const chained = [...chainEvents(streamId, head, freshEvents(request, stored))];
  const appended = chained.map((row) => {
    const position = ++draft.lastPosition;
    draft.rows.push({ ...row, position, streamId });
    const location: EventLocation = {
      eventId: row.event.eventId,
      streamId,
      type: row.event.type,
      streamRevision: row.streamRevision,
      position,
    };
    draft.locations.set(location.eventId, location);
    return appendedAt(location);
  });
  const last = chained[chained.length - 1];
  if (last) {
    draft.heads.set(streamId, { revision: last.streamRevision, hash: last.hash });
    draft.advanced.add(streamId);
  }
  return appendResult(streamId, last?.streamRevision ?? actual, stored, appended);
}

/** A LIMIT for a maxCount: none (NULL) when absent, never negative. */
function limitOf(maxCount: number | undefined): number | null {
  return maxCount === undefined ? null : Math.max(0, Math.trunc(maxCount));
}

/**
 * Errors after which reading again later can succeed: the socket failed (Node's E... codes, or pg's
 * "Connection terminated"), a connection exception (SQLSTATE class 08), or a server shutting down or
 * starting (57P01-57P03).
 */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return /^(E[A-Z]+|08...|57P0[123])$/.test(code);
  return error instanceof Error && /connection/i.test(error.message);
}

export function toRecorded(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    streamRevision: Number(row.stream_revision),
    position: Number(row.position),
    prevHash: row.prev_hash.toString('hex'),
    hash: row.hash.toString('hex'),
    ...(row.redacted_at && { redactedAt: row.redacted_at.toISOString() }),
  };
}

function toLocation(row: EventRow): EventLocation {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    type: row.type,
    streamRevision: Number(row.stream_revision),
    position: Number(row.position),
  };
}
