import { createHash } from 'node:crypto';
import { CUSTOMER_STREAM_PREFIX } from '../../domain/customer-events';

/**
 * The partitions of the partitioned projector (PostgreSQL scale-out, docs/postgresql.md): the customer
 * events of the log split by a stable hash of the customer id, each partition folded by one projector process
 * at a time, with a checkpoint of its own per projection.
 *
 * The hash is the first 28 bits of the MD5 of the customer id, modulo the number of partitions: the event
 * store computes the same in SQL when it appends (postgres-event-store.ts, `ledger_partition`), so each
 * partition reads its own events by an index.
 */
export function partitionOf(customerId: string, partitions: number): number {
  const hash = Number.parseInt(createHash('md5').update(customerId).digest('hex').slice(0, 7), 16);
  return hash % partitions;
}

/** The partition of a stream's events: its customer's; none for other streams (access logs), which no projection folds. */
export function partitionOfStream(streamId: string, partitions: number): number | undefined {
  return streamId.startsWith(CUSTOMER_STREAM_PREFIX)
    ? partitionOf(streamId.slice(CUSTOMER_STREAM_PREFIX.length), partitions)
    : undefined;
}

/**
 * Which partitions each live projector process should hold, a fair share each: the processes in order of
 * their ids, partition p goes to the (p mod n)-th. Every process computes the same answer from the same
 * list of members, so no process has to decide for the others; when one comes or goes, every share changes
 * at the next heartbeat (a process gives up what is no longer its own, and takes what is, once free).
 */
export function assignedPartitions(self: string, members: readonly string[], partitions: number): number[] {
  const ordered = [...new Set([...members, self])].sort();
  const rank = ordered.indexOf(self);
  const own: number[] = [];
  for (let partition = rank; partition < partitions; partition += ordered.length) own.push(partition);
  return own;
}

/**
 * What a process does with its leases at a heartbeat: keep (renew) those still assigned to it, give up the
 * others so that their new owner can take them at once, and try to take the assigned ones it lacks (the store
 * grants a partition only when its lease is free, expired, or already this owner's).
 */
export function leaseChanges(
  held: readonly number[],
  assigned: readonly number[],
): { readonly renew: number[]; readonly release: number[]; readonly acquire: number[] } {
  const mine = new Set(assigned);
  const holding = new Set(held);
  return {
    renew: held.filter((partition) => mine.has(partition)),
    release: held.filter((partition) => !mine.has(partition)),
    acquire: assigned.filter((partition) => !holding.has(partition)),
  };
}
