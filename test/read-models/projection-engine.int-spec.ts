import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { customerSummaryProjection } from '../../projections/customer-summary.projection';
import { Projection } from '../../projections/projection';
import { EventStore } from '../../src/event-store/event-store.port';
import { createSqliteEventStore } from '../../src/event-store/sqlite-event-store';
import { collectionName, ProjectionEngine } from '../../src/read-models/projection-engine';
import { ReadStore } from '../../src/read-models/read-store.port';
import { createSqliteReadStore } from '../../src/read-models/sqlite-read-store';
import { appendHistory } from '../support/customer-history';
import { aNewEvent } from '../support/events';

const silent = pino({ level: 'silent' });

describe('projection engine', () => {
  let events: EventStore;
  let reads: ReadStore;
  const engines: ProjectionEngine[] = [];
  const engine = (projections: readonly Projection<object>[]) => {
    const created = new ProjectionEngine(events, reads, projections, silent);
    engines.push(created);
    return created;
  };

  beforeEach(() => {
    events = createSqliteEventStore({ file: ':memory:', pollIntervalMs: 20 });
    reads = createSqliteReadStore(':memory:');
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((running) => running.stop()));
    await events.close();
    await reads.close();
  });

  it('catches up, then folds new events live', async () => {
    await appendHistory(events, 20, 30);
    const running = engine(PROJECTIONS);
    await running.start();
    await running.caughtUp();
    const before = await reads.get<{ eventCount: number }>(running.collection('customer-summary'), 'h3');
    await events.append([{ streamId: 'customer-h3', expectedRevision: 'any', events: [aNewEvent()] }]);
    await running.caughtUp();

    expect(before!.eventCount).toBe(30);
    expect(
      (await reads.get<{ eventCount: number }>(running.collection('customer-summary'), 'h3'))!.eventCount,
    ).toBe(31);
    expect((await running.status()).every((status) => status.status === 'live' && status.lag === 0)).toBe(
      true,
    );
  });

  it('records a poison event with its position and keeps going', async () => {
    const fragile: Projection<{ position: number; count: number }> = {
      name: 'fragile',
      version: 1,
      indexes: [],
      documentId: (event) => event.customerId,
      evolve: (doc, event) => {
        if (event.type === 'SurveyAnswered') throw new Error('cannot fold surveys');
        return { position: event.position, count: (doc?.count ?? 0) + 1 };
      },
    };
    await events.append([
      {
        streamId: 'customer-p1',
        expectedRevision: 'any',
        events: [
          aNewEvent(),
          aNewEvent({ type: 'SurveyAnswered', data: { kind: 'nps', score: 9 } }),
          aNewEvent(),
        ],
      },
    ]);
    const running = engine([fragile]);
    await running.start();
    await running.caughtUp();

    const [status] = await running.status();
    expect(status!.lastError).toMatchObject({
      position: 2,
      type: 'SurveyAnswered',
      error: 'Error: cannot fold surveys',
    });
    expect(status!.position).toBe(3);
    expect(await reads.get(running.collection('fragile'), 'p1')).toEqual({ position: 3, count: 2 });
  });

  it('rebuilds by itself into a new generation when a projection version changes', async () => {
    await appendHistory(events, 5, 10);
    const first = engine([customerSummaryProjection as Projection<object>]);
    await first.start();
    await first.caughtUp();
    await first.stop();

    const second = engine([{ ...customerSummaryProjection, version: 2 } as Projection<object>]);
    await second.start();
    await second.caughtUp();

    const [status] = await second.status();
    expect(status).toMatchObject({ generation: 2, version: 2, status: 'live', lag: 0 });
    expect(second.collection('customer-summary')).toBe(collectionName('customer-summary', 2));
    expect(
      (await reads.get<{ eventCount: number }>(second.collection('customer-summary'), 'h4'))!.eventCount,
    ).toBe(10);
  });
});
