import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { FigureBucket, withDelta } from '../../projections/population-figure';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { PartitionedProjector } from '../../src/application/read-models/partitioned-projector';
import { partitionOf, partitionOfStream } from '../../src/application/read-models/partitions';
import {
  collectionName,
  figureCollectionName,
  ProjectionEngine,
} from '../../src/application/read-models/projection-engine';
import { EventStore, RecordedEvent } from '../../src/ports/event-store.port';
import {
  BucketIncrement,
  LeaseLostError,
  PartitionLease,
  ProjectorPartitions,
} from '../../src/ports/projector-partitions.port';
import { CollectionWrites, ReadStore } from '../../src/ports/read-store.port';
import { appendHistory } from '../support/customer-history';
import { aNewEvent } from '../support/events';

const silent = pino({ level: 'silent' });
const PARTITIONS = 4;
const LEASE_MS = 600;

/**
 * The partitioned projector's own rules, in one process on the embedded stores, with the port held in memory
 * (leases and members by the clock, commits one at a time): two projectors share the partitions and fold
 * what one projector folds, figures included; one that stops gives its partitions to the other; one whose
 * lease is taken stops committing that partition. The same on PostgreSQL, with real processes:
 * test/crash/postgres-partitioned-projectors.int-spec.ts.
 */
describe('partitioned projector', () => {
  let events: EventStore;
  let reads: ReadStore;
  let partitions: MemoryPartitions;
  const running: PartitionedProjector[] = [];
  const projector = (owner: string) => {
    const created = new PartitionedProjector(events, reads, partitions, PROJECTIONS, silent, {
      owner,
      leaseMs: LEASE_MS,
    });
    running.push(created);
    return created;
  };

  beforeEach(() => {
    events = createSqliteEventStore({ file: ':memory:', pollIntervalMs: 20 });
    reads = createSqliteReadStore(':memory:');
    partitions = new MemoryPartitions(events, reads, PARTITIONS);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((one) => one.stop()));
    await events.close();
    await reads.close();
  });

  it('shares the partitions between two projectors and folds what one projector folds, figures included', async () => {
    await appendHistory(events, 24, 25);
    const [a, b] = [projector('a'), projector('b')];
    await a.start();
    await b.start();
    await until(
      () => a.heldPartitions().length === 2 && b.heldPartitions().length === 2,
      'a fair share each',
    );
    expect([...a.heldPartitions(), ...b.heldPartitions()].sort()).toEqual([0, 1, 2, 3]);
    await until(async () => (await partitions.folded()) >= (await events.lastPosition()), 'the log folded');

    // One stops: it gives its partitions up at once, and the other takes them and folds what comes next.
    await b.stop();
    await until(() => a.heldPartitions().length === PARTITIONS, 'the other to take every partition');
    await appendHistory(events, 3, 10, 50, (index) => `late${index}`);
    await until(async () => (await partitions.folded()) >= (await events.lastPosition()), 'the new events');

    const scratch = createSqliteReadStore(':memory:');
    const engine = new ProjectionEngine(events, scratch, PROJECTIONS, silent);
    try {
      await engine.start();
      await engine.caughtUp();
      for (const projection of PROJECTIONS) {
        const collections = [
          collectionName(projection.name, 1),
          ...(projection.figures ?? []).map((figure) =>
            figureCollectionName(projection.name, figure.name, 1),
          ),
        ];
        for (const collection of collections) {
          expect({ collection, documents: await all(reads, collection) }).toEqual({
            collection,
            documents: await all(scratch, collection),
          });
        }
      }
    } finally {
      await engine.stop();
      await scratch.close();
    }
  });

  it('stops committing a partition whose lease another process took', async () => {
    await appendHistory(events, 8, 5);
    const a = projector('a');
    await a.start();
    await until(async () => (await partitions.folded()) >= (await events.lastPosition()), 'the log folded');
    const customer = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'].find((id) => partitionOf(id, PARTITIONS) === 2)!;
    const before = await reads.checkpoint('customer-summary@g1#p2');

    partitions.steal(2, 'intruder', 60_000);
    await events.append([
      { streamId: `customer-${customer}`, expectedRevision: 'any', events: [aNewEvent()] },
    ]);
    await until(() => !a.heldPartitions().includes(2), 'the partition given up');
    await until(
      async () => (await reads.checkpoint('customer-summary@g1#p1')) >= (await events.lastPosition()),
      'p1',
    );

    expect(await reads.checkpoint('customer-summary@g1#p2')).toBe(before);
    expect(await reads.get(collectionName('customer-summary', 1), customer)).toBeUndefined();
    expect(partitions.refused).toBeGreaterThan(0);
  });
});

/** ProjectorPartitions in memory: leases and members by the clock, each commit whole before the next. */
class MemoryPartitions implements ProjectorPartitions {
  refused = 0;
  private readonly members = new Map<string, number>();
  private readonly leases = new Map<number, { owner?: string; token: number; expiresAt: number }>();
  private commits: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    readonly partitions: number,
  ) {}

  async readPartition(partition: number, afterPosition: number, maxCount: number) {
    const head = await this.events.lastPosition();
    const own: RecordedEvent[] = [];
    for (let after = afterPosition; own.length < maxCount;) {
      const page = (await this.events.readAll({ afterPosition: after, maxCount: 500 })).filter(
        (event) => event.position <= head,
      );
      if (page.length === 0) break;
      own.push(...page.filter((event) => partitionOfStream(event.streamId, this.partitions) === partition));
      after = page[page.length - 1]!.position;
    }
    return { events: own.slice(0, maxCount), head };
  }

  async heartbeat(owner: string, ttlMs: number): Promise<string[]> {
    this.members.set(owner, Date.now() + ttlMs);
    return [...this.members].filter(([, expiresAt]) => expiresAt > Date.now()).map(([member]) => member);
  }

  async acquire(owner: string, partitions: readonly number[], ttlMs: number): Promise<PartitionLease[]> {
    return partitions.flatMap((partition) => {
      const lease = this.leases.get(partition) ?? { token: 0, expiresAt: 0 };
      if (lease.owner !== undefined && lease.owner !== owner && lease.expiresAt > Date.now()) return [];
      const taken = { owner, token: lease.token + 1, expiresAt: Date.now() + ttlMs };
      this.leases.set(partition, taken);
      return [{ partition, owner, token: taken.token }];
    });
  }

  async renew(leases: readonly PartitionLease[], ttlMs: number): Promise<PartitionLease[]> {
    return leases.filter((lease) => {
      if (!this.holds(lease)) return false;
      this.leases.get(lease.partition)!.expiresAt = Date.now() + ttlMs;
      return true;
    });
  }

  async release(leases: readonly PartitionLease[], leave?: string): Promise<void> {
    for (const lease of leases) {
      if (this.holds(lease)) this.leases.set(lease.partition, { token: lease.token, expiresAt: 0 });
    }
    if (leave !== undefined) this.members.delete(leave);
  }

  commit(
    lease: PartitionLease,
    writes: readonly CollectionWrites[],
    increments: readonly BucketIncrement[],
    checkpoints: Readonly<Record<string, number>>,
  ): Promise<void> {
    const commit = this.commits.then(async () => {
      if (!this.holds(lease)) {
        this.refused++;
        throw new LeaseLostError(lease.partition);
      }
      const buckets: CollectionWrites[] = [];
      for (const { collection, bucket, delta } of increments) {
        const stored = await this.reads.get<FigureBucket>(collection, bucket);
        buckets.push({ collection, writes: [{ id: bucket, doc: withDelta(bucket, stored, delta) }] });
        // Later increments of the same bucket in this commit add to this one.
        await this.reads.commit(buckets.splice(0), {});
      }
      await this.reads.commit(writes, checkpoints);
    });
    this.commits = commit.catch(() => undefined);
    return commit;
  }

  async nextAppend(timeoutMs: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 20)));
  }

  async close(): Promise<void> {}

  /** Another process takes a partition's lease, as one does after this one's expired. */
  steal(partition: number, owner: string, ttlMs: number): void {
    const token = (this.leases.get(partition)?.token ?? 0) + 1;
    this.leases.set(partition, { owner, token, expiresAt: Date.now() + ttlMs });
  }

  /** The position every partition of every projection has folded to. */
  async folded(): Promise<number> {
    const positions = await Promise.all(
      PROJECTIONS.flatMap((projection) =>
        Array.from({ length: this.partitions }, (_, partition) =>
          this.reads.checkpoint(`${projection.name}@g1#p${partition}`),
        ),
      ),
    );
    return Math.min(...positions);
  }

  private holds(lease: PartitionLease): boolean {
    const held = this.leases.get(lease.partition);
    return held?.owner === lease.owner && held.token === lease.token && held.expiresAt > Date.now();
  }
}

async function all(reads: ReadStore, collection: string): Promise<object[]> {
  const documents: object[] = [];
  for await (const doc of reads.scan<object>(collection)) documents.push(doc);
  return documents;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
