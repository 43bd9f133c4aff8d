import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Projection } from '../../../projections/projection';
import { customerIdOfStream } from '../../domain/customer-events';
import { EventStore, RecordedEvent } from '../../ports/event-store.port';
import { LeaseLostError, PartitionLease, ProjectorPartitions } from '../../ports/projector-partitions.port';
import { ReadStore } from '../../ports/read-store.port';
import { BatchFold } from './batch-fold';
import { GenerationWriter, Generations, partitionCheckpointName } from './generations';
import { readMergedRecords } from './merged-records';
import { assignedPartitions, leaseChanges, partitionOf } from './partitions';

/** Events of a partition folded and committed in one transaction at most (as the single projector's batches). */
const BATCH_SIZE = 1000;
/** Live appends are gathered this long before a partition folds them (the single projector's linger). */
const LIVE_LINGER_MS = 20;
/** The longest wait for an append's notification before a partition reads its events again. */
const LIVE_POLL_MS = 1000;
/** How often a merge looks again whether the partitions of the records it merges have passed it. */
const MERGE_WAIT_POLL_MS = 20;
const FOLD_RETRY_FIRST_MS = 100;
const FOLD_RETRY_MAX_MS = 5000;
/** A lease lasts this long unless renewed; processes renew theirs three times per lease. */
export const DEFAULT_LEASE_MS = 10_000;

export interface PartitionedProjectorOptions {
  /** How long a lease (and a membership) lasts without a heartbeat: a dead process's partitions wait this long. */
  readonly leaseMs?: number;
  /** This process's name among the projectors (unique: host, pid and a random part by default). */
  readonly owner?: string;
}

/** A partition this process holds: its lease and the fold loop that runs while it holds it. */
interface HeldPartition {
  lease: PartitionLease;
  readonly stop: AbortController;
  readonly loop: Promise<void>;
}

/**
 * The projector partitioned by customer (PostgreSQL scale-out; docs/postgresql.md, "Scale-out"). Several
 * processes run it at once; each folds the partitions it holds a lease on:
 *
 * - Membership and fair shares: every `leaseMs / 3` a process records its heartbeat, reads the live members and
 *   computes its share (assignedPartitions); it renews its leases on the partitions still its own, gives up the
 *   others, and takes those of its share whose lease is free or expired. A process that dies stops renewing:
 *   its leases expire and the members that remain take its partitions over.
 * - Each partition reads only its own events (by the events table's partition index) from its own checkpoint
 *   per projection, folds them with BatchFold as the single projector does, and commits documents, parked
 *   events and checkpoints in a transaction that checks its lease first (fencing: a process whose lease
 *   expired commits nothing more). Population figures are committed as increments the database adds, so
 *   partitions committing at once each count. Its checkpoint advances to the log's head when it has no more
 *   events: a position is folded once every partition has passed it (Generations.committed).
 * - Merges: a merge re-derives the survivor's documents from the events of every record it absorbs, and
 *   removes the absorbed records' documents, which the records' own partitions wrote so far. A record takes
 *   no events after it is merged (its CustomerMergedInto comes first and is its last), so the survivor's
 *   partition folds a merge only after committing everything before it and once the partitions of the
 *   absorbed records have passed it: from then on the records' documents have one writer, the survivor's
 *   partition. A merge waits only for partitions at lower positions than its own, so waits never form a cycle.
 *
 * Rebuilds, version changes and retries of parked events stay with the single projector (see docs).
 */
export class PartitionedProjector {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly generations: Generations;
  private readonly batches: BatchFold;
  private readonly held = new Map<number, HeldPartition>();
  private readonly abort = new AbortController();
  private live: GenerationWriter[] = [];
  private heartbeats: Promise<void> | undefined;

  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly partitions: ProjectorPartitions,
    private readonly projections: readonly Projection<object>[],
    private readonly logger: Logger,
    options: PartitionedProjectorOptions = {},
  ) {
    this.owner = options.owner ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.generations = new Generations(reads);
    this.batches = new BatchFold(events, reads, logger);
  }

  /** Opens the projections' live generations, joins the projectors and starts taking partitions. */
  async start(): Promise<void> {
    const stale: string[] = [];
    for (const projection of this.projections) {
      const { writer, stale: versionChanged } = await this.generations.openActive(projection);
      if (versionChanged) stale.push(projection.name);
      this.live.push(writer);
    }
    if (stale.length > 0) {
      throw new Error(
        `projection versions changed (${stale.join(', ')}): rebuild them with one projector ` +
          '(`ledger project` without --partitioned) before starting partitioned projectors',
      );
    }
    await this.generations.recordProjector(this.partitions.partitions);
    await this.heartbeat();
    this.heartbeats = this.keepBeating();
  }

  /** Stops folding and gives up this process's leases at once, so that the others take its partitions now. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.heartbeats;
    const held = [...this.held.values()];
    for (const partition of held) partition.stop.abort();
    await Promise.all(held.map((partition) => partition.loop));
    await this.partitions.release(
      held.map((partition) => partition.lease),
      this.owner,
    );
    this.held.clear();
  }

  /** The partitions this process holds now. */
  heldPartitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  private async keepBeating(): Promise<void> {
    while (!this.abort.signal.aborted) {
      await pause(this.leaseMs / 3, this.abort.signal);
      if (this.abort.signal.aborted) return;
      try {
        await this.heartbeat();
      } catch (error) {
        // The database unreachable: the leases run out unless a later heartbeat renews them in time, and a
        // commit after that is refused.
        this.logger.error({ err: error }, 'projector heartbeat failed');
      }
    }
  }

  /** One heartbeat: membership, then the leases this process keeps, gives up and takes (leaseChanges). */
  private async heartbeat(): Promise<void> {
    const members = await this.partitions.heartbeat(this.owner, this.leaseMs);
    const assigned = assignedPartitions(this.owner, members, this.partitions.partitions);
    const { renew, release, acquire } = leaseChanges(this.heldPartitions(), assigned);
    const renewed = await this.partitions.renew(
      renew.map((partition) => this.held.get(partition)!.lease),
      this.leaseMs,
    );
    const kept = new Set(renewed.map((lease) => lease.partition));
    for (const partition of renew) {
      if (!kept.has(partition)) await this.drop(partition, 'lease lost');
    }
    const released = release.map((partition) => this.held.get(partition)!.lease);
    for (const partition of release) await this.drop(partition, 'given up to another projector');
    await this.partitions.release(released);
    if (this.abort.signal.aborted) return;
    for (const lease of await this.partitions.acquire(this.owner, acquire, this.leaseMs)) {
      this.take(lease);
    }
  }

  private take(lease: PartitionLease): void {
    const stop = new AbortController();
    const loop = this.foldPartition(lease, stop.signal).finally(() => {
      if (this.held.get(lease.partition)?.lease === lease) this.held.delete(lease.partition);
    });
    this.held.set(lease.partition, { lease, stop, loop });
    this.logger.info({ partition: lease.partition, owner: this.owner }, 'projection partition taken');
  }

  /** Stops a partition's fold loop and waits for it (a commit in flight ends first, or is refused). */
  private async drop(partition: number, why: string): Promise<void> {
    const held = this.held.get(partition);
    if (!held) return;
    held.stop.abort();
    await held.loop;
    this.held.delete(partition);
    this.logger.info({ partition, owner: this.owner, why }, 'projection partition dropped');
  }

  /**
   * Folds a partition while the lease lasts: from each projection's checkpoint of the partition, a batch of its
   * events at a time, then, caught up, at each append the events it brought. A failure other than a lost lease
   * (the database restarting) folds again from the committed checkpoints after a pause.
   */
  private async foldPartition(lease: PartitionLease, signal: AbortSignal): Promise<void> {
    let writers: GenerationWriter[] | undefined;
    for (let failures = 0; !signal.aborted;) {
      try {
        writers ??= await Promise.all(
          this.live.map(async (live) => ({
            ...live,
            position: await this.generations.partitionPosition(
              live.projection,
              live.generation,
              lease.partition,
            ),
            caughtUp: false,
          })),
        );
        await this.foldFromLog(lease, writers, signal);
        return;
      } catch (error) {
        if (error instanceof LeaseLostError) {
          this.logger.warn(
            { partition: lease.partition, owner: this.owner },
            'projection partition lease lost',
          );
          return;
        }
        if (signal.aborted) return;
        failures++;
        const pauseMs = Math.min(FOLD_RETRY_MAX_MS, FOLD_RETRY_FIRST_MS * 2 ** Math.min(failures - 1, 10));
        this.logger.error(
          { err: error, partition: lease.partition, retryInMs: pauseMs },
          'projection partition failed; folding again from its checkpoint',
        );
        await pause(pauseMs, signal);
      }
    }
  }

  private async foldFromLog(lease: PartitionLease, writers: GenerationWriter[], signal: AbortSignal) {
    while (!signal.aborted) {
      const from = Math.min(...writers.map((writer) => writer.position));
      const { events, head } = await this.partitions.readPartition(lease.partition, from, BATCH_SIZE);
      const full = events.length === BATCH_SIZE;
      const upTo = full ? events[events.length - 1]!.position : head;
      if (upTo > from) await this.foldBatch(lease, writers, events, upTo, signal);
      if (full) continue;
      for (const writer of writers) {
        if (writer.indexesPending) {
          await this.generations.buildIndexes(writer);
          writer.indexesPending = false;
        }
        writer.caughtUp = true;
      }
      await this.partitions.nextAppend(LIVE_POLL_MS, signal);
      await pause(LIVE_LINGER_MS, signal);
    }
  }

  /**
   * Folds a batch up to `upTo`, cut before each merge: what comes before a merge is committed first, then the
   * merge waits for the partitions of the records it absorbs to pass it (see the class comment).
   */
  private async foldBatch(
    lease: PartitionLease,
    writers: GenerationWriter[],
    events: readonly RecordedEvent[],
    upTo: number,
    signal: AbortSignal,
  ): Promise<void> {
    const merges = events.flatMap((event, index) => (event.type === 'CustomerMerged' ? [index] : []));
    let start = 0;
    for (const end of [...merges, events.length]) {
      const part = events.slice(start, end);
      const partUpTo = end < events.length ? events[end]!.position - 1 : upTo;
      // Everything before a merge is committed before it waits (a checkpoint alone when nothing is), so that
      // a merge waiting on this partition never waits for a position this partition is itself stuck below.
      if (part.length > 0 || partUpTo > Math.min(...writers.map((writer) => writer.position))) {
        await this.commit(lease, writers, part, partUpTo);
      }
      if (end === events.length) return;
      await this.untilAbsorbedPass(lease.partition, writers, events[end]!, signal);
      // Stopped while waiting: the merge is not folded (the next holder of the partition waits again).
      if (signal.aborted) return;
      start = end;
    }
  }

  private async commit(
    lease: PartitionLease,
    writers: GenerationWriter[],
    events: readonly RecordedEvent[],
    upTo: number,
  ): Promise<void> {
    const { writes, increments, checkpoints } = await this.batches.prepare(writers, events, {
      upTo,
      checkpointOf: (writer) =>
        partitionCheckpointName(writer.projection.name, writer.generation, lease.partition),
      figures: 'increments',
    });
    await this.partitions.commit(lease, writes, increments, checkpoints);
    for (const writer of writers) writer.position = upTo;
  }

  /** Waits until the partitions of the records a merge absorbs have folded everything before it. */
  private async untilAbsorbedPass(
    partition: number,
    writers: readonly GenerationWriter[],
    merge: RecordedEvent,
    signal: AbortSignal,
  ): Promise<void> {
    const records = await readMergedRecords(this.events, customerIdOfStream(merge.streamId), {
      upToPosition: merge.position,
    });
    const others = new Set(
      records
        .map((record) => partitionOf(record.recordId, this.partitions.partitions))
        .filter((other) => other !== partition),
    );
    const before = merge.position - 1;
    for (const other of others) {
      for (const writer of writers) {
        while (
          !signal.aborted &&
          (await this.generations.partitionPosition(writer.projection, writer.generation, other)) < before
        ) {
          await pause(MERGE_WAIT_POLL_MS, signal);
        }
      }
    }
  }
}

/** Waits `ms`, or less when the signal aborts. */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);
