import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { customerSummaryProjection } from '../../projections/customer-summary.projection';
import { funnelProjection } from '../../projections/funnel.projection';
import { loyaltyProjection } from '../../projections/loyalty.projection';
import { ProjectedEvent, Projection } from '../../projections/projection';
import { timelineProjection } from '../../projections/timeline.projection';
import { AppendResult, EventStore, NewEvent } from '../../src/ports/event-store.port';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import {
  collectionName,
  NotFoldingError,
  ProjectionEngine,
  ProjectionStatus,
} from '../../src/application/read-models/projection-engine';
import { ReadStore } from '../../src/ports/read-store.port';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
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
    expect(status!.parked).toMatchObject({
      count: 1,
      events: [{ position: 2, type: 'SurveyAnswered', projection: 'fragile', streamId: 'customer-p1' }],
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

    const second = engine([
      { ...customerSummaryProjection, version: customerSummaryProjection.version + 1 } as Projection<object>,
    ]);
    await second.start();
    await second.caughtUp();

    const [status] = await second.status();
    expect(status).toMatchObject({
      generation: 2,
      version: customerSummaryProjection.version + 1,
      status: 'live',
      lag: 0,
    });
    expect(second.collection('customer-summary')).toBe(collectionName('customer-summary', 2));
    expect(
      (await reads.get<{ eventCount: number }>(second.collection('customer-summary'), 'h4'))!.eventCount,
    ).toBe(10);
  });
});

/** A projection that throws on one event type, as a bug in a fold would; otherwise the real one. */
function failingOn<Doc extends object>(projection: Projection<Doc>, type: string, error = 'cannot fold it') {
  return {
    ...projection,
    evolve: (doc: Doc | null, event: ProjectedEvent) => {
      if (event.type === type) throw new Error(error);
      return projection.evolve(doc, event);
    },
  } as Projection<object>;
}

const at = (hour: number) => new Date(Date.UTC(2026, 10, 1, hour)).toISOString();
const stamped = (hour: number, overrides: Partial<NewEvent>) =>
  aNewEvent({ metadata: { occurredAt: at(hour), recordedAt: at(hour), actor: 'test' }, ...overrides });

/** A customer's history with purchases, a survey and a complaint: every projection has something to fold. */
function historyOf(customerId: string, firstHour = 0): NewEvent[] {
  return [
    stamped(firstHour, {
      type: 'CustomerRegistered',
      data: { name: 'enc:v1:bmFtZQ==', email: `enc:v1:${customerId}` },
    }),
    stamped(firstHour + 1, { type: 'ProductBrowsed', data: { productId: 'p-1' } }),
    stamped(firstHour + 2, {
      type: 'PurchaseCompleted',
      data: { orderId: `${customerId}-1`, total: { amountMinor: 12_050, currency: 'EUR' } },
    }),
    stamped(firstHour + 3, { type: 'SurveyAnswered', data: { kind: 'nps', score: 9 } }),
    stamped(firstHour + 4, {
      type: 'PurchaseCompleted',
      data: { orderId: `${customerId}-2`, total: { amountMinor: 3_000, currency: 'EUR' } },
    }),
    stamped(firstHour + 5, { type: 'ComplaintFiled', data: { complaintId: 'K-1', severity: 'low' } }),
  ];
}

describe('projection engine: parked events and retry, on SQLite files', () => {
  let dir: string;
  let events: EventStore;
  let reads: ReadStore;
  const engines: ProjectionEngine[] = [];
  const open = () => {
    events = createSqliteEventStore({ file: join(dir, 'events.db'), pollIntervalMs: 20 });
    reads = createSqliteReadStore(join(dir, 'read-models.db'));
  };
  const engine = async (projections: readonly Projection<object>[], fold = true) => {
    const created = new ProjectionEngine(events, reads, projections, silent);
    engines.push(created);
    await created.start({ fold });
    if (fold) await created.caughtUp();
    return created;
  };
  /** Stops every engine and closes the files: what is left is what a restarted process finds. */
  const restart = async () => {
    await Promise.all(engines.splice(0).map((running) => running.stop()));
    await events.close();
    await reads.close();
    open();
  };
  const append = (customerId: string, newEvents: NewEvent[]) =>
    events.append([{ streamId: `customer-${customerId}`, expectedRevision: 'any', events: newEvents }]);
  const lastPositionOf = ([result]: AppendResult[]) => result!.events[result!.events.length - 1]!.position;
  const byName = (statuses: ProjectionStatus[]) => new Map(statuses.map((status) => [status.name, status]));

  /** Every document of the four read models about one customer, as a reader sees them. */
  async function documentsOf(running: ProjectionEngine, store: ReadStore, customerId: string) {
    return {
      summary: await store.get(running.collection('customer-summary'), customerId),
      loyalty: await store.get(running.collection('loyalty'), customerId),
      funnel: await store.get(running.collection('funnel'), customerId),
      timeline: await store.find(running.collection('timeline'), {
        where: { customerId },
        sort: [
          ['occurredAt', -1],
          ['position', -1],
        ],
      }),
    };
  }

  /** The same documents folded from scratch by the real projections into a read store of their own. */
  async function foldedFromScratch(customerId: string) {
    const scratch = createSqliteReadStore(':memory:');
    const running = new ProjectionEngine(events, scratch, PROJECTIONS, silent);
    await running.start();
    await running.caughtUp();
    const documents = await documentsOf(running, scratch, customerId);
    await running.stop();
    await scratch.close();
    return documents;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-parked-'));
    open();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((running) => running.stop()));
    await events.close();
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('parks a malformed event for all four projections alike, keeps the list over a restart, and folds the rest', async () => {
    const [registered, browsed, purchase] = historyOf('m1');
    const malformed = stamped(10, {
      type: 'PurchaseCompleted',
      data: { orderId: 'm1-bad', total: { amountMinor: 99_900, currency: 'EUR' } },
      metadata: { occurredAt: 'garbage', recordedAt: at(10), actor: 'test' },
    });
    await append('m1', [registered!, browsed!]);
    const stored = { position: lastPositionOf(await append('m1', [malformed])) };
    await append('m1', [purchase!]);

    const first = await engine(PROJECTIONS);
    const documents = await documentsOf(first, reads, 'm1');
    await restart();
    const second = await engine(PROJECTIONS);
    const statuses = byName(await second.status());

    for (const name of [
      'timeline',
      'customer-summary',
      'loyalty',
      'funnel',
      'purchase-history',
      'complaint-history',
      'survey-history',
    ]) {
      expect(statuses.get(name)).toMatchObject({
        position: 4,
        lag: 0,
        parked: {
          count: 1,
          events: [
            {
              position: stored.position,
              eventId: malformed.eventId,
              type: 'PurchaseCompleted',
              streamId: 'customer-m1',
              projection: name,
              error:
                'MalformedEventError: malformed PurchaseCompleted event at position 3: metadata.occurredAt must be an ISO 8601 UTC instant as the ledger writes it (YYYY-MM-DDTHH:mm:ss.sssZ)',
            },
          ],
        },
        lastError: { position: 3, eventId: malformed.eventId },
      });
    }
    expect(documents.summary).toMatchObject({ eventCount: 3, purchaseCount: 1, firstSeenAt: at(0) });
    expect(documents.summary).toMatchObject({ netSpendMinor: { EUR: 12_050 } });
    expect(documents.funnel).toMatchObject({ firstSeenAt: at(0), earliestPurchases: [at(2)] });
    expect((documents.loyalty as { purchases: unknown[] }).purchases).toHaveLength(1);
    expect(documents.timeline.map((entry) => (entry as { entryId: string }).entryId)).not.toContain(
      malformed.eventId,
    );
    expect(documents.timeline).toHaveLength(3);
    // The restarted engine folded nothing twice and parked nothing twice.
    expect(await documentsOf(second, reads, 'm1')).toEqual(documents);
  });

  it('keeps a still-malformed event parked through a retry, with the retry noted, and changes no document', async () => {
    const history = historyOf('m2');
    await append('m2', history.slice(0, 3));
    await append('m2', [stamped(9, { type: 'SurveyAnswered', data: { kind: 'nps', score: 11 } })]);
    await append('m2', history.slice(3));
    const running = await engine(PROJECTIONS);
    const before = await documentsOf(running, reads, 'm2');

    const reports = await running.retryParked();

    expect(reports).toEqual(
      PROJECTIONS.map(({ name: projection }) => ({
        projection,
        retried: 1,
        folded: 0,
        stillParked: 1,
        newlyParked: 0,
      })),
    );
    const [timeline] = await running.status();
    expect(timeline!.parked.events).toEqual([
      expect.objectContaining({
        position: 4,
        error: expect.stringContaining('data.score must be an integer from 0 to 10'),
        retriedAt: expect.any(String),
      }),
    ]);
    expect(await documentsOf(running, reads, 'm2')).toEqual(before);
  });

  it('after a fix, a retry folds what a fold threw on by folding the stream again, and counts nothing twice', async () => {
    await append('r1', historyOf('r1'));
    await append('r2', historyOf('r2', 20));
    const broken = [
      failingOn(timelineProjection, 'SurveyAnswered'),
      failingOn(customerSummaryProjection, 'SurveyAnswered'),
      failingOn(loyaltyProjection, 'PurchaseCompleted'),
      funnelProjection,
    ] as Projection<object>[];
    const buggy = await engine(broken);
    const parkedBefore = byName(await buggy.status());
    await restart();

    const fixed = await engine(PROJECTIONS);
    const reports = await fixed.retryParked();
    const again = await fixed.retryParked();
    await append('r1', [stamped(30, { type: 'SurveyAnswered', data: { kind: 'csat', score: 2 } })]);
    await fixed.caughtUp();

    expect(
      ['timeline', 'customer-summary', 'loyalty', 'funnel'].map(
        (name) => parkedBefore.get(name)!.parked.count,
      ),
    ).toEqual([2, 2, 4, 0]);
    expect(reports).toEqual([
      { projection: 'timeline', retried: 2, folded: 2, stillParked: 0, newlyParked: 0 },
      { projection: 'customer-summary', retried: 2, folded: 2, stillParked: 0, newlyParked: 0 },
      { projection: 'loyalty', retried: 4, folded: 4, stillParked: 0, newlyParked: 0 },
      { projection: 'funnel', retried: 0, folded: 0, stillParked: 0, newlyParked: 0 },
      { projection: 'purchase-history', retried: 0, folded: 0, stillParked: 0, newlyParked: 0 },
      { projection: 'complaint-history', retried: 0, folded: 0, stillParked: 0, newlyParked: 0 },
      { projection: 'survey-history', retried: 0, folded: 0, stillParked: 0, newlyParked: 0 },
      { projection: 'customer-pages', retried: 0, folded: 0, stillParked: 0, newlyParked: 0 },
    ]);
    expect(again.every((report) => report.retried === 0)).toBe(true);
    expect((await fixed.status()).map((status) => status.parked.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    for (const customerId of ['r1', 'r2']) {
      const documents = await documentsOf(fixed, reads, customerId);
      expect(documents).toEqual(await foldedFromScratch(customerId));
    }
    expect(await reads.get(fixed.collection('customer-summary'), 'r1')).toMatchObject({ eventCount: 7 });
    expect(
      ((await reads.get(fixed.collection('loyalty'), 'r2')) as { purchases: unknown[] }).purchases,
    ).toHaveLength(2);
  });

  it('retries an event of a merged record into the survivor: the record stays merged away, its history stays joined', async () => {
    await append('ms', historyOf('ms'));
    await append('md', historyOf('md', 20));
    await events.append([
      {
        streamId: 'customer-md',
        expectedRevision: 'any',
        events: [stamped(40, { type: 'CustomerMergedInto', data: { survivorId: 'ms' } })],
      },
      {
        streamId: 'customer-ms',
        expectedRevision: 'any',
        events: [stamped(40, { type: 'CustomerMerged', data: { duplicateId: 'md' } })],
      },
    ]);
    await engine([failingOn(customerSummaryProjection, 'SurveyAnswered')]);
    await restart();

    const fixed = await engine([customerSummaryProjection as Projection<object>]);
    const [report] = await fixed.retryParked();

    expect(report).toMatchObject({ retried: 2, folded: 2, stillParked: 0 });
    expect(await reads.get(fixed.collection('customer-summary'), 'md')).toBeUndefined();
    expect(await reads.get(fixed.collection('customer-summary'), 'ms')).toMatchObject({
      eventCount: 2 * historyOf('x').length + 2,
      mergedFrom: ['md'],
    });
  });

  it('keeps what still fails after a retry parked with the new error', async () => {
    await append('s1', historyOf('s1'));
    await engine([failingOn(customerSummaryProjection, 'SurveyAnswered', 'first bug')]);
    await restart();

    const stillBroken = await engine([failingOn(customerSummaryProjection, 'SurveyAnswered', 'second bug')]);
    const [report] = await stillBroken.retryParked();
    const [status] = await stillBroken.status();

    expect(report).toEqual({
      projection: 'customer-summary',
      retried: 1,
      folded: 0,
      stillParked: 1,
      newlyParked: 0,
    });
    expect(status!.parked.events).toEqual([
      expect.objectContaining({ position: 4, error: 'Error: second bug', retriedAt: expect.any(String) }),
    ]);
    expect(await reads.get(stillBroken.collection('customer-summary'), 's1')).toMatchObject({
      eventCount: 5,
    });
  });

  it('parks, in a retry, an event that folded before but fails in the fixed code, since the document is derived anew', async () => {
    await append('n1', historyOf('n1'));
    await engine([failingOn(customerSummaryProjection, 'SurveyAnswered')]);
    await restart();

    const regressed = await engine([failingOn(customerSummaryProjection, 'ComplaintFiled')]);
    const [report] = await regressed.retryParked();
    const [status] = await regressed.status();

    expect(report).toMatchObject({ retried: 1, folded: 1, stillParked: 0, newlyParked: 1 });
    expect(status!.parked.events).toEqual([expect.objectContaining({ position: 6, type: 'ComplaintFiled' })]);
    expect(await reads.get(regressed.collection('customer-summary'), 'n1')).toMatchObject({
      eventCount: 5,
      complaintsFiled: 0,
    });
  });

  it('starts the parked list anew with a rebuild, and drops the old generation with it', async () => {
    await append('g1', historyOf('g1'));
    await engine([failingOn(customerSummaryProjection, 'SurveyAnswered')]);
    await restart();

    const rebuilt = await engine([
      { ...customerSummaryProjection, version: customerSummaryProjection.version + 1 } as Projection<object>,
    ]);
    const [status] = await rebuilt.status();

    expect(status).toMatchObject({ generation: 2, parked: { count: 0, events: [] } });
    expect(await reads.get(rebuilt.collection('customer-summary'), 'g1')).toMatchObject({ eventCount: 6 });
  });

  it('refuses a retry in a process that does not fold', async () => {
    await append('i1', historyOf('i1'));
    const idle = await engine(PROJECTIONS, false);

    await expect(idle.retryParked()).rejects.toBeInstanceOf(NotFoldingError);
  });

  describe('waitFor', () => {
    it('resolves as soon as every projection has folded the position in a folding process', async () => {
      const running = await engine(PROJECTIONS);
      const position = lastPositionOf(await append('w1', historyOf('w1')));

      const reached = await running.waitFor(position, 10_000);

      expect(reached).toBe(true);
      expect((await running.status()).every((status) => status.position >= position)).toBe(true);
      expect(await reads.get(running.collection('customer-summary'), 'w1')).toMatchObject({ eventCount: 6 });
    });

    it('answers false when the position is not folded in time, and at once when the engine stops', async () => {
      const running = await engine(PROJECTIONS);
      const head = await events.lastPosition();

      const timedOut = await running.waitFor(head + 1, 50);
      const waiting = running.waitFor(head + 1, 60_000);
      await running.stop();

      expect(timedOut).toBe(false);
      expect(await waiting).toBe(false);
    });

    it('reads the checkpoints a projector commits in a process that does not fold', async () => {
      const position = lastPositionOf(await append('w2', historyOf('w2')));
      const idle = await engine(PROJECTIONS, false);

      const before = await idle.waitFor(position, 50);
      const waiting = idle.waitFor(position, 10_000);
      const projector = await engine(PROJECTIONS);

      expect(before).toBe(false);
      expect(await waiting).toBe(true);
      expect(await projector.waitFor(position, 0)).toBe(true);
      expect((await idle.status()).map((status) => status.position)).toEqual([6, 6, 6, 6, 6, 6, 6, 6]);
    });
  });
});
