import {
  aComplaintFiled,
  aConsentGranted,
  aCustomerErased,
  aCustomerRegistered,
  anEvent,
  aProductBrowsed,
  aPurchaseCommitted,
  aPurchaseCompleted,
  aPurchaseRefunded,
  aSurveyAnswered,
  copyOf,
  daysAfter,
  EVENT_TYPES,
  EventMeta,
  fold,
  projectionSpec,
  redelivered,
} from '../test/fixtures/projected-events';
import { CustomerEventType } from '../src/domain/customer-events';
import { FUNNEL_STAGES, FunnelPosition, funnelProjection, funnelReport } from './funnel.projection';
import { ProjectedEvent } from './projection';

const { given } = projectionSpec(funnelProjection);

const T0 = '2026-01-01T10:00:00.000Z';
/** The instant `days` after T0. */
const day = (days: number) => daysAfter(T0, days);
const on = (days: number, meta: EventMeta = {}): EventMeta => ({ occurredAt: day(days), ...meta });

describe('funnel projection', () => {
  it('declares its stages in order and routes every event to its customer', () => {
    expect(FUNNEL_STAGES).toEqual(['browsing', 'committed', 'purchased', 'repeat', 'advocate']);
    expect(funnelProjection.name).toBe('funnel');
    for (const type of EVENT_TYPES) {
      expect(funnelProjection.documentId(anEvent(type, {}, { customerId: 'c-5' }))).toBe('c-5');
    }
  });

  describe('stages', () => {
    it('puts a customer with any touchpoint in browsing', () => {
      const browsed = aProductBrowsed({}, on(0));
      given(browsed).then({
        customerId: 'c-ada',
        position: browsed.position,
        firstSeenAt: day(0),
        earliestPurchases: [],
        stage: 'browsing',
        reachedAt: { browsing: day(0) },
      });
    });

    it.each<[string, () => ProjectedEvent]>([
      ['a registration', () => aCustomerRegistered({}, on(0))],
      ['a consent', () => aConsentGranted({}, on(0))],
      ['a complaint', () => aComplaintFiled({}, on(0))],
      ['a CSAT survey', () => aSurveyAnswered({ kind: 'csat', score: 5 }, on(0))],
      ['a refund', () => aPurchaseRefunded({}, on(0))],
    ])('counts %s as a touchpoint that starts browsing', (_, build) => {
      given(build()).thenMatches({ stage: 'browsing', reachedAt: { browsing: day(0) } });
    });

    it('moves to committed on a commit', () => {
      const browsed = aProductBrowsed({}, on(0));
      const committed = aPurchaseCommitted({}, on(2));
      given(browsed)
        .when(committed)
        .then({
          customerId: 'c-ada',
          position: committed.position,
          firstSeenAt: day(0),
          firstCommitAt: day(2),
          earliestPurchases: [],
          stage: 'committed',
          reachedAt: { browsing: day(0), committed: day(2) },
        });
    });

    it('counts a purchase without a commit as committed at the purchase', () => {
      const browsed = aProductBrowsed({}, on(0));
      const purchased = aPurchaseCompleted({}, on(3));
      given(browsed)
        .when(purchased)
        .then({
          customerId: 'c-ada',
          position: purchased.position,
          firstSeenAt: day(0),
          earliestPurchases: [day(3)],
          stage: 'purchased',
          reachedAt: { browsing: day(0), committed: day(3), purchased: day(3) },
        });
    });

    it('moves to repeat on a second completed purchase', () => {
      given(aProductBrowsed({}, on(0)), aPurchaseCommitted({}, on(1)), aPurchaseCompleted({}, on(2)))
        .when(aPurchaseCompleted({ orderId: 'A-18' }, on(9)))
        .thenMatches({
          stage: 'repeat',
          earliestPurchases: [day(2), day(9)],
          reachedAt: { browsing: day(0), committed: day(1), purchased: day(2), repeat: day(9) },
        });
    });

    it('keeps the two earliest purchases only', () => {
      const doc = given(
        aPurchaseCompleted({}, on(5)),
        aPurchaseCompleted({}, on(9)),
        aPurchaseCompleted({}, on(12)),
        aPurchaseCompleted({}, on(1)),
      ).doc();
      expect(doc?.earliestPurchases).toEqual([day(1), day(5)]);
      expect(doc?.reachedAt).toEqual({
        browsing: day(1),
        committed: day(1),
        purchased: day(1),
        repeat: day(5),
      });
    });

    it('does not undo a purchase on a refund', () => {
      given(aPurchaseCompleted({}, on(1)), aPurchaseCompleted({}, on(2)))
        .when(aPurchaseRefunded({}, on(3)), aPurchaseRefunded({}, on(4)))
        .thenMatches({ stage: 'repeat', earliestPurchases: [day(1), day(2)] });
    });

    it('makes a repeat buyer whose latest NPS is 9 or more an advocate', () => {
      const browsed = aProductBrowsed({}, on(0));
      const first = aPurchaseCompleted({}, on(2));
      const second = aPurchaseCompleted({}, on(9));
      const nps = aSurveyAnswered({ kind: 'nps', score: 9 }, on(15));
      given(browsed, first, second)
        .when(nps)
        .then({
          customerId: 'c-ada',
          position: nps.position,
          firstSeenAt: day(0),
          earliestPurchases: [day(2), day(9)],
          latestNps: { score: 9, at: day(15) },
          stage: 'advocate',
          reachedAt: {
            browsing: day(0),
            committed: day(2),
            purchased: day(2),
            repeat: day(9),
            advocate: day(15),
          },
        });
    });

    it('makes an advocate at the second purchase when the NPS of 10 came first', () => {
      given(aPurchaseCompleted({}, on(1)), aSurveyAnswered({ kind: 'nps', score: 10 }, on(3)))
        .when(aPurchaseCompleted({}, on(8)))
        .thenMatches({ stage: 'advocate', reachedAt: { repeat: day(8), advocate: day(8) } });
    });

    it('does not make an advocate of a single purchase, however high the NPS', () => {
      const doc = given(
        aPurchaseCompleted({}, on(1)),
        aSurveyAnswered({ kind: 'nps', score: 10 }, on(3)),
      ).doc();
      expect(doc?.stage).toBe('purchased');
      expect(doc?.reachedAt.advocate).toBeUndefined();
      expect(doc?.latestNps).toEqual({ score: 10, at: day(3) });
    });

    it.each([0, 6, 8])('does not make an advocate of a repeat buyer whose latest NPS is %d', (score) => {
      given(aPurchaseCompleted({}, on(1)), aPurchaseCompleted({}, on(2)))
        .when(aSurveyAnswered({ kind: 'nps', score }, on(3)))
        .thenMatches({ stage: 'repeat', latestNps: { score, at: day(3) } });
    });

    it('ignores CSAT and CES answers for advocacy', () => {
      const doc = given(
        aPurchaseCompleted({}, on(1)),
        aPurchaseCompleted({}, on(2)),
        aSurveyAnswered({ kind: 'csat', score: 5 }, on(3)),
        aSurveyAnswered({ kind: 'ces', score: 1 }, on(4)),
      ).doc();
      expect(doc?.stage).toBe('repeat');
      expect(doc?.latestNps).toBeUndefined();
    });

    it('drops back from advocate to repeat when a later NPS is below 9', () => {
      given(
        aPurchaseCompleted({}, on(1)),
        aPurchaseCompleted({}, on(2)),
        aSurveyAnswered({ kind: 'nps', score: 10 }, on(3)),
      )
        .when(aSurveyAnswered({ kind: 'nps', score: 7 }, on(4)))
        .thenMatches({ stage: 'repeat', latestNps: { score: 7, at: day(4) } });
    });

    it('keeps the funnel of an erased customer', () => {
      given(aPurchaseCompleted({}, on(1)))
        .when(aCustomerErased({}, on(5)))
        .thenMatches({ stage: 'purchased', reachedAt: { browsing: day(1), purchased: day(1) } });
    });
  });

  describe('out-of-order events', () => {
    it('reaches each stage at the earliest occurrence, whatever the arrival order', () => {
      const events = [
        aPurchaseCompleted({ orderId: 'A-2' }, on(9)),
        aPurchaseCommitted({}, on(2)),
        aProductBrowsed({}, on(0)),
        aPurchaseCompleted({ orderId: 'A-1' }, on(4)),
      ];
      given(...events).then({
        customerId: 'c-ada',
        position: events[3]!.position,
        firstSeenAt: day(0),
        firstCommitAt: day(2),
        earliestPurchases: [day(4), day(9)],
        stage: 'repeat',
        reachedAt: { browsing: day(0), committed: day(2), purchased: day(4), repeat: day(9) },
      });
      // after the first arrival only: a purchase, so committed and purchased at once
      given(events[0]!).thenMatches({
        stage: 'purchased',
        reachedAt: { browsing: day(9), committed: day(9), purchased: day(9) },
      });
    });

    it('moves committed earlier when a commit that occurred before the purchase arrives after it', () => {
      given(aPurchaseCompleted({}, on(5)))
        .when(aPurchaseCommitted({}, on(3)))
        .thenMatches({
          firstCommitAt: day(3),
          reachedAt: { browsing: day(3), committed: day(3), purchased: day(5) },
        });
    });

    it('keeps committed at the purchase when the only commit occurred after it', () => {
      given(aPurchaseCompleted({}, on(5)))
        .when(aPurchaseCommitted({}, on(7)))
        .thenMatches({ firstCommitAt: day(7), reachedAt: { committed: day(5), purchased: day(5) } });
    });

    it('keeps the NPS that occurred last, not the one that arrived last', () => {
      given(
        aPurchaseCompleted({}, on(1)),
        aPurchaseCompleted({}, on(2)),
        aSurveyAnswered({ kind: 'nps', score: 9 }, on(10)),
      )
        .when(aSurveyAnswered({ kind: 'nps', score: 3 }, on(5)))
        .thenMatches({ stage: 'advocate', latestNps: { score: 9, at: day(10) } });
    });

    it('moves first seen earlier for any earlier touchpoint', () => {
      given(aPurchaseCompleted({}, on(5)))
        .when(aConsentGranted({}, on(-3)))
        .thenMatches({ firstSeenAt: day(-3), reachedAt: { browsing: day(-3) } });
    });
  });

  describe('run it twice, same result', () => {
    const history = () => [
      aProductBrowsed({}, on(0)),
      aPurchaseCompleted({ orderId: 'A-1' }, on(1)),
      aSurveyAnswered({ kind: 'nps', score: 10 }, on(2)),
    ];
    const overrides: Partial<Record<CustomerEventType, Record<string, unknown>>> = {
      SurveyAnswered: { kind: 'nps', score: 6 },
    };

    it.each(EVENT_TYPES)('folding the same %s again leaves the funnel position unchanged', (type) => {
      const past = history();
      const event = anEvent(type, overrides[type] ?? {}, on(5));
      const doc = fold(funnelProjection, [...past, event]);
      expect(doc?.position).toBe(event.position);

      const before = copyOf(doc);
      const again = funnelProjection.evolve(doc, redelivered(event));
      expect(again).toStrictEqual(doc);
      expect(again).toEqual(before);
    });

    it.each(EVENT_TYPES)('an older %s delivered after newer events changes nothing either', (type) => {
      const event = anEvent(type, overrides[type] ?? {}, on(-5));
      const doc = fold(funnelProjection, [event, ...history()]);
      const before = copyOf(doc);
      expect(funnelProjection.evolve(doc, redelivered(event))).toEqual(before);
    });

    it('does not make a repeat buyer of one purchase delivered twice', () => {
      const purchase = aPurchaseCompleted({}, on(1));
      given(purchase, redelivered(purchase)).thenMatches({ stage: 'purchased', earliestPurchases: [day(1)] });
    });
  });

  describe('funnelReport', () => {
    /** Folds one customer's events into its funnel position. */
    function customer(
      customerId: string,
      ...events: ((meta: EventMeta) => ProjectedEvent)[]
    ): FunnelPosition {
      return fold(
        funnelProjection,
        events.map((build) => build({ customerId })),
      ) as FunnelPosition;
    }
    const browse = (days: number) => (meta: EventMeta) => aProductBrowsed({}, on(days, meta));
    const commit = (days: number) => (meta: EventMeta) => aPurchaseCommitted({}, on(days, meta));
    const purchase = (days: number) => (meta: EventMeta) => aPurchaseCompleted({}, on(days, meta));
    const nps = (days: number, score: number) => (meta: EventMeta) =>
      aSurveyAnswered({ kind: 'nps', score }, on(days, meta));

    const cohort = () => [
      customer('c-1', browse(0)),
      customer('c-2', browse(0), commit(2)),
      customer('c-3', browse(0), purchase(4)),
      customer('c-4', browse(0), commit(1), purchase(3), purchase(10)),
      customer('c-5', browse(0), commit(2), purchase(6), purchase(20), nps(30, 10)),
    ];

    it('has the stages each customer reached', () => {
      expect(cohort().map((position) => position.stage)).toEqual([
        'browsing',
        'committed',
        'purchased',
        'repeat',
        'advocate',
      ]);
    });

    it('counts customers cumulatively, with conversion from the previous stage and median days between', () => {
      const range = { firstSeenFrom: '2026-01-01T00:00:00.000Z', firstSeenTo: '2026-01-31T23:59:59.999Z' };
      expect(funnelReport(cohort(), range)).toEqual({
        cohort: { ...range, customers: 5 },
        stages: [
          { stage: 'browsing', customers: 5, conversionFromPrevious: null, medianDaysFromPrevious: null },
          // browsing -> committed: c-2 2, c-3 4 (its purchase), c-4 1, c-5 2: median of [1, 2, 2, 4] = 2
          { stage: 'committed', customers: 4, conversionFromPrevious: 4 / 5, medianDaysFromPrevious: 2 },
          // committed -> purchased: c-3 0, c-4 2, c-5 4: median 2
          { stage: 'purchased', customers: 3, conversionFromPrevious: 3 / 4, medianDaysFromPrevious: 2 },
          // purchased -> repeat: c-4 7, c-5 14: median 10.5
          { stage: 'repeat', customers: 2, conversionFromPrevious: 2 / 3, medianDaysFromPrevious: 10.5 },
          // repeat -> advocate: c-5 10
          { stage: 'advocate', customers: 1, conversionFromPrevious: 1 / 2, medianDaysFromPrevious: 10 },
        ],
      });
    });

    it('counts an advocate in every stage before it', () => {
      const report = funnelReport([customer('c-5', purchase(1), purchase(2), nps(3, 9))]);
      expect(report.stages.map((stage) => stage.customers)).toEqual([1, 1, 1, 1, 1]);
      expect(report.stages.map((stage) => stage.conversionFromPrevious)).toEqual([null, 1, 1, 1, 1]);
      expect(report.stages.map((stage) => stage.medianDaysFromPrevious)).toEqual([null, 0, 0, 1, 1]);
    });

    it('reports fractional days between stages', () => {
      const hours = (h: number) => (meta: EventMeta) => aPurchaseCommitted({}, on(h / 24, meta));
      const report = funnelReport([
        customer('c-1', browse(0), hours(12)),
        customer('c-2', browse(0), hours(6)),
      ]);
      // median of 0.5 and 0.25 days
      expect(report.stages[1]).toEqual({
        stage: 'committed',
        customers: 2,
        conversionFromPrevious: 1,
        medianDaysFromPrevious: 0.375,
      });
    });

    it('takes the middle value of an odd number of gaps', () => {
      const report = funnelReport([
        customer('c-1', browse(0), commit(9)),
        customer('c-2', browse(0), commit(1)),
        customer('c-3', browse(0), commit(3)),
      ]);
      expect(report.stages[1]?.medianDaysFromPrevious).toBe(3);
    });

    it('gives no conversion from a stage nobody reached, and zero conversion into a stage nobody reached', () => {
      const report = funnelReport([customer('c-1', browse(0)), customer('c-2', browse(1))]);
      expect(report.stages).toEqual([
        { stage: 'browsing', customers: 2, conversionFromPrevious: null, medianDaysFromPrevious: null },
        { stage: 'committed', customers: 0, conversionFromPrevious: 0, medianDaysFromPrevious: null },
        { stage: 'purchased', customers: 0, conversionFromPrevious: null, medianDaysFromPrevious: null },
        { stage: 'repeat', customers: 0, conversionFromPrevious: null, medianDaysFromPrevious: null },
        { stage: 'advocate', customers: 0, conversionFromPrevious: null, medianDaysFromPrevious: null },
      ]);
    });

    it('reports an empty cohort', () => {
      expect(funnelReport([])).toEqual({
        cohort: { customers: 0 },
        stages: FUNNEL_STAGES.map((stage) => ({
          stage,
          customers: 0,
          conversionFromPrevious: null,
          medianDaysFromPrevious: null,
        })),
      });
    });

    it('reads any iterable of positions once', () => {
      const positions = cohort();
      function* generate() {
        yield* positions;
      }
      expect(funnelReport(generate())).toEqual(funnelReport(positions));
    });

    it('measures stage gaps from out-of-order histories by occurrence', () => {
      const report = funnelReport([customer('c-1', purchase(10), commit(4), browse(1), purchase(6))]);
      expect(report.stages.map((stage) => stage.medianDaysFromPrevious)).toEqual([null, 3, 2, 4, null]);
    });
  });
});
