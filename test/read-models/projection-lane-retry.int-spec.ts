import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { collectionName, ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { EventStore } from '../../src/ports/event-store.port';
import { ReadStore } from '../../src/ports/read-store.port';
import { appendHistory } from '../support/customer-history';

/**
 * A projection lane whose store fails (a database restarting, a lost connection) folds again from its last
 * checkpoint instead of stopping for good: the projector process would otherwise stay up and fold nothing.
 * test/crash/postgres-scale-out.int-spec.ts meets the same with a real PostgreSQL restart.
 */
describe('projection lane after a failing store', () => {
  let events: EventStore;
  const stores: ReadStore[] = [];
  const engines: ProjectionEngine[] = [];
  const silent = pino({ level: 'silent' });

  beforeEach(() => {
    events = createSqliteEventStore({ file: ':memory:', pollIntervalMs: 20 });
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.stop()));
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await events.close();
  });

  /** A read store whose commits fail while `failing(n)` holds for the n-th commit (1-based). */
  const readStore = (failing: (commit: number) => boolean = () => false) => {
    const real = createSqliteReadStore(':memory:');
    stores.push(real);
    let commits = 0;
    const failed = { count: 0 };
    const store = new Proxy(real, {
      get(target, property) {
        if (property === 'commit') {
          return (...args: Parameters<ReadStore['commit']>) => {
            if (failing(++commits)) {
              failed.count++;
              return Promise.reject(new Error('Connection terminated unexpectedly'));
            }
            return target.commit(...args);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { store, failed };
  };

  const foldAll = async (reads: ReadStore) => {
    const engine = new ProjectionEngine(events, reads, PROJECTIONS, silent);
    engines.push(engine);
    await engine.start();
    await engine.caughtUp(60_000);
    return engine;
  };

  const documents = async (reads: ReadStore, collection: string) => {
    const all: object[] = [];
    for await (const doc of reads.scan<object>(collection)) all.push(doc);
    return all;
  };

  it('folds again from the checkpoint after failed commits, to the same read models as a clean run', async () => {
    await appendHistory(events, 30, 100, 50);
    // Commits 2 to 4 fail: the first batch is committed, then three attempts in a row are refused.
    const flaky = readStore((commit) => commit >= 2 && commit <= 4);
    const clean = readStore();

    const retried = await foldAll(flaky.store);
    await foldAll(clean.store);

    expect(flaky.failed.count).toBe(3);
    const status = await retried.status();
    expect(status.every((projection) => projection.position === 3000 && projection.parked.count === 0)).toBe(
      true,
    );
    for (const projection of PROJECTIONS) {
      const collection = collectionName(projection.name, 1);
      const [folded, scratch] = await Promise.all([
        documents(flaky.store, collection),
        documents(clean.store, collection),
      ]);
      expect(folded.length).toBeGreaterThan(0);
      expect(folded).toEqual(scratch);
    }
  });

  it('keeps folding live events after a failure once caught up', async () => {
    await appendHistory(events, 5, 20);
    let failNext = false;
    const flaky = readStore(() => {
      const fail = failNext;
      failNext = false;
      return fail;
    });
    const engine = await foldAll(flaky.store);
    failNext = true;
    await appendHistory(events, 1, 10, 10, () => 'late');
    await engine.caughtUp(60_000);

    expect(flaky.failed.count).toBe(1);
    const summary = await flaky.store.get<{ eventCount: number }>(
      collectionName('customer-summary', 1),
      'late',
    );
    expect(summary?.eventCount).toBe(10);
  });

  it('stops while a failed lane pauses before folding again', async () => {
    await appendHistory(events, 2, 10);
    const broken = readStore(() => true);
    const engine = new ProjectionEngine(events, broken.store, PROJECTIONS, silent);
    await engine.start();
    // Fails, pauses, fails again: the lane is alive and retrying, not gone.
    for (let i = 0; i < 200 && broken.failed.count < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(broken.failed.count).toBeGreaterThanOrEqual(2);
    expect((await engine.status()).every((projection) => projection.position === 0)).toBe(true);
    // stop() waits for every lane: a lane that did not heed it while pausing would hang the test.
    await engine.stop();
    expect((await engine.status()).every((projection) => projection.status === 'stopped')).toBe(true);
  });
});
