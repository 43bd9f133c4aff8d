import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { figureDeltas, FigureBucket, withDelta } from '../../projections/population-figure';
import { PurchaseHistory } from '../../projections/purchase-history.projection';
import { rfmPopulationFigure } from '../../projections/rfm-population.figure';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { EventStore, NewEvent } from '../../src/ports/event-store.port';
import { ReadStore } from '../../src/ports/read-store.port';
import { aNewEvent } from '../support/events';

/**
 * The runner keeps a population figure equal to the figure counted from scratch over the documents it
 * stored, whatever path changed them: live folds, merges that refold and delete documents, consent changes,
 * a rebuild into a new generation.
 */
describe('population figures kept by the projection runner', () => {
  let events: EventStore;
  let reads: ReadStore;
  let engine: ProjectionEngine;

  const event = (type: string, data: Record<string, unknown>, day: number, month = 3): NewEvent =>
    aNewEvent({
      type,
      data,
      metadata: {
        occurredAt: new Date(Date.UTC(2026, month - 1, day, 10)).toISOString(),
        recordedAt: '2026-11-01T10:00:00.000Z',
        actor: 'test',
      },
    });
  let orders = 0;
  const purchase = (euros: number, day: number, month?: number) =>
    event(
      'PurchaseCompleted',
      { orderId: `o-${++orders}`, total: { amountMinor: euros * 100, currency: 'EUR' } },
      day,
      month,
    );
  const append = (customerId: string, ...appended: NewEvent[]) =>
    events.append([{ streamId: `customer-${customerId}`, expectedRevision: 'any', events: appended }]);
  const merge = (survivorId: string, duplicateId: string, day: number) =>
    events.append([
      {
        streamId: `customer-${duplicateId}`,
        expectedRevision: 'any',
        events: [event('CustomerMergedInto', { survivorId }, day, 6)],
      },
      {
        streamId: `customer-${survivorId}`,
        expectedRevision: 'any',
        events: [event('CustomerMerged', { duplicateId }, day, 6)],
      },
    ]);

  /** The figure as stored, and as counted afresh from every stored purchase history. */
  async function storedAndCounted(): Promise<[FigureBucket[], FigureBucket[]]> {
    const bucketsOf = (found: FigureBucket[]) => [...found].sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
    const stored: FigureBucket[] = [];
    for await (const bucket of reads.scan<FigureBucket>(
      engine.figureCollection('purchase-history', rfmPopulationFigure.name),
    ))
      stored.push(bucket);
    const counted = new Map<string, FigureBucket>();
    for await (const history of reads.scan<PurchaseHistory>(engine.collection('purchase-history'))) {
      for (const [bucket, delta] of figureDeltas(rfmPopulationFigure, [[null, history]])) {
        const next = withDelta(bucket, counted.get(bucket), delta);
        if (next) counted.set(bucket, next);
        else counted.delete(bucket);
      }
    }
    return [bucketsOf(stored), bucketsOf([...counted.values()])];
  }

  beforeEach(async () => {
    events = createSqliteEventStore({ file: ':memory:', pollIntervalMs: 20 });
    reads = createSqliteReadStore(':memory:');
    engine = new ProjectionEngine(events, reads, PROJECTIONS, pino({ level: 'silent' }));
    for (let customer = 1; customer <= 12; customer++) {
      await append(
        `c${customer}`,
        ...Array.from({ length: customer % 4 }, (_, n) =>
          purchase(10 * customer + n, 1 + n * 7, 1 + (customer % 5)),
        ),
      );
    }
    await engine.start();
    await engine.caughtUp();
  });
  afterEach(async () => {
    await engine.stop();
    await events.close();
    await reads.close();
  });

  it('equals the figure counted from the documents after catching up, live folds, merges and consent changes', async () => {
    const [caughtUp, countedFirst] = await storedAndCounted();
    expect(caughtUp.length).toBeGreaterThan(0);
    expect(caughtUp).toEqual(countedFirst);

    await append('c1', purchase(500, 2, 7));
    await append(
      'c13',
      purchase(70, 3, 7),
      event('PurchaseRefunded', { orderId: 'o-1', amount: { amountMinor: 500, currency: 'EUR' } }, 4, 7),
    );
    await merge('c2', 'c3', 9);
    await merge('c5', 'c2', 10);
    await append('c6', event('ConsentWithdrawn', { purpose: 'analytics' }, 11, 7));
    await engine.caughtUp();

    const [stored, counted] = await storedAndCounted();
    expect(stored).toEqual(counted);
    const customers = (buckets: FigureBucket[]) =>
      buckets.reduce((sum, { counters }) => sum + (counters.customers ?? 0), 0);
    // 12 customers, 9 of them buyers (customer % 4 > 0); c13 buys; c2 and c3 merge into c5; c6 leaves.
    expect(customers(stored)).toBe(9 + 1 - 2 - 1);
  });

  it('is rebuilt with its projection into the new generation', async () => {
    const [before] = await storedAndCounted();
    await engine.rebuild(['purchase-history']);
    await engine.caughtUp();
    const [after, counted] = await storedAndCounted();
    expect(engine.figureCollection('purchase-history', rfmPopulationFigure.name)).toMatch(/_g2$/);
    expect(after).toEqual(before);
    expect(after).toEqual(counted);
  });
});
