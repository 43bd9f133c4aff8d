import { RecordedEvent } from './event-store.port';
import { CollectionWrites } from './read-store.port';

/**
 * Injection token of how to open the ProjectorPartitions port: a function where the backend offers it
 * (PostgreSQL holding both the event store and the read store), null elsewhere.
 */
export const OPEN_PROJECTOR_PARTITIONS = Symbol('OPEN_PROJECTOR_PARTITIONS');
export type OpenProjectorPartitions = (() => Promise<ProjectorPartitions>) | null;

/** A partition held: the lease's owner and the token that fences its commits (a new one at each take). */
export interface PartitionLease {
  readonly partition: number;
  readonly owner: string;
  readonly token: number;
}

/** Counters to add to a population figure's bucket (negative: taken away); a bucket left with none is deleted. */
export interface BucketIncrement {
  readonly collection: string;
  readonly bucket: string;
  readonly delta: Readonly<Record<string, number>>;
}

/** The lease a commit was made under is no longer this process's: it expired, or another process took it. */
export class LeaseLostError extends Error {
  constructor(readonly partition: number) {
    super(`the lease of projection partition ${partition} was lost: another projector folds it now`);
    this.name = 'LeaseLostError';
  }
}

/**
 * What several projector processes need to share the folding of a partitioned log (docs/postgresql.md,
 * "Scale-out"): each partition's events read by an index, leases with an owner, an expiry and a fencing
 * token, the live processes (members) known by their heartbeats, and a commit that is refused once its lease
 * is lost. Population figures are added to, never overwritten, so that partitions committing at once count
 * every change.
 */
export interface ProjectorPartitions {
  /** How many partitions the log is split into (recorded with the log when it was created). */
  readonly partitions: number;

  /**
   * Up to `maxCount` events of a partition after a position, in position order, and the position of the log's
   * last event read in the same snapshot: when fewer than `maxCount` come back, the partition is folded up to
   * `head` once they are.
   */
  readPartition(
    partition: number,
    afterPosition: number,
    maxCount: number,
  ): Promise<{ readonly events: RecordedEvent[]; readonly head: number }>;

  /** Records this process as alive for `ttlMs` more; answers every live member, this one included. */
  heartbeat(owner: string, ttlMs: number): Promise<string[]>;
  /** Takes the partitions whose lease is free, expired or already the owner's, for `ttlMs`; answers those taken. */
  acquire(owner: string, partitions: readonly number[], ttlMs: number): Promise<PartitionLease[]>;
  /** Extends the leases still held (owner and token unchanged, not expired); answers those. */
  renew(leases: readonly PartitionLease[], ttlMs: number): Promise<PartitionLease[]>;
  /** Gives up leases (their partitions are free at once) and, with `leave`, the membership. */
  release(leases: readonly PartitionLease[], leave?: string): Promise<void>;

  /**
   * Commits documents, bucket increments and checkpoints in one transaction that first checks, and locks, the
   * lease: a lost lease (LeaseLostError) commits nothing.
   */
  commit(
    lease: PartitionLease,
    writes: readonly CollectionWrites[],
    increments: readonly BucketIncrement[],
    checkpoints: Readonly<Record<string, number>>,
  ): Promise<void>;

  /** Resolves at the next commit to the log this process hears of (NOTIFY), or after `timeoutMs`. */
  nextAppend(timeoutMs: number, signal: AbortSignal): Promise<void>;

  close(): Promise<void>;
}
