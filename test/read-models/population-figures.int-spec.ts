import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { ComplaintHistory } from '../../projections/complaint-history.projection';
import { complaintDaysFigure, complaintFigures } from '../../projections/complaint.figure';
import { PurchaseHistory } from '../../projections/purchase-history.projection';
import { purchaseCohortFigures, purchaseDaysFigure } from '../../projections/purchase-cohort.figure';
import { answerDaysFigure, satisfactionFigures } from '../../projections/satisfaction.figure';
import { SurveyHistory } from '../../projections/survey-history.projection';
import { cohortCutDays, CohortQuery, cohortReport, cohortReportOfFigure } from '../../reports/cohorts';
import { ComplaintQuery, complaintReport, ComplaintReport } from '../../reports/complaint-analytics';
import {
  satisfactionCutDays,
  SatisfactionQuery,
  satisfactionReport,
  satisfactionReportOfFigure,
} from '../../reports/satisfaction';
import { funnelDaysFigure, funnelMonthsFigure } from '../../projections/funnel-cohort.figure';
import { figureDeltas, FigureBucket, PopulationFigure, withDelta } from '../../projections/population-figure';
import { rfmPopulationFigure } from '../../projections/rfm-population.figure';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { ReadModels } from '../../src/application/read-models/read-models';
import {
  ReadComplaintReport,
  ReadComplaintReportHandler,
} from '../../src/application/analytics/segments.queries';
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

  const event = (type: string, data: Record<string, unknown>, day: number, month = 3, hour = 10): NewEvent =>
    aNewEvent({
      type,
      data,
      metadata: {
        occurredAt: new Date(Date.UTC(2026, month - 1, day, hour)).toISOString(),
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

  /** A figure as stored, and as counted afresh from every stored document of its projection. */
  async function storedAndCounted<Doc extends object>(
    projection: string,
    figure: PopulationFigure<Doc> = rfmPopulationFigure as unknown as PopulationFigure<Doc>,
  ): Promise<[FigureBucket[], FigureBucket[]]> {
    const bucketsOf = (found: FigureBucket[]) => [...found].sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
    const stored: FigureBucket[] = [];
    for await (const bucket of reads.scan<FigureBucket>(engine.figureCollection(projection, figure.name))) {
      stored.push(bucket);
    }
    const counted = new Map<string, FigureBucket>();
    for await (const doc of reads.scan<Doc>(engine.collection(projection))) {
      for (const [bucket, delta] of figureDeltas(figure, [[null, doc]])) {
        const next = withDelta(bucket, counted.get(bucket), delta);
        if (next) counted.set(bucket, next);
        else counted.delete(bucket);
      }
    }
    return [bucketsOf(stored), bucketsOf([...counted.values()])];
  }

  /** Survey answers and complaints of a customer, on days shared with others at different hours. */
  const feedback = (customer: number): NewEvent[] => [
    ...Array.from({ length: customer % 3 }, (_, n) =>
      event(
        'SurveyAnswered',
        { kind: n === 0 ? 'nps' : 'csat', score: (customer % 5) + n },
        3 + n * 9,
        4,
        customer,
      ),
    ),
    ...(customer % 4 === 0
      ? []
      : [
          event(
            'ComplaintFiled',
            { complaintId: `k${customer}`, category: `cat-${customer % 2}`, severity: 'medium' },
            5,
            4,
            customer,
          ),
          ...(customer % 4 === 1
            ? []
            : [
                event(
                  'ComplaintResolved',
                  { complaintId: `k${customer}`, satisfied: customer % 3 === 0 },
                  20,
                  4,
                  customer,
                ),
              ]),
        ]),
  ];

  /**
   * The figure keeps times to resolution to three significant digits: the times here (15 days, and 14 days 23
   * hours once, which keeps as 15.0) give the same median as the exact times, so only the answer's note differs.
   */
  const keptToThreeDigits = (exact: ComplaintReport): ComplaintReport => ({
    ...exact,
    resolution: { ...exact.resolution, timesKeptTo: '3 significant digits' },
  });

  /** The reports read from the figures as the query handlers read them, and computed from every document. */
  async function figuresAndExact() {
    const readModels = new ReadModels(reads, engine);
    const now = '2026-12-01T00:00:00.000Z';
    const all = async <Doc extends object>(projection: string) => {
      const docs: Doc[] = [];
      for await (const doc of reads.scan<Doc>(engine.collection(projection))) docs.push(doc);
      return docs;
    };
    // Instants that cut days holding facts of several customers.
    const cohorts: CohortQuery = {
      from: '2026-02-01T12:00:00.000Z',
      asOf: '2026-07-03T09:30:00.000Z',
      ledgerCurrency: 'EUR',
      now,
    };
    const satisfaction: SatisfactionQuery = {
      from: '2026-04-03T06:30:00.000Z',
      to: '2026-04-12T07:00:00.000Z',
      now,
    };
    const complaints: ComplaintQuery = {
      to: '2026-04-05T06:00:00.000Z',
      asOf: '2026-04-20T08:30:00.000Z',
      now,
    };
    const cohortReads = await readModels.periodFigure<PurchaseHistory>(
      'purchase-history',
      purchaseCohortFigures,
      purchaseDaysFigure,
      cohortCutDays(cohorts),
    );
    const satisfactionReads = await readModels.periodFigure<SurveyHistory>(
      'survey-history',
      satisfactionFigures,
      answerDaysFigure,
      satisfactionCutDays(satisfaction),
    );
    expect(satisfactionReads.cutDocuments.length).toBeGreaterThan(1);
    const complaintAnswer = await new ReadComplaintReportHandler(readModels).execute(
      new ReadComplaintReport(complaints, new Date(now)),
    );
    return {
      figures: {
        cohorts: cohortReportOfFigure(cohortReads.buckets, cohortReads.cutDocuments, cohorts),
        satisfaction: satisfactionReportOfFigure(
          satisfactionReads.buckets,
          satisfactionReads.cutDocuments,
          satisfaction,
        ),
        complaints: complaintAnswer,
      },
      exact: {
        cohorts: cohortReport(await all<PurchaseHistory>('purchase-history'), cohorts),
        satisfaction: satisfactionReport(await all<SurveyHistory>('survey-history'), satisfaction),
        complaints: keptToThreeDigits(
          complaintReport(await all<ComplaintHistory>('complaint-history'), complaints),
        ),
      },
    };
  }

  const PERIOD_FIGURES = [
    ['purchase-history', [purchaseCohortFigures.months, purchaseCohortFigures.days, purchaseDaysFigure]],
    ['survey-history', [satisfactionFigures.months, satisfactionFigures.days, answerDaysFigure]],
    ['complaint-history', [complaintFigures.months, complaintFigures.days, complaintDaysFigure]],
  ] as const;

  async function expectEveryPeriodFigureKept(): Promise<void> {
    for (const [projection, figures] of PERIOD_FIGURES) {
      for (const figure of figures) {
        const [stored, counted] = await storedAndCounted(projection, figure as PopulationFigure<object>);
        expect(stored.length).toBeGreaterThan(0);
        expect(stored).toEqual(counted);
      }
    }
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
        ...feedback(customer),
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
    const [caughtUp, countedFirst] = await storedAndCounted('purchase-history');
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

    const [stored, counted] = await storedAndCounted('purchase-history');
    expect(stored).toEqual(counted);
    for (const figure of [funnelMonthsFigure, funnelDaysFigure]) {
      const [funnelStored, funnelCounted] = await storedAndCounted('funnel', figure);
      expect(funnelStored.length).toBeGreaterThan(0);
      expect(funnelStored).toEqual(funnelCounted);
    }
    const customers = (buckets: FigureBucket[]) =>
      buckets.reduce((sum, { counters }) => sum + (counters.customers ?? 0), 0);
    // 12 customers, 9 of them buyers (customer % 4 > 0); c13 buys; c2 and c3 merge into c5; c6 leaves.
    expect(customers(stored)).toBe(9 + 1 - 2 - 1);
  });

  it('answers the cohort, satisfaction and complaint reports exactly, after live folds, merges, consent changes and a rebuild', async () => {
    const first = await figuresAndExact();
    expect(first.exact.cohorts.customers).toBeGreaterThan(0);
    expect(first.exact.satisfaction.overall.nps.answers).toBeGreaterThan(0);
    expect(first.exact.complaints.backlog.open).toBeGreaterThan(0);
    expect(first.figures).toEqual(first.exact);

    // Purchases on a cut day at other hours, feedback of a new customer, merges, a withdrawal and a regrant.
    await append('c1', purchase(500, 3, 7), ...feedback(13));
    await append('c13', purchase(70, 3, 7), event('SurveyAnswered', { kind: 'nps', score: 10 }, 12, 4, 3));
    await merge('c2', 'c3', 9);
    await merge('c5', 'c2', 10);
    await append('c6', event('ConsentWithdrawn', { purpose: 'analytics' }, 11, 7));
    await append('c7', event('ConsentWithdrawn', { purpose: 'analytics' }, 11, 7));
    await append('c7', event('ConsentGranted', { purpose: 'analytics' }, 12, 7));
    await append('c9', event('ComplaintResolved', { complaintId: 'k9', satisfied: true }, 20, 4, 8));
    await engine.caughtUp();
    await expectEveryPeriodFigureKept();
    const live = await figuresAndExact();
    expect(live.figures).toEqual(live.exact);
    expect(live.exact).not.toEqual(first.exact);
    expect(live.exact.complaints.leftOutWithoutConsent.analytics).toBeGreaterThan(0);

    await engine.rebuild(['purchase-history', 'survey-history', 'complaint-history']);
    await engine.caughtUp();
    await expectEveryPeriodFigureKept();
    expect(await figuresAndExact()).toEqual(live);
  });

  it('is rebuilt with its projection into the new generation', async () => {
    const [before] = await storedAndCounted('purchase-history');
    await engine.rebuild(['purchase-history']);
    await engine.caughtUp();
    const [after, counted] = await storedAndCounted('purchase-history');
    expect(engine.figureCollection('purchase-history', rfmPopulationFigure.name)).toMatch(/_g2$/);
    expect(after).toEqual(before);
    expect(after).toEqual(counted);
  });
});
