import {
  aComplaintFiled,
  aComplaintResolved,
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
  eur,
  EVENT_TYPES,
  fold,
  projectionSpec,
  redelivered,
  usd,
} from '../test/fixtures/projected-events';
import { money } from '../src/domain/money';
import { CustomerEventType } from '../src/domain/customer-events';
import { LoyaltyFacts, loyaltyAsOf, loyaltyProjection, loyaltyScore, normalise } from './loyalty.projection';
import { ProjectedEvent } from './projection';

const { given } = projectionSpec(loyaltyProjection);

const AS_OF = '2026-11-20T00:00:00.000Z';
/** The instant `days` before AS_OF. */
const ago = (days: number) => daysAfter(AS_OF, -days);
const ln = Math.log;

function scoreOf(events: readonly ProjectedEvent[], asOf = AS_OF, ledgerCurrency = 'EUR') {
  return loyaltyScore(fold(loyaltyProjection, events), asOf, ledgerCurrency);
}

/** `count` purchases of EUR 100, the latest `latestDaysAgo` before AS_OF, one a day before that. */
function purchases(count: number, latestDaysAgo: number): ProjectedEvent[] {
  return Array.from({ length: count }, (_, index) =>
    aPurchaseCompleted(
      { orderId: `A-${index}`, items: undefined, total: eur(100) },
      { occurredAt: ago(latestDaysAgo + count - 1 - index) },
    ),
  );
}

describe('loyalty projection', () => {
  describe('stored facts', () => {
    it('routes every event to the document of its customer', () => {
      expect(loyaltyProjection.name).toBe('loyalty');
      for (const type of EVENT_TYPES) {
        expect(loyaltyProjection.documentId(anEvent(type, {}, { customerId: 'c-9' }))).toBe('c-9');
      }
    });

    it('keeps purchases, refunds, normalised surveys and complaints with their event ids and instants', () => {
      const registered = aCustomerRegistered({}, { occurredAt: ago(100) });
      const browsed = aProductBrowsed({}, { occurredAt: ago(99) });
      const committed = aPurchaseCommitted({}, { occurredAt: ago(98) });
      const purchase = aPurchaseCompleted({ total: eur(120.5) }, { occurredAt: ago(97) });
      const refund = aPurchaseRefunded({ amount: eur(20.5) }, { occurredAt: ago(90) });
      const nps = aSurveyAnswered({ kind: 'nps', score: 9 }, { occurredAt: ago(80) });
      const csat = aSurveyAnswered({ kind: 'csat', score: 2 }, { occurredAt: ago(70) });
      const ces = aSurveyAnswered({ kind: 'ces', score: 3 }, { occurredAt: ago(60) });
      const k1 = aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(50) });
      const k2 = aComplaintFiled({ complaintId: 'K-2' }, { occurredAt: ago(40) });
      const resolved = aComplaintResolved({ complaintId: 'K-1' }, { occurredAt: ago(30) });
      const consent = aConsentGranted({}, { occurredAt: ago(20) });

      given(registered, browsed, committed, purchase, refund, nps, csat, ces, k1, k2, resolved)
        .when(consent)
        .then({
          customerId: 'c-ada',
          position: consent.position,
          consents: [{ purpose: 'marketing', granted: true, at: ago(20) }],
          purchases: [
            { eventId: purchase.eventId, at: ago(97), total: { amountMinor: 12050, currency: 'EUR' } },
          ],
          refunds: [{ eventId: refund.eventId, at: ago(90), amount: { amountMinor: 2050, currency: 'EUR' } }],
          surveys: [
            { eventId: nps.eventId, at: ago(80), satisfaction: 0.9 },
            { eventId: csat.eventId, at: ago(70), satisfaction: 0.25 },
            { eventId: ces.eventId, at: ago(60), satisfaction: 4 / 6 },
          ],
          complaints: [
            { eventId: k1.eventId, at: ago(50), complaintId: 'K-1', resolvedAt: ago(30) },
            { eventId: k2.eventId, at: ago(40), complaintId: 'K-2' },
          ],
        });
    });

    it('starts an empty document from any event and keeps facts across erasure', () => {
      const browsed = aProductBrowsed();
      given(browsed).then({
        customerId: 'c-ada',
        position: browsed.position,
        purchases: [],
        refunds: [],
        surveys: [],
        complaints: [],
      });
      const purchase = aPurchaseCompleted();
      const erased = aCustomerErased();
      expect(
        given(purchase, erased)
          .doc()
          ?.purchases.map((fact) => fact.eventId),
      ).toEqual([purchase.eventId]);
    });

    it('ignores the resolution of a complaint it does not know', () => {
      const filed = aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(10) });
      const resolved = aComplaintResolved({ complaintId: 'K-9' }, { occurredAt: ago(5) });
      expect(given(filed, resolved).doc()?.complaints).toEqual([
        { eventId: filed.eventId, at: ago(10), complaintId: 'K-1' },
      ]);
    });
  });

  describe('normalise', () => {
    it.each<[Parameters<typeof normalise>[0], number, number]>([
      ['nps', 0, 0],
      ['nps', 7, 0.7],
      ['nps', 10, 1],
      ['csat', 1, 0],
      ['csat', 3, 0.5],
      ['csat', 5, 1],
      ['ces', 1, 1],
      ['ces', 4, 0.5],
      ['ces', 7, 0],
    ])('maps %s %d to %d', (kind, score, expected) => {
      expect(normalise(kind, score)).toBeCloseTo(expected, 12);
    });
  });

  describe('run it twice, same result', () => {
    const history = () => [
      aPurchaseCompleted({ orderId: 'A-1' }, { occurredAt: ago(30) }),
      aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(20) }),
    ];
    const overrides: Partial<Record<CustomerEventType, Record<string, unknown>>> = {
      ComplaintFiled: { complaintId: 'K-2' },
    };

    it.each(EVENT_TYPES)('folding the same %s again leaves the facts and the score unchanged', (type) => {
      const past = history();
      const event = anEvent(type, overrides[type] ?? {}, { occurredAt: ago(10) });
      const doc = fold(loyaltyProjection, [...past, event]);
      expect(doc?.position).toBe(event.position);

      const before = copyOf(doc);
      const again = loyaltyProjection.evolve(doc, redelivered(event));
      expect(again).toStrictEqual(doc);
      expect(again).toEqual(before);
      expect(loyaltyScore(again, AS_OF, 'EUR')).toEqual(loyaltyScore(before, AS_OF, 'EUR'));
    });

    it.each(EVENT_TYPES)('an older %s delivered after newer events changes nothing either', (type) => {
      const event = anEvent(type, overrides[type] ?? {}, { occurredAt: ago(10) });
      const doc = fold(loyaltyProjection, [event, ...history()]);
      const before = copyOf(doc);
      expect(loyaltyProjection.evolve(doc, redelivered(event))).toEqual(before);
    });

    it('counts a purchase once however often it is delivered', () => {
      const purchase = aPurchaseCompleted({ total: eur(120.5) }, { occurredAt: ago(45) });
      const once = scoreOf([purchase]);
      const thrice = scoreOf([purchase, redelivered(purchase), redelivered(purchase)]);
      expect(thrice).toEqual(once);
      expect(thrice.components.purchasesInWindow).toBe(1);
    });
  });

  describe('loyaltyScore', () => {
    it('scores a customer without facts with the neutral satisfaction only', () => {
      expect(loyaltyScore(null, AS_OF, 'EUR')).toEqual({
        // round(100 * 0.15 * 0.5) = round(7.5) = 8
        score: 8,
        tier: 'bronze',
        asOf: AS_OF,
        components: {
          recency: 0,
          frequency: 0,
          monetary: 0,
          satisfaction: 0.5,
          penalty: 0,
          daysSinceLastPurchase: null,
          purchasesInWindow: 0,
          netSpendInWindow: { amountMinor: 0, currency: 'EUR' },
          monetaryBasis: { rule: 'principal-currency', currency: 'EUR', leftOut: [] },
          openComplaints: 0,
          complaintsFiledInWindow: 0,
        },
        contributingEvents: [],
      });
    });

    it('scenario A: one purchase of EUR 120.50 45 days ago, no surveys, no complaints: 56 silver', () => {
      const registered = aCustomerRegistered({}, { occurredAt: ago(50) });
      const purchase = aPurchaseCompleted({ total: eur(120.5) }, { occurredAt: ago(45) });
      const result = scoreOf([registered, purchase]);

      // r = 0.5^(45/90) = 0.70711; f = ln 2 / ln 13 = 0.27024; m = ln 121.5 / ln 1001 = 0.69476; s = 0.5
      expect(result.components.recency).toBeCloseTo(0.707107, 6);
      expect(result.components.recency).toBeCloseTo(Math.SQRT1_2, 12);
      expect(result.components.frequency).toBeCloseTo(0.270238, 6);
      expect(result.components.frequency).toBeCloseTo(ln(2) / ln(13), 12);
      expect(result.components.monetary).toBeCloseTo(0.694758, 6);
      expect(result.components.monetary).toBeCloseTo(ln(121.5) / ln(1001), 12);
      // 100 * (0.35 * 0.70711 + 0.25 * 0.27024 + 0.25 * 0.69476 + 0.15 * 0.5) = 56.374 -> 56
      expect(result).toEqual({
        score: 56,
        tier: 'silver',
        asOf: AS_OF,
        components: {
          recency: result.components.recency,
          frequency: result.components.frequency,
          monetary: result.components.monetary,
          satisfaction: 0.5,
          penalty: 0,
          daysSinceLastPurchase: 45,
          purchasesInWindow: 1,
          netSpendInWindow: { amountMinor: 12050, currency: 'EUR' },
          monetaryBasis: { rule: 'principal-currency', currency: 'EUR', leftOut: [] },
          openComplaints: 0,
          complaintsFiledInWindow: 0,
        },
        contributingEvents: [purchase.eventId],
      });
    });

    it('scenario B: twelve monthly purchases, delighted surveys, one resolved complaint: 96 gold', () => {
      const history = [
        ...Array.from({ length: 12 }, (_, month) =>
          aPurchaseCompleted(
            { orderId: `M-${month}`, items: undefined, total: eur(100) },
            { occurredAt: ago(9 + 30 * (11 - month)) },
          ),
        ),
        aSurveyAnswered({ kind: 'nps', score: 10 }, { occurredAt: ago(20) }),
        aSurveyAnswered({ kind: 'csat', score: 5 }, { occurredAt: ago(15) }),
        aSurveyAnswered({ kind: 'ces', score: 1 }, { occurredAt: ago(12) }),
        aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(100) }),
        aComplaintResolved({ complaintId: 'K-1' }, { occurredAt: ago(95) }),
      ];
      const result = scoreOf(history);

      // r = 0.5^(9/90) = 0.93303; f = min(1, ln 13 / ln 13) = 1; m = min(1, ln 1201 / ln 1001) = 1; s = 1
      // raw = round(100 * (0.35 * 0.93303 + 0.25 + 0.25 + 0.15)) = round(97.656) = 98; penalty = 2 (filed in window)
      expect(result.components.recency).toBeCloseTo(0.933033, 6);
      expect(result.components).toMatchObject({
        frequency: 1,
        monetary: 1,
        satisfaction: 1,
        penalty: 2,
        daysSinceLastPurchase: 9,
        purchasesInWindow: 12,
        netSpendInWindow: { amountMinor: 120000, currency: 'EUR' },
        openComplaints: 0,
        complaintsFiledInWindow: 1,
      });
      expect(result.score).toBe(96);
      expect(result.tier).toBe('gold');
      // the resolution itself is no stored fact: the complaint it closed is what contributed
      expect(result.contributingEvents).toEqual(
        history.filter((event) => event.type !== 'ComplaintResolved').map((event) => event.eventId),
      );
    });

    describe('scenario C: windows, asOf, currencies and complaints together: 42 silver', () => {
      // built (so positioned) in arrival order, which differs from occurrence order on purpose
      const later = aPurchaseCompleted({ orderId: 'A-9', total: eur(50) }, { occurredAt: ago(-5) });
      const k3 = aComplaintFiled({ complaintId: 'K-3' }, { occurredAt: ago(500) });
      const p2 = aPurchaseCompleted({ orderId: 'A-2', total: eur(200) }, { occurredAt: ago(180) });
      const stale = aPurchaseCompleted({ orderId: 'A-0', total: eur(1000) }, { occurredAt: ago(400) });
      const laterNps = aSurveyAnswered({ kind: 'nps', score: 0 }, { occurredAt: ago(-1) });
      const staleRefund = aPurchaseRefunded({ orderId: 'A-0', amount: eur(30) }, { occurredAt: ago(380) });
      const k4 = aComplaintFiled({ complaintId: 'K-4' }, { occurredAt: ago(600) });
      const k4Resolved = aComplaintResolved({ complaintId: 'K-4' }, { occurredAt: ago(590) });
      const dollars = aPurchaseCompleted({ orderId: 'U-1', total: usd(500) }, { occurredAt: ago(200) });
      const k2 = aComplaintFiled({ complaintId: 'K-2' }, { occurredAt: ago(200) });
      const k2Resolved = aComplaintResolved({ complaintId: 'K-2' }, { occurredAt: ago(190) });
      const oldCes = aSurveyAnswered({ kind: 'ces', score: 2 }, { occurredAt: ago(400) });
      const nps = aSurveyAnswered({ kind: 'nps', score: 9 }, { occurredAt: ago(100) });
      const refund = aPurchaseRefunded({ orderId: 'A-2', amount: eur(50) }, { occurredAt: ago(60) });
      const csat = aSurveyAnswered({ kind: 'csat', score: 4 }, { occurredAt: ago(50) });
      const k1 = aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(30) });
      const k5 = aComplaintFiled({ complaintId: 'K-5' }, { occurredAt: ago(20) });
      const p1 = aPurchaseCompleted({ orderId: 'A-1', total: eur(100) }, { occurredAt: ago(10) });
      const dollarRefund = aPurchaseRefunded({ orderId: 'U-1', amount: usd(100) }, { occurredAt: ago(5) });
      const k6 = aComplaintFiled({ complaintId: 'K-6' }, { occurredAt: ago(-2) });
      const k5Resolved = aComplaintResolved({ complaintId: 'K-5' }, { occurredAt: ago(-3) });
      const events = [
        later,
        k3,
        p2,
        stale,
        laterNps,
        staleRefund,
        k4,
        k4Resolved,
        dollars,
        k2,
        k2Resolved,
        oldCes,
        nps,
        refund,
        csat,
        k1,
        k5,
        p1,
        dollarRefund,
        k6,
        k5Resolved,
      ];
      const result = scoreOf(events);

      it('computes every component by hand', () => {
        // recency: last purchase at or before asOf is A-1, 10 days ago: 0.5^(10/90) = 0.92587
        expect(result.components.daysSinceLastPurchase).toBe(10);
        expect(result.components.recency).toBeCloseTo(0.925875, 6);
        expect(result.components.recency).toBeCloseTo(0.5 ** (1 / 9), 12);
        // frequency: and U-1 in the window (A-0 too old, A-9 after asOf): ln 4 / ln 13 = 0.54048
        expect(result.components.purchasesInWindow).toBe(3);
        expect(result.components.frequency).toBeCloseTo(0.540476, 6);
        // monetary: EUR only, in the window: 100 + 200 - 50 = EUR 250: ln 251 / ln 1001 = 0.79978
        expect(result.components.netSpendInWindow).toEqual({ amountMinor: 25000, currency: 'EUR' });
        expect(result.components.monetary).toBeCloseTo(0.799776, 6);
        expect(result.components.monetary).toBeCloseTo(ln(251) / ln(1001), 12);
        // satisfaction: nps 9 -> 0.9, csat 4 -> 0.75, ces 2 -> 5/6 (surveys have no window); the later nps 0 is out
        expect(result.components.satisfaction).toBeCloseTo((0.9 + 0.75 + 5 / 6) / 3, 12);
        expect(result.components.satisfaction).toBeCloseTo(0.827778, 6);
        // open as of asOf: K-1, K-3 (filed long ago, never resolved), K-5 (resolved only after asOf)
        expect(result.components.openComplaints).toBe(3);
        // filed in the window: K-1, K-2, K-5 (K-3, K-4 too old, K-6 after asOf)
        expect(result.components.complaintsFiledInWindow).toBe(3);
        // penalty = min(30, 3 * 10) + min(10, 3 * 2) = 36
        expect(result.components.penalty).toBe(36);
      });

      it('scores round(100 * (0.35r + 0.25f + 0.25m + 0.15s)) - penalty', () => {
        // 100 * (0.35 * 0.92587 + 0.25 * 0.54048 + 0.25 * 0.79978 + 0.15 * 0.82778) = 78.329 -> 78; 78 - 36 = 42
        expect(result.score).toBe(42);
        expect(result.tier).toBe('silver');
        expect(result.asOf).toBe(AS_OF);
      });

      it('lists the events that contributed, and only those', () => {
        expect(result.contributingEvents).toEqual([
          p2.eventId,
          dollars.eventId,
          p1.eventId,
          refund.eventId,
          oldCes.eventId,
          nps.eventId,
          csat.eventId,
          k3.eventId,
          k2.eventId,
          k1.eventId,
          k5.eventId,
        ]);
        for (const excluded of [later, stale, staleRefund, dollarRefund, laterNps, k4, k6]) {
          expect(result.contributingEvents).not.toContain(excluded.eventId);
        }
      });

      it('scores the same facts differently as of an earlier instant', () => {
        const earlier = scoreOf(events, ago(150));
        // as of 150 days ago: purchases A-2 (30 days before), U-1 (50), A-0 (250) in the window; no refund yet
        expect(earlier.components).toMatchObject({
          daysSinceLastPurchase: 30,
          purchasesInWindow: 3,
          netSpendInWindow: { amountMinor: 117000, currency: 'EUR' }, // 200 + 1000 - 30
          monetary: 1,
          openComplaints: 1, // K-3; K-2 resolved 190 days ago
          complaintsFiledInWindow: 2, // K-2, K-3
          penalty: 14,
        });
        expect(earlier.components.satisfaction).toBeCloseTo(5 / 6, 12);
        // 100 * (0.35 * 0.5^(1/3) + 0.25 * ln 4 / ln 13 + 0.25 + 0.15 * 5/6) = 27.780 + 13.512 + 25 + 12.5 = 78.79 -> 79
        expect(earlier.score).toBe(79 - 14);
        expect(earlier.tier).toBe('silver');
        expect(earlier.contributingEvents).toEqual([
          p2.eventId,
          stale.eventId,
          dollars.eventId,
          staleRefund.eventId,
          oldCes.eventId,
          k3.eventId,
          k2.eventId,
        ]);
      });
    });

    describe('asOf and the 365-day window', () => {
      it('counts a fact that occurred exactly at asOf and none a millisecond later', () => {
        const atAsOf = aPurchaseCompleted({ total: eur(10) }, { occurredAt: AS_OF });
        const justAfter = aPurchaseCompleted(
          { total: eur(20) },
          { occurredAt: daysAfter(AS_OF, 1 / 86_400_000) },
        );
        const result = scoreOf([atAsOf, justAfter]);
        expect(result.components).toMatchObject({
          recency: 1,
          daysSinceLastPurchase: 0,
          purchasesInWindow: 1,
          netSpendInWindow: { amountMinor: 1000, currency: 'EUR' },
        });
        expect(result.contributingEvents).toEqual([atAsOf.eventId]);
      });

      it('keeps facts exactly 365 days old in the window and drops older ones', () => {
        const beyond = aPurchaseCompleted(
          { total: eur(20) },
          { occurredAt: daysAfter(ago(365), -1 / 86_400_000) },
        );
        const edge = aPurchaseCompleted({ total: eur(10) }, { occurredAt: ago(365) });
        const edgeRefund = aPurchaseRefunded({ amount: eur(1) }, { occurredAt: ago(365) });
        const beyondRefund = aPurchaseRefunded({ amount: eur(2) }, { occurredAt: ago(365.5) });
        const edgeComplaint = aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(365) });
        const edgeResolved = aComplaintResolved({ complaintId: 'K-1' }, { occurredAt: ago(300) });
        const beyondComplaint = aComplaintFiled({ complaintId: 'K-2' }, { occurredAt: ago(366) });
        const beyondResolved = aComplaintResolved({ complaintId: 'K-2' }, { occurredAt: ago(300) });
        const result = scoreOf([
          beyond,
          edge,
          edgeRefund,
          beyondRefund,
          edgeComplaint,
          edgeResolved,
          beyondComplaint,
          beyondResolved,
        ]);
        expect(result.components).toMatchObject({
          daysSinceLastPurchase: 365,
          purchasesInWindow: 1,
          netSpendInWindow: { amountMinor: 900, currency: 'EUR' },
          openComplaints: 0,
          complaintsFiledInWindow: 1,
          penalty: 2,
        });
        expect(result.contributingEvents).toEqual([edge.eventId, edgeRefund.eventId, edgeComplaint.eventId]);
      });

      it('still reads recency from a last purchase older than the window, and lists it', () => {
        const old = aPurchaseCompleted({ total: eur(500) }, { occurredAt: ago(450) });
        const result = scoreOf([old]);
        // r = 0.5^(450/90) = 1/32; no purchase in the window: f = 0, m = 0
        expect(result.components).toMatchObject({
          recency: 1 / 32,
          frequency: 0,
          monetary: 0,
          daysSinceLastPurchase: 450,
          purchasesInWindow: 0,
          netSpendInWindow: { amountMinor: 0, currency: 'EUR' },
        });
        // round(100 * (0.35 / 32 + 0.15 * 0.5)) = round(8.59) = 9
        expect(result.score).toBe(9);
        expect(result.contributingEvents).toEqual([old.eventId]);
      });

      it('counts a complaint as open until the instant it was resolved', () => {
        const filed = aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(20) });
        const resolved = aComplaintResolved({ complaintId: 'K-1' }, { occurredAt: ago(10) });
        expect(scoreOf([filed, resolved], ago(21)).components).toMatchObject({
          openComplaints: 0,
          complaintsFiledInWindow: 0,
          penalty: 0,
        });
        expect(scoreOf([filed, resolved], ago(15)).components).toMatchObject({
          openComplaints: 1,
          complaintsFiledInWindow: 1,
          penalty: 12,
        });
        expect(scoreOf([filed, resolved], ago(10)).components).toMatchObject({
          openComplaints: 0,
          complaintsFiledInWindow: 1,
          penalty: 2,
        });
        expect(scoreOf([filed, resolved], daysAfter(ago(20), 366)).components).toMatchObject({
          openComplaints: 0,
          complaintsFiledInWindow: 0,
          penalty: 0,
        });
        expect(scoreOf([filed, resolved], daysAfter(ago(20), 366)).contributingEvents).toEqual([]);
      });
    });

    describe('several currencies', () => {
      const events = () => [
        aPurchaseCompleted({ total: eur(100) }, { occurredAt: ago(10) }),
        aPurchaseCompleted({ total: money(20000, 'JPY') }, { occurredAt: ago(20) }),
        aPurchaseRefunded({ amount: money(5000, 'JPY') }, { occurredAt: ago(5) }),
      ];

      it('on a tie between currencies counts the ledger currency, in its own minor units', () => {
        const history = events();
        const inYen = scoreOf(history, AS_OF, 'JPY');
        expect(inYen.components.netSpendInWindow).toEqual({ amountMinor: 15000, currency: 'JPY' });
        expect(inYen.components.monetary).toBeCloseTo(1, 12);
        expect(inYen.components.purchasesInWindow).toBe(2);
        expect(inYen.contributingEvents).toEqual(history.map((event) => event.eventId));

        const inEuro = scoreOf(history, AS_OF, 'EUR');
        expect(inEuro.components.netSpendInWindow).toEqual({ amountMinor: 10000, currency: 'EUR' });
        expect(inEuro.components.monetary).toBeCloseTo(ln(101) / ln(1001), 12);
        expect(inEuro.components.purchasesInWindow).toBe(2);
        expect(inEuro.contributingEvents).toEqual([history[0]!.eventId, history[1]!.eventId]);
        expect(inEuro.components.monetaryBasis).toEqual({
          rule: 'principal-currency',
          currency: 'EUR',
          leftOut: [{ currency: 'JPY', purchases: 1, refunds: 1 }],
        });
      });

      const pounds = (amount: number) => money(amount, 'GBP');

      it('without rates counts the principal currency: a customer paying in pounds is not scored as spending nothing', () => {
        const inPounds = [
          aPurchaseCompleted({ total: pounds(300) }, { occurredAt: ago(30) }),
          aPurchaseCompleted({ total: pounds(200) }, { occurredAt: ago(20) }),
          aPurchaseRefunded({ amount: pounds(50) }, { occurredAt: ago(15) }),
          aPurchaseCompleted({ total: usd(999) }, { occurredAt: ago(10) }),
        ];
        const result = scoreOf(inPounds, AS_OF, 'EUR');
        expect(result.components.netSpendInWindow).toEqual({ amountMinor: 45000, currency: 'GBP' });
        expect(result.components.monetary).toBeCloseTo(ln(451) / ln(1001), 12);
        expect(result.components.monetaryBasis).toEqual({
          rule: 'principal-currency',
          currency: 'GBP',
          leftOut: [{ currency: 'USD', purchases: 1, refunds: 0 }],
        });
        // The same history in euros scores the same: the currency alone changes nothing.
        const inEuros = inPounds.map((event) =>
          event.type === 'PurchaseCompleted' && event.data.total.currency === 'GBP'
            ? { ...event, data: { ...event.data, total: { ...event.data.total, currency: 'EUR' } } }
            : event.type === 'PurchaseRefunded'
              ? { ...event, data: { ...event.data, amount: { ...event.data.amount, currency: 'EUR' } } }
              : event,
        );
        expect(scoreOf(inEuros, AS_OF, 'EUR').score).toBe(result.score);
        expect(result.tier).toBe('gold');
      });

      it('chooses the principal currency from the purchases up to asOf, outside the window too', () => {
        const history = [
          aPurchaseCompleted({ total: usd(10) }, { occurredAt: ago(700) }),
          aPurchaseCompleted({ total: usd(10) }, { occurredAt: ago(650) }),
          aPurchaseCompleted({ total: usd(10) }, { occurredAt: ago(600) }),
          aPurchaseCompleted({ total: pounds(80) }, { occurredAt: ago(100) }),
          aPurchaseCompleted({ total: pounds(40) }, { occurredAt: ago(50) }),
          aPurchaseCompleted({ total: pounds(20) }, { occurredAt: ago(8) }),
          aPurchaseCompleted({ total: pounds(10) }, { occurredAt: ago(5) }),
        ];
        // Ten days ago: three dollar purchases (all before the window) against two in pounds.
        expect(scoreOf(history, ago(10), 'EUR').components.netSpendInWindow).toEqual({
          amountMinor: 0,
          currency: 'USD',
        });
        expect(scoreOf(history, AS_OF, 'EUR').components.netSpendInWindow).toEqual({
          amountMinor: 15000,
          currency: 'GBP',
        });
      });

      it('breaks a tie between other currencies by code', () => {
        const history = [
          aPurchaseCompleted({ total: usd(10) }, { occurredAt: ago(20) }),
          aPurchaseCompleted({ total: pounds(20) }, { occurredAt: ago(10) }),
        ];
        expect(scoreOf(history, AS_OF, 'EUR').components.netSpendInWindow).toEqual({
          amountMinor: 2000,
          currency: 'GBP',
        });
      });

      describe('with an exchange-rate table', () => {
        const rates = {
          GBP: [
            { from: '2020-01-01', rate: 1.1 },
            { from: ago(25).slice(0, 10), rate: 1.2 },
          ],
          USD: [{ from: ago(12).slice(0, 10), rate: 0.9 }],
        };
        const history = [
          aPurchaseCompleted({ total: pounds(100) }, { occurredAt: ago(30) }),
          aPurchaseCompleted({ total: pounds(100) }, { occurredAt: ago(20) }),
          aPurchaseCompleted({ total: usd(10.01) }, { occurredAt: ago(15) }),
          aPurchaseCompleted({ total: usd(100) }, { occurredAt: ago(10) }),
          aPurchaseRefunded({ amount: eur(5) }, { occurredAt: ago(8) }),
          aPurchaseCompleted({ total: money(1000, 'JPY') }, { occurredAt: ago(5) }),
        ];

        it('converts each purchase and refund at the rate of its own day and lists what has no rate', () => {
          const result = loyaltyScore(fold(loyaltyProjection, history), AS_OF, 'EUR', rates);
          // 100 GBP at 1.1 + 100 GBP at 1.2 + 100 USD at 0.9 - 5 EUR; the first dollars predate USD's first rate
          expect(result.components.netSpendInWindow).toEqual({
            amountMinor: 11000 + 12000 + 9000 - 500,
            currency: 'EUR',
          });
          expect(result.components.monetaryBasis).toEqual({
            rule: 'exchange-rates',
            currency: 'EUR',
            leftOut: [
              { currency: 'JPY', purchases: 1, refunds: 0 },
              { currency: 'USD', purchases: 1, refunds: 0 },
            ],
          });
          const [gbp1, gbp2, usd1, usd2, refund, jpy] = history.map((event) => event.eventId);
          expect(result.contributingEvents).toEqual([gbp1, gbp2, usd1, usd2, jpy, refund]);
        });

        it('as of a past instant converts exactly as then', () => {
          const result = loyaltyScore(fold(loyaltyProjection, history), ago(18), 'EUR', rates);
          expect(result.components.netSpendInWindow).toEqual({ amountMinor: 23000, currency: 'EUR' });
          const asked = loyaltyAsOf(fold(loyaltyProjection, history), ago(18), 'EUR', ['profiling'], rates);
          expect(asked).toEqual(result);
        });
      });

      it('treats a negative net spend as no spend', () => {
        const result = scoreOf([
          aPurchaseCompleted({ total: eur(10) }, { occurredAt: ago(400) }),
          aPurchaseRefunded({ amount: eur(10) }, { occurredAt: ago(10) }),
        ]);
        expect(result.components.netSpendInWindow).toEqual({ amountMinor: -1000, currency: 'EUR' });
        expect(result.components.monetary).toBe(0);
      });
    });

    describe('penalty, clamp and tiers', () => {
      it('caps the penalty at 30 for open complaints and 10 for complaints filed in the window', () => {
        const bought = purchases(1, 0);
        const open = ['K-1', 'K-2', 'K-3', 'K-4'].map((complaintId, index) =>
          aComplaintFiled({ complaintId }, { occurredAt: ago(10 + index) }),
        );
        const closed = ['K-5', 'K-6'].flatMap((complaintId) => [
          aComplaintFiled({ complaintId }, { occurredAt: ago(50) }),
          aComplaintResolved({ complaintId }, { occurredAt: ago(40) }),
        ]);
        const result = scoreOf([...bought, ...open, ...closed]);
        expect(result.components).toMatchObject({
          openComplaints: 4,
          complaintsFiledInWindow: 6,
          penalty: 40,
        });
        // raw = round(100 * (0.35 + 0.25 * ln 2 / ln 13 + 0.25 * ln 101 / ln 1001 + 0.075)) = round(65.9) = 66
        expect(result.score).toBe(66 - 40);
        expect(result.tier).toBe('bronze');
      });

      it('never scores below 0', () => {
        const result = scoreOf([
          aSurveyAnswered({ kind: 'nps', score: 0 }, { occurredAt: ago(5) }),
          aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: ago(3) }),
        ]);
        expect(result.components).toMatchObject({ satisfaction: 0, penalty: 12 });
        expect(result.score).toBe(0);
        expect(result.tier).toBe('bronze');
      });

      it('scores a perfect customer 100', () => {
        const result = scoreOf([
          ...purchases(12, 0),
          aSurveyAnswered({ kind: 'nps', score: 10 }, { occurredAt: ago(1) }),
        ]);
        expect(result.components).toMatchObject({ recency: 1, frequency: 1, monetary: 1, satisfaction: 1 });
        expect(result.score).toBe(100);
        expect(result.tier).toBe('gold');
      });

      // twelve purchases of EUR 100, the last 180 days ago: r = 0.25, f = 1, m = 1; raw = 58.75 + 15s
      it.each<[string, number, number, number, number, string]>([
        // label, nps score, open complaints filed long ago, open complaints filed in the window, score, tier
        ['39 is bronze', 8, 2, 1, 39, 'bronze'], // round(58.75 + 12) = 71; 71 - 30 - 2 = 39
        ['40 is silver', 10, 1, 2, 40, 'silver'], // round(58.75 + 15) = 74; 74 - 30 - 4 = 40
        ['69 is silver', 7, 0, 0, 69, 'silver'], // round(58.75 + 10.5) = round(69.25) = 69
        ['71 is gold', 8, 0, 0, 71, 'gold'], // round(58.75 + 12) = round(70.75) = 71
      ])('tiers: %s', (_, npsScore, openLongAgo, openInWindow, expected, tier) => {
        const bought = purchases(12, 180);
        const survey = aSurveyAnswered({ kind: 'nps', score: npsScore }, { occurredAt: ago(1) });
        const complaints = [
          ...Array.from({ length: openLongAgo }, (_, index) =>
            aComplaintFiled({ complaintId: `K-old-${index}` }, { occurredAt: ago(400 + index) }),
          ),
          ...Array.from({ length: openInWindow }, (_, index) =>
            aComplaintFiled({ complaintId: `K-new-${index}` }, { occurredAt: ago(100 + index) }),
          ),
        ];
        const result = scoreOf([...bought, survey, ...complaints]);
        expect(result.components).toMatchObject({
          recency: 0.25,
          frequency: 1,
          monetary: 1,
          satisfaction: npsScore / 10,
          openComplaints: openLongAgo + openInWindow,
          complaintsFiledInWindow: openInWindow,
        });
        expect(result.score).toBe(expected);
        expect(result.tier).toBe(tier);
      });

      it('tiers: exactly 70 is gold', () => {
        // a perfect 100 with three open complaints filed long ago: 100 - 30 = 70
        const result = scoreOf([
          ...purchases(12, 0),
          aSurveyAnswered({ kind: 'nps', score: 10 }, { occurredAt: ago(1) }),
          ...['K-1', 'K-2', 'K-3'].map((complaintId) =>
            aComplaintFiled({ complaintId }, { occurredAt: ago(400) }),
          ),
        ]);
        expect(result.components).toMatchObject({
          openComplaints: 3,
          complaintsFiledInWindow: 0,
          penalty: 30,
        });
        expect(result.score).toBe(70);
        expect(result.tier).toBe('gold');
      });
    });

    it('does not change the stored facts it reads', () => {
      const facts = fold(loyaltyProjection, [
        aPurchaseCompleted({}, { occurredAt: ago(10) }),
        aComplaintFiled({}, { occurredAt: ago(5) }),
      ]) as LoyaltyFacts;
      const before = copyOf(facts);
      loyaltyScore(facts, AS_OF, 'EUR');
      expect(facts).toEqual(before);
    });
  });
});
