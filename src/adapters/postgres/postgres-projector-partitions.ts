import { Pool } from 'pg';
import { RecordedEvent } from '../../ports/event-store.port';
import {
  BucketIncrement,
  LeaseLostError,
  PartitionLease,
  ProjectorPartitions,
} from '../../ports/projector-partitions.port';
import { CollectionWrites } from '../../ports/read-store.port';
import { CommitSignal } from '../shared/polling-subscription';
import {
  ChannelListener,
  inTransaction,
  migrate,
  openPool,
  PostgresConnectionOptions,
} from './postgres-connection';
import { EVENT_COLUMNS, EventRow, toRecorded } from './postgres-event-store';
import { incrementBuckets, writeCheckpoints, writeDocuments } from './postgres-read-store';

/**
 * Members and leases. Every time is the database server's (clock_timestamp()), so the processes' own clocks
 * do not matter. A lease row with no owner, or an expired one, is free; each take gives it a new token.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS projector_members (owner text PRIMARY KEY, expires_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS projector_leases (
  partition integer PRIMARY KEY,
  owner text,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL
);
`;

const EXPIRES = `clock_timestamp() + $TTL * interval '1 millisecond'`;

/**
 * The partitioned projector's store on PostgreSQL: the log's partitions (the `partition` column the event
 * store computes at append, read through its index), the members and leases, and the fenced commit. It works
 * on the tables of the event store and the read store, which must share one database and schema (DATABASE_URL
 * holds both), so that a commit of read models can check its lease in the same transaction.
 */
export async function createPostgresProjectorPartitions(
  options: PostgresConnectionOptions,
): Promise<ProjectorPartitions> {
  const pool = openPool(options, 5);
  try {
    await migrate(pool, options, async (client) => {
      await client.query(SCHEMA);
    });
    const { rows } = await pool.query<{ partitions: number; oid: string }>(
      `SELECT partitions, 'events'::regclass::oid::bigint AS oid FROM log_partitions WHERE id = 1`,
    );
    if (!rows[0]) throw new Error('the event store has no partitions recorded: open it first');
    return new PostgresProjectorPartitions(pool, options, rows[0].partitions, `ledger_events_${rows[0].oid}`);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

class PostgresProjectorPartitions implements ProjectorPartitions {
  private readonly appends = new CommitSignal();
  private readonly listener: ChannelListener;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresConnectionOptions,
    readonly partitions: number,
    /** The event store's NOTIFY channel (postgres-event-store.ts). */
    channel: string,
  ) {
    this.listener = new ChannelListener(options.connectionString, channel, () => this.appends.committed());
  }

  async readPartition(
    partition: number,
    afterPosition: number,
    maxCount: number,
  ): Promise<{ events: RecordedEvent[]; head: number }> {
    // One statement, one snapshot: the head and the events up to it. Groups commit in position order (the
    // append lock), so no event at or below the head can still come.
    const { rows } = await this.pool.query<{ head: string } & { [K in keyof EventRow]: EventRow[K] | null }>(
      `WITH log AS (SELECT coalesce(max(position), 0) AS head FROM events)
       SELECT log.head, page.* FROM log LEFT JOIN LATERAL (
         SELECT ${EVENT_COLUMNS} FROM events
         WHERE partition = $1 AND position > $2 AND position <= log.head
         ORDER BY position LIMIT $3) AS page ON true`,
      [partition, afterPosition, maxCount],
    );
    return {
      head: Number(rows[0]?.head ?? 0),
      events: rows.filter((row) => row.position !== null).map((row) => toRecorded(row as EventRow)),
    };
  }

  async heartbeat(owner: string, ttlMs: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ owner: string }>(
      `WITH beat AS (
         INSERT INTO projector_members (owner, expires_at) VALUES ($1, ${EXPIRES.replace('$TTL', '$2')})
         ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at),
       gone AS (DELETE FROM projector_members WHERE expires_at < clock_timestamp() - interval '1 day')
       SELECT owner FROM projector_members WHERE expires_at > clock_timestamp() AND owner <> $1`,
      [owner, ttlMs],
    );
    return [owner, ...rows.map((row) => row.owner)];
  }

  async acquire(owner: string, partitions: readonly number[], ttlMs: number): Promise<PartitionLease[]> {
    if (partitions.length === 0) return [];
    const { rows } = await this.pool.query<{ partition: number; owner: string; token: string }>(
      `INSERT INTO projector_leases AS lease (partition, owner, token, expires_at)
       SELECT partition, $2, 1, ${EXPIRES.replace('$TTL', '$3')} FROM unnest($1::integer[]) AS partition
       ORDER BY partition
       ON CONFLICT (partition) DO UPDATE
         SET owner = excluded.owner, token = lease.token + 1, expires_at = excluded.expires_at
         WHERE lease.owner IS NULL OR lease.owner = excluded.owner OR lease.expires_at < clock_timestamp()
       RETURNING partition, owner, token`,
      [[...partitions], owner, ttlMs],
    );
    return rows.map(toLease);
  }

  async renew(leases: readonly PartitionLease[], ttlMs: number): Promise<PartitionLease[]> {
    if (leases.length === 0) return [];
    const { rows } = await this.pool.query<{ partition: number; owner: string; token: string }>(
      `UPDATE projector_leases AS lease SET expires_at = ${EXPIRES.replace('$TTL', '$4')}
       FROM unnest($1::integer[], $2::bigint[]) AS held (partition, token)
       WHERE lease.partition = held.partition AND lease.token = held.token AND lease.owner = $3
         AND lease.expires_at > clock_timestamp()
       RETURNING lease.partition, lease.owner, lease.token`,
      [leases.map((lease) => lease.partition), leases.map((lease) => lease.token), leases[0]!.owner, ttlMs],
    );
    return rows.map(toLease);
  }

  async release(leases: readonly PartitionLease[], leave?: string): Promise<void> {
    if (leases.length > 0) {
      await this.pool.query(
        `UPDATE projector_leases AS lease SET owner = NULL, expires_at = '-infinity'
         FROM unnest($1::integer[], $2::bigint[]) AS held (partition, token)
         WHERE lease.partition = held.partition AND lease.token = held.token AND lease.owner = $3`,
        [leases.map((lease) => lease.partition), leases.map((lease) => lease.token), leases[0]!.owner],
      );
    }
    if (leave !== undefined) await this.pool.query('DELETE FROM projector_members WHERE owner = $1', [leave]);
  }

  async commit(
    lease: PartitionLease,
    writes: readonly CollectionWrites[],
    increments: readonly BucketIncrement[],
    checkpoints: Readonly<Record<string, number>>,
  ): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      // The lease row stays locked until the commit: a process taking the partition over waits for it, and
      // then finds the lease renewed or this commit done.
      const { rows } = await client.query(
        `SELECT 1 FROM projector_leases WHERE partition = $1 AND owner = $2 AND token = $3
           AND expires_at > clock_timestamp() FOR UPDATE`,
        [lease.partition, lease.owner, lease.token],
      );
      if (rows.length === 0) throw new LeaseLostError(lease.partition);
      await writeDocuments(client, writes);
      await incrementBuckets(client, increments);
      await writeCheckpoints(client, checkpoints);
    });
  }

  /** Woken by the event store's NOTIFY (sent in every append's commit, by any process). */
  async nextAppend(timeoutMs: number, signal: AbortSignal): Promise<void> {
    this.listener.listen();
    await this.appends.next(undefined, timeoutMs, signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.appends.close();
    await this.listener.close();
    await this.pool.end();
  }
}

function toLease(row: { partition: number; owner: string; token: string }): PartitionLease {
  return { partition: row.partition, owner: row.owner, token: Number(row.token) };
}
