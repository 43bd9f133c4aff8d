import { randomUUID } from 'node:crypto';
import { createPostgresEventStore } from '../../src/adapters/postgres/postgres-event-store';
import { createPostgresProjectorPartitions } from '../../src/adapters/postgres/postgres-projector-partitions';
import { createPostgresReadStore } from '../../src/adapters/postgres/postgres-read-store';
import { partitionOf } from '../../src/application/read-models/partitions';
import { EventStore, NewEvent } from '../../src/ports/event-store.port';
import { LeaseLostError, ProjectorPartitions } from '../../src/ports/projector-partitions.port';
import { ReadStore } from '../../src/ports/read-store.port';
import { reportPostgresSkipped, testDatabaseUrl, testSchemas, withClient } from '../support/postgres';

/**
 * The partitioned projector's store on a real PostgreSQL (TEST_DATABASE_URL; `bash .ci/postgres.sh npx jest
 * test/read-models/postgres-projector-partitions.int-spec.ts`): the partition the event store computes in SQL
 * is partitionOf's, a log from before partitions gets them, a partition reads only its events, leases fence
 * commits, and bucket increments from concurrent commits all count.
 */
reportPostgresSkipped('PostgreSQL projector partitions');
const describeWithServer = testDatabaseUrl ? describe : describe.skip;
const reason = testDatabaseUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)';

const event = (type = 'EventTracked'): NewEvent => ({
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  data: {},
  metadata: {},
});

describeWithServer(`PostgreSQL projector partitions${reason}`, () => {
  const schemas = testSchemas('ledger_parts');
  afterAll(() => schemas.dropAll());

  async function open(schema = schemas.fresh(), partitions = 4) {
    const options = { connectionString: testDatabaseUrl!, schema };
    const events = await createPostgresEventStore({ ...options, partitions });
    const reads = await createPostgresReadStore(options);
    const parts = await createPostgresProjectorPartitions(options);
    return { schema, events, reads, parts };
  }
  const opened: { events: EventStore; reads: ReadStore; parts: ProjectorPartitions }[] = [];
  afterEach(async () => {
    for (const { events, reads, parts } of opened.splice(0)) {
      await Promise.all([events.close(), reads.close(), parts.close()]);
    }
  });
  const openTracked = async (schema?: string, partitions?: number) => {
    const stores = await open(schema, partitions);
    opened.push(stores);
    return stores;
  };

  it('computes partitionOf in SQL at append, for a log created before partitions too', async () => {
    const { schema, events, parts } = await openTracked();
    const customers = Array.from({ length: 40 }, (_, index) => `c-${index}-${randomUUID().slice(0, 4)}`);
    await events.append(
      customers.map((customerId) => ({
        streamId: `customer-${customerId}`,
        expectedRevision: 'any',
        events: [event()],
      })),
    );
    await events.append([
      { streamId: 'access-log-1', expectedRevision: 'any', events: [event('AccessRecorded')] },
    ]);
    const partitionsOf = () =>
      withClient(testDatabaseUrl!, async (client) => {
        const { rows } = await client.query<{ stream_id: string; partition: number | null }>(
          `SELECT stream_id, partition FROM ${schema}.events ORDER BY position`,
        );
        return rows;
      });
    const expected = [
      ...customers.map((customerId) => ({
        stream_id: `customer-${customerId}`,
        partition: partitionOf(customerId, 4),
      })),
      { stream_id: 'access-log-1', partition: null },
    ];
    expect(parts.partitions).toBe(4);
    expect(await partitionsOf()).toEqual(expected);

    // A log from before partitions: no column, no index; opened again, it gets both, with the same values.
    await withClient(testDatabaseUrl!, (client) =>
      client.query(`ALTER TABLE ${schema}.events DROP COLUMN partition`),
    );
    await openTracked(schema, 4);
    expect(await partitionsOf()).toEqual(expected);
    const indexed = await withClient(testDatabaseUrl!, (client) =>
      client.query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_by_partition'`, [
        schema,
      ]),
    );
    expect(indexed.rows).toHaveLength(1);
  });

  it("reads a partition's own events only, with the head of the log", async () => {
    const { events, parts } = await openTracked();
    const customers = Array.from({ length: 30 }, (_, index) => `r-${index}`);
    for (const customerId of customers) {
      await events.append([
        { streamId: `customer-${customerId}`, expectedRevision: 'any', events: [event(), event()] },
      ]);
    }
    const head = await events.lastPosition();
    for (let partition = 0; partition < 4; partition++) {
      const page = await parts.readPartition(partition, 0, 1000);
      expect(page.head).toBe(head);
      expect(page.events.map((stored) => stored.streamId)).toEqual(
        customers
          .filter((customerId) => partitionOf(customerId, 4) === partition)
          .flatMap((customerId) => [`customer-${customerId}`, `customer-${customerId}`]),
      );
      const later = await parts.readPartition(partition, page.events[0]!.position, 1);
      expect(later.events.map((stored) => stored.position)).toEqual([page.events[1]!.position]);
    }
  });

  it('grants a lease to one owner until it expires, and refuses the commits of an owner that lost it', async () => {
    const { reads, parts } = await openTracked();
    await reads.ensureCollection('docs_g1', []);
    const [a] = await parts.acquire('a', [2], 400);
    expect(a).toMatchObject({ partition: 2, owner: 'a' });
    expect(await parts.acquire('b', [2], 400)).toEqual([]);
    await parts.commit(a!, [{ collection: 'docs_g1', writes: [{ id: 'x', doc: { by: 'a' } }] }], [], {
      'p#2': 1,
    });
    expect(await parts.renew([a!], 400)).toEqual([a]);

    await new Promise((resolve) => setTimeout(resolve, 600));
    const [b] = await parts.acquire('b', [2], 10_000);
    expect(b).toMatchObject({ partition: 2, owner: 'b' });
    expect(b!.token).toBeGreaterThan(a!.token);
    expect(await parts.renew([a!], 400)).toEqual([]);
    await expect(
      parts.commit(a!, [{ collection: 'docs_g1', writes: [{ id: 'x', doc: { by: 'late a' } }] }], [], {
        'p#2': 9,
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await reads.get('docs_g1', 'x')).toEqual({ by: 'a' });
    expect(await reads.checkpoint('p#2')).toBe(1);

    // Released, a lease is free at once; the owner that took it again gets a new token.
    await parts.release([b!]);
    const [again] = await parts.acquire('a', [2], 10_000);
    expect(again!.token).toBeGreaterThan(b!.token);
  });

  it('counts every increment of concurrent commits into the same buckets, without deadlock', async () => {
    const { reads, parts } = await openTracked();
    await reads.ensureCollection('figure_g1', []);
    const leases = await parts.acquire('a', [0, 1, 2, 3], 60_000);
    const buckets = ['m1', 'm2', 'm3', 'm4', 'm5'];
    // Each partition commits 15 times into every bucket, in its own order, all at once.
    await Promise.all(
      leases.map(async (lease, index) => {
        for (let round = 0; round < 15; round++) {
          const order = index % 2 === 0 ? buckets : [...buckets].reverse();
          await parts.commit(
            lease,
            [],
            order.map((bucket) => ({
              collection: 'figure_g1',
              bucket,
              delta: { customers: 1, amount: 0.5 },
            })),
            {},
          );
        }
      }),
    );
    for (const bucket of buckets) {
      expect(await reads.get('figure_g1', bucket)).toEqual({
        bucket,
        counters: { customers: 60, amount: 30 },
      });
    }
    // Counters that reach zero go; a bucket left with none is deleted (withDelta's rule).
    await parts.commit(
      leases[0]!,
      [],
      [{ collection: 'figure_g1', bucket: 'm1', delta: { amount: -30 } }],
      {},
    );
    await parts.commit(
      leases[0]!,
      [],
      [{ collection: 'figure_g1', bucket: 'm2', delta: { customers: -60, amount: -30 } }],
      {},
    );
    expect(await reads.get('figure_g1', 'm1')).toEqual({ bucket: 'm1', counters: { customers: 60 } });
    expect(await reads.get('figure_g1', 'm2')).toBeUndefined();
  });

  it('knows the live members by their heartbeats', async () => {
    const { parts } = await openTracked();
    expect(await parts.heartbeat('a', 300)).toEqual(['a']);
    expect((await parts.heartbeat('b', 10_000)).sort()).toEqual(['a', 'b']);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await parts.heartbeat('b', 10_000)).toEqual(['b']);
    await parts.release([], 'b');
    expect(await parts.heartbeat('c', 10_000)).toEqual(['c']);
  });
});
