import { cohortCover, funnelCounters, funnelReportOfCounters } from './funnel-cohort.figure';
import { FunnelPosition, funnelProjection, funnelReport } from './funnel.projection';
import { addCounters } from './population-figure';
import { ProjectedEvent } from './projection';
import { seededRandom } from '../test/fixtures/seeded-random';

/** 400 customers folded by the funnel projection itself: browses, commits, purchases, NPS answers. */
function positions(): FunnelPosition[] {
  const next = seededRandom(3);
  let position = 0;
  return Array.from({ length: 400 }, (_, index) => {
    let at = Date.UTC(2026, 0, 1) + Math.floor(next() * 200 * 86_400_000);
    const event = (type: string, data: object) =>
      ({
        type,
        data,
        eventId: `e${++position}`,
        customerId: `c${index}`,
        subjectId: `c${index}`,
        streamRevision: 0,
        position,
        occurredAt: new Date((at += Math.floor(next() * 9 * 86_400_000))).toISOString(),
        recordedAt: '2026-11-01T00:00:00.000Z',
        actor: 'test',
      }) as unknown as ProjectedEvent;
    const events = [event('ProductBrowsed', { productId: 'p' })];
    if (next() < 0.6) events.push(event('PurchaseCommitted', { cartId: 'k' }));
    for (let n = next() < 0.5 ? Math.floor(next() * 4) : 0; n > 0; n--)
      events.push(event('PurchaseCompleted', { orderId: `o${n}` }));
    if (next() < 0.3) events.push(event('SurveyAnswered', { kind: 'nps', score: Math.floor(next() * 11) }));
    if (next() < 0.05) events.push(event('ConsentWithdrawn', { purpose: 'analytics' }));
    return events.reduce<FunnelPosition | null>((doc, e) => funnelProjection.evolve(doc, e), null)!;
  });
}

describe('the funnel cohort figure', () => {
  it('gives the funnel report of the counted customers: counts exact, medians within 1%', () => {
    const all = positions();
    const counters = new Map<string, number>();
    for (const position of all) addCounters(counters, funnelCounters(position));
    const consenting = all.filter((position) => !position.consents?.some((change) => !change.granted));
    const exact = funnelReport(consenting);
    const kept = funnelReportOfCounters(counters);

    expect(kept.withoutConsent).toBe(all.length - consenting.length);
    expect(kept.withoutConsent).toBeGreaterThan(0);
    expect(kept.cohort.customers).toBe(exact.cohort.customers);
    kept.stages.forEach((stage, index) => {
      const expected = exact.stages[index]!;
      expect([stage.stage, stage.customers, stage.conversionFromPrevious]).toEqual([
        expected.stage,
        expected.customers,
        expected.conversionFromPrevious,
      ]);
      if (expected.medianDaysFromPrevious === null) expect(stage.medianDaysFromPrevious).toBeNull();
      else
        expect(Math.abs(stage.medianDaysFromPrevious! / expected.medianDaysFromPrevious - 1)).toBeLessThan(
          0.01,
        );
    });
  });

  it('covers a range with whole months, whole days of the end months, and the stretches shorter than a day', () => {
    const cover = cohortCover('2026-03-30T12:00:00.000Z', '2026-06-02T23:59:59.999Z');
    expect(['2026-03', '2026-04', '2026-05', '2026-06'].filter(cover.month)).toEqual(['2026-04', '2026-05']);
    expect(cover.days).toEqual(['2026-03-31', '2026-06-01', '2026-06-02']);
    expect(cover.partial).toEqual([{ from: '2026-03-30T12:00:00.000Z', to: '2026-03-30T23:59:59.999Z' }]);

    const open = cohortCover(undefined, '2026-06-30T23:59:59.999Z');
    expect(['1999-01', '2026-06'].every(open.month)).toBe(true);
    expect(open.month('2026-07')).toBe(false);
    expect([open.days, open.partial]).toEqual([[], []]);
  });
});
