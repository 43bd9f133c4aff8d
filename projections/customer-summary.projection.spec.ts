import {
  aComplaintFiled,
  aComplaintResolved,
  aConsentGranted,
  aConsentWithdrawn,
  aContactDetailsChanged,
  aCustomerErased,
  aCustomerRegistered,
  anEvent,
  aProductBrowsed,
  aPurchaseCommitted,
  aPurchaseCompleted,
  aPurchaseRefunded,
  aSurveyAnswered,
  copyOf,
  eur,
  EVENT_TYPES,
  fold,
  projectionSpec,
  redelivered,
  STORED_PII,
  usd,
} from '../test/fixtures/projected-events';
import { money } from '../src/domain/money';
import { CustomerEventType } from '../src/domain/customer-events';
import { CustomerSummary, customerSummaryProjection } from './customer-summary.projection';
import { ProjectedEvent } from './projection';

const { given } = projectionSpec(customerSummaryProjection);

const T0 = '2026-01-05T09:00:00.000Z';
const T1 = '2026-02-10T12:30:00.000Z';
const T2 = '2026-03-15T18:45:00.000Z';
const T3 = '2026-04-20T07:15:00.000Z';

/** A summary with nothing in it but what the test says. */
function summary(overrides: Partial<CustomerSummary> & Pick<CustomerSummary, 'position'>): CustomerSummary {
  return {
    customerId: 'c-ada',
    registered: false,
    erased: false,
    consents: {},
    firstSeenAt: T0,
    lastSeenAt: T0,
    eventCount: 1,
    purchaseCount: 0,
    netSpendMinor: {},
    purchasesByCurrency: {},
    complaintsFiled: 0,
    openComplaints: [],
    ...overrides,
  };
}

describe('customer summary projection', () => {
  it('routes every event to the document of its customer', () => {
    expect(customerSummaryProjection.name).toBe('customer-summary');
    for (const type of EVENT_TYPES) {
      expect(customerSummaryProjection.documentId(anEvent(type, {}, { customerId: 'c-77' }))).toBe('c-77');
    }
  });

  describe('registration and contact details', () => {
    it('registers a customer with the stored (encrypted) personal data', () => {
      const registered = aCustomerRegistered({}, { occurredAt: T0 });
      given(registered).then(
        summary({
          position: registered.position,
          registered: true,
          name: STORED_PII.name,
          email: STORED_PII.email,
          phone: STORED_PII.phone,
          country: 'GB',
          source: 'web-signup',
        }),
      );
    });

    it('keeps an unregistered profile for touchpoints that come before the registration', () => {
      const browsed = aProductBrowsed({}, { occurredAt: T0 });
      given(browsed).then(summary({ position: browsed.position }));

      const registered = aCustomerRegistered({ phone: undefined, source: undefined }, { occurredAt: T1 });
      given(browsed)
        .when(registered)
        .then(
          summary({
            position: registered.position,
            registered: true,
            name: STORED_PII.name,
            email: STORED_PII.email,
            country: 'GB',
            lastSeenAt: T1,
            eventCount: 2,
          }),
        );
    });

    it('changes only the contact details a change names', () => {
      const registered = aCustomerRegistered({}, { occurredAt: T0 });
      const newEmail = aContactDetailsChanged({ email: STORED_PII.newEmail }, { occurredAt: T1 });
      const newNameAndPhone = aContactDetailsChanged(
        { name: STORED_PII.newName, email: undefined, phone: STORED_PII.newPhone },
        { occurredAt: T2 },
      );

      given(registered)
        .when(newEmail)
        .thenMatches({ name: STORED_PII.name, email: STORED_PII.newEmail, phone: STORED_PII.phone });
      given(registered)
        .when(newEmail, newNameAndPhone)
        .then(
          summary({
            position: newNameAndPhone.position,
            registered: true,
            name: STORED_PII.newName,
            email: STORED_PII.newEmail,
            phone: STORED_PII.newPhone,
            country: 'GB',
            source: 'web-signup',
            lastSeenAt: T2,
            eventCount: 3,
          }),
        );
    });
  });

  describe('consents', () => {
    it('keeps the latest decision per purpose with its instant and legal basis', () => {
      const marketing = aConsentGranted({ purpose: 'marketing', legalBasis: 'consent' }, { occurredAt: T0 });
      const analytics = aConsentGranted(
        { purpose: 'analytics', legalBasis: 'legitimate-interest' },
        { occurredAt: T1 },
      );
      const withdrawn = aConsentWithdrawn({ purpose: 'marketing' }, { occurredAt: T2 });

      given(marketing, analytics)
        .when(withdrawn)
        .then(
          summary({
            position: withdrawn.position,
            consents: {
              marketing: { granted: false, at: T2, legalBasis: undefined },
              analytics: { granted: true, at: T1, legalBasis: 'legitimate-interest' },
            },
            lastSeenAt: T2,
            eventCount: 3,
          }),
        );
    });

    it('records a consent granted again after a withdrawal', () => {
      const withdrawn = aConsentWithdrawn({ purpose: 'profiling' }, { occurredAt: T0 });
      const granted = aConsentGranted({ purpose: 'profiling', legalBasis: 'consent' }, { occurredAt: T1 });
      expect(given(withdrawn).when(granted).doc()?.consents).toEqual({
        profiling: { granted: true, at: T1, legalBasis: 'consent' },
      });
    });
  });

  describe('purchases and refunds', () => {
    it('counts completed purchases, per currency too, and keeps net spend per currency in minor units', () => {
      const first = aPurchaseCompleted({ orderId: 'A-1', total: eur(120.5) }, { occurredAt: T0 });
      const second = aPurchaseCompleted({ orderId: 'A-2', total: eur(10) }, { occurredAt: T1 });
      const dollars = aPurchaseCompleted({ orderId: 'U-1', total: usd(15.99) }, { occurredAt: T1 });
      const yen = aPurchaseCompleted({ orderId: 'J-1', total: money(1200, 'JPY') }, { occurredAt: T1 });
      const refund = aPurchaseRefunded({ orderId: 'A-1', amount: eur(20.55) }, { occurredAt: T2 });

      given(first, second, dollars, yen)
        .when(refund)
        .then(
          summary({
            position: refund.position,
            lastSeenAt: T2,
            eventCount: 5,
            purchaseCount: 4,
            netSpendMinor: { EUR: 12050 + 1000 - 2055, USD: 1599, JPY: 1200 },
            purchasesByCurrency: { EUR: 2, USD: 1, JPY: 1 },
          }),
        );
    });

    it('does not count commits, browses or refunds as purchases', () => {
      const doc = given(
        aProductBrowsed(),
        aPurchaseCommitted(),
        aPurchaseRefunded({ amount: eur(5) }),
        aSurveyAnswered(),
      ).doc();
      expect(doc?.purchaseCount).toBe(0);
      expect(doc?.netSpendMinor).toEqual({ EUR: -500 });
      expect(doc?.purchasesByCurrency).toEqual({});
      expect(doc?.eventCount).toBe(4);
    });

    it('lets a full refund bring net spend back to zero', () => {
      const doc = given(
        aPurchaseCompleted({ total: eur(120.5) }),
        aPurchaseRefunded({ amount: eur(100) }),
        aPurchaseRefunded({ amount: eur(20.5) }),
      ).doc();
      expect(doc?.netSpendMinor).toEqual({ EUR: 0 });
      expect(doc?.purchaseCount).toBe(1);
    });
  });

  describe('complaints', () => {
    it('adds filed complaints to the open ones and removes them on resolution', () => {
      const k1 = aComplaintFiled(
        { complaintId: 'K-1', severity: 'high', category: 'delivery', orderId: 'A-17' },
        { occurredAt: T0 },
      );
      const k2 = aComplaintFiled(
        { complaintId: 'K-2', severity: 'low', category: undefined, orderId: undefined },
        { occurredAt: T1 },
      );
      const resolved = aComplaintResolved({ complaintId: 'K-1' }, { occurredAt: T2 });

      given(k1, k2).thenMatches({
        complaintsFiled: 2,
        openComplaints: [
          { complaintId: 'K-1', severity: 'high', category: 'delivery', orderId: 'A-17', filedAt: T0 },
          { complaintId: 'K-2', severity: 'low', filedAt: T1 },
        ],
      });
      given(k1, k2)
        .when(resolved)
        .then(
          summary({
            position: resolved.position,
            lastSeenAt: T2,
            eventCount: 3,
            complaintsFiled: 2,
            openComplaints: [
              { complaintId: 'K-2', severity: 'low', category: undefined, orderId: undefined, filedAt: T1 },
            ],
          }),
        );
    });

    it('keeps no description or resolution text (personal data) in open complaints', () => {
      const doc = given(
        aComplaintFiled({ complaintId: 'K-1' }),
        aComplaintFiled({ complaintId: 'K-2' }),
      ).doc();
      expect(JSON.stringify(doc)).not.toContain('enc:');
    });

    it('ignores the resolution of a complaint it does not know', () => {
      const doc = given(
        aComplaintFiled({ complaintId: 'K-1' }),
        aComplaintResolved({ complaintId: 'K-9' }),
      ).doc();
      expect(doc?.openComplaints.map((open) => open.complaintId)).toEqual(['K-1']);
      expect(doc?.complaintsFiled).toBe(1);
    });
  });

  describe('first and last seen', () => {
    it('takes the earliest and latest occurredAt whatever order the events arrive in', () => {
      const events = [
        aProductBrowsed({}, { occurredAt: T2 }),
        aPurchaseCompleted({}, { occurredAt: T1 }),
        aSurveyAnswered({}, { occurredAt: T3 }),
        aConsentGranted({}, { occurredAt: T0 }),
        aProductBrowsed({}, { occurredAt: T1 }),
      ];
      given(...events).thenMatches({ firstSeenAt: T0, lastSeenAt: T3, eventCount: 5 });
      given(...events.slice(0, 2)).thenMatches({ firstSeenAt: T1, lastSeenAt: T2 });
      given(...events.slice(0, 1)).thenMatches({ firstSeenAt: T2, lastSeenAt: T2 });
    });

    it('sees the customer by occurredAt, not recordedAt', () => {
      const late = aProductBrowsed({}, { occurredAt: T0, recordedAt: T3 });
      given(late).thenMatches({ firstSeenAt: T0, lastSeenAt: T0 });
    });
  });

  describe('erasure', () => {
    it('drops name, email and phone and marks the profile erased, keeping the rest', () => {
      const registered = aCustomerRegistered({}, { occurredAt: T0 });
      const changed = aContactDetailsChanged(
        { name: STORED_PII.newName, email: STORED_PII.newEmail, phone: STORED_PII.newPhone },
        { occurredAt: T1 },
      );
      const consent = aConsentGranted({ purpose: 'marketing', legalBasis: 'consent' }, { occurredAt: T1 });
      const purchase = aPurchaseCompleted({ total: eur(120.5) }, { occurredAt: T1 });
      const complaint = aComplaintFiled(
        { complaintId: 'K-1', category: undefined, orderId: undefined },
        {
          occurredAt: T2,
        },
      );
      const erased = aCustomerErased({}, { occurredAt: T3 });

      const doc = given(registered, changed, consent, purchase, complaint).when(erased).doc();
      expect(doc).toEqual(
        summary({
          position: erased.position,
          registered: true,
          erased: true,
          country: 'GB',
          source: 'web-signup',
          consents: { marketing: { granted: true, at: T1, legalBasis: 'consent' } },
          lastSeenAt: T3,
          eventCount: 6,
          purchaseCount: 1,
          netSpendMinor: { EUR: 12050 },
          purchasesByCurrency: { EUR: 1 },
          complaintsFiled: 1,
          openComplaints: [{ complaintId: 'K-1', severity: 'high', filedAt: T2 }],
        }),
      );
      expect(doc?.name).toBeUndefined();
      expect(doc?.email).toBeUndefined();
      expect(doc?.phone).toBeUndefined();
      expect(JSON.stringify(doc)).not.toContain('enc:');
    });

    it('marks an unregistered profile erased too', () => {
      const browsed = aProductBrowsed({}, { occurredAt: T0 });
      const erased = aCustomerErased({}, { occurredAt: T1 });
      given(browsed)
        .when(erased)
        .then(summary({ position: erased.position, erased: true, lastSeenAt: T1, eventCount: 2 }));
    });
  });

  describe('run it twice, same result', () => {
    /** A history in which every event type has something to change. */
    const history = () => [
      aCustomerRegistered({}, { occurredAt: T1 }),
      aConsentGranted({ purpose: 'marketing' }, { occurredAt: T1 }),
      aPurchaseCompleted({ orderId: 'A-17' }, { occurredAt: T1 }),
      aComplaintFiled({ complaintId: 'K-1' }, { occurredAt: T1 }),
    ];
    const overrides: Partial<Record<CustomerEventType, Record<string, unknown>>> = {
      ComplaintFiled: { complaintId: 'K-2' },
    };

    it.each(EVENT_TYPES)('folding the same %s again leaves the summary unchanged', (type) => {
      const past = history();
      const event = anEvent(type, overrides[type] ?? {}, { occurredAt: T3 });
      const doc = fold(customerSummaryProjection, [...past, event]);
      expect(doc?.position).toBe(event.position);
      expect(doc?.eventCount).toBe(5);
      expect(doc?.lastSeenAt).toBe(T3);

      const before = copyOf(doc);
      const again = customerSummaryProjection.evolve(doc, redelivered(event));
      expect(again).toStrictEqual(doc);
      expect(again).toEqual(before);
    });

    it.each(EVENT_TYPES)('an older %s delivered after newer events changes nothing either', (type) => {
      const event = anEvent(type, overrides[type] ?? {}, { occurredAt: T3 });
      const doc = fold(customerSummaryProjection, [event, ...history()]);
      const before = copyOf(doc);
      expect(customerSummaryProjection.evolve(doc, redelivered(event))).toEqual(before);
    });

    it('counts a purchase once however often it is delivered', () => {
      const purchase = aPurchaseCompleted({ total: eur(120.5) });
      const events: ProjectedEvent[] = [purchase, redelivered(purchase), redelivered(purchase)];
      given(...events).thenMatches({ purchaseCount: 1, eventCount: 1, netSpendMinor: { EUR: 12050 } });
    });
  });
});
