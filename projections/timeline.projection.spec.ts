import {
  aComplaintFiled,
  aComplaintResolved,
  aCustomerContacted,
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
  DEFAULT_DATA,
  eur,
  EVENT_TYPES,
  fold,
  projectionSpec,
  redelivered,
  STORED_PII,
  usd,
} from '../test/fixtures/projected-events';
import { money } from '../src/domain/money';
import { ProjectedEvent } from './projection';
import { summarize, TimelineEntry, timelineProjection } from './timeline.projection';

const { given } = projectionSpec(timelineProjection);

/** The summary the timeline shows for one event. */
const summaryOf = (event: ProjectedEvent) => (fold(timelineProjection, [event]) as TimelineEntry).summary;

describe('timeline projection', () => {
  it('is declared as a document-per-event read model keyed by event id', () => {
    expect(timelineProjection.name).toBe('timeline');
    expect(timelineProjection.documentPerEvent).toBe(true);
    const event = aPurchaseCompleted({}, { eventId: 'evt-purchase-1' });
    expect(timelineProjection.documentId(event)).toBe('evt-purchase-1');
  });

  it.each(EVENT_TYPES)('makes one entry per %s with its envelope, summary and stored data', (type) => {
    const event = anEvent(
      type,
      {},
      {
        eventId: `evt-${type}`,
        customerId: 'c-42',
        position: 9_000 + EVENT_TYPES.indexOf(type),
        occurredAt: '2026-03-01T08:30:00.000Z',
        recordedAt: '2026-03-02T09:00:00.000Z',
        actor: 'api-key:rep-7',
        channel: 'store',
      },
    );
    given(event).then({
      entryId: `evt-${type}`,
      customerId: 'c-42',
      type,
      occurredAt: '2026-03-01T08:30:00.000Z',
      recordedAt: '2026-03-02T09:00:00.000Z',
      position: 9_000 + EVENT_TYPES.indexOf(type),
      channel: 'store',
      actor: 'api-key:rep-7',
      summary: summarize(event),
      details: DEFAULT_DATA[type] as unknown as Record<string, unknown>,
    });
  });

  it('gives every event a document of its own, so a history makes as many entries as events', () => {
    const history = [aCustomerRegistered(), aProductBrowsed(), aPurchaseCompleted(), aPurchaseCompleted()];
    const ids = history.map((event) => timelineProjection.documentId(event));
    expect(new Set(ids).size).toBe(4);
    expect(ids).toEqual(history.map((event) => event.eventId));
    expect(history.map((event) => fold(timelineProjection, [event])?.entryId)).toEqual(ids);
  });

  it('keeps an entry without a channel when the event has none', () => {
    const entry = fold(timelineProjection, [aProductBrowsed({}, { channel: undefined })]);
    expect(entry?.channel).toBeUndefined();
  });

  describe('run it twice, same result', () => {
    it.each(EVENT_TYPES)('folding the same %s again leaves its entry unchanged', (type) => {
      const event = anEvent(type);
      const entry = fold(timelineProjection, [event]);
      expect(entry).not.toBeNull();
      expect(entry?.entryId).toBe(event.eventId);
      const before = copyOf(entry);
      const after = timelineProjection.evolve(entry, redelivered(event));
      expect(after).toStrictEqual(entry);
      expect(after).toEqual(before);
    });

    it('does not let a different event rewrite an existing entry', () => {
      const entry = fold(timelineProjection, [aPurchaseCompleted({ orderId: 'A-1' })]);
      const copy = copyOf(entry);
      const after = timelineProjection.evolve(entry, aPurchaseRefunded({ orderId: 'A-1' }));
      expect(after).toBe(entry);
      expect(after).toStrictEqual(copy);
    });
  });

  describe('summaries', () => {
    it.each<[string, ProjectedEvent, string]>([
      ['a registration with country and source', aCustomerRegistered(), 'Registered in GB via web-signup'],
      [
        'a registration without country or source',
        aCustomerRegistered({ country: undefined, source: undefined }),
        'Registered',
      ],
      [
        'a registration with a source only',
        aCustomerRegistered({ country: undefined }),
        'Registered via web-signup',
      ],
      [
        'a contact change of one field',
        aContactDetailsChanged({ email: STORED_PII.newEmail }),
        'Changed contact details: email',
      ],
      [
        'a contact change of every field',
        aContactDetailsChanged({ name: STORED_PII.newName, phone: STORED_PII.newPhone }),
        'Changed contact details: name, email, phone',
      ],
      ['consent granted with a legal basis', aConsentGranted(), 'Granted consent for marketing (consent)'],
      [
        'consent granted without a legal basis',
        aConsentGranted({ purpose: 'analytics', legalBasis: undefined }),
        'Granted consent for analytics',
      ],
      ['consent withdrawn', aConsentWithdrawn({ purpose: 'profiling' }), 'Withdrew consent for profiling'],
      [
        'a product browse with category and campaign',
        aProductBrowsed(),
        'Browsed product p-1 in electronics.smartphone from campaign autumn-sale',
      ],
      [
        'a url browse',
        aProductBrowsed({
          product: undefined,
          campaign: undefined,
          page: { url: 'https://shop.example/sale' },
        }),
        'Browsed https://shop.example/sale',
      ],
      [
        'a product browse with name and price (ProductBrowsed v2)',
        aProductBrowsed({
          product: {
            id: 'p-1',
            name: 'Phone X',
            price: { amountMinor: 49_900, currency: 'EUR' },
            category: 'electronics.smartphone',
          },
          campaign: undefined,
        }),
        'Browsed product p-1 (Phone X) at EUR 499.00 in electronics.smartphone',
      ],
      [
        'a category page with a title',
        aProductBrowsed({
          product: undefined,
          campaign: undefined,
          page: { url: 'https://shop.example/garden', title: 'Garden', category: 'garden' },
        }),
        'Browsed https://shop.example/garden (Garden) in garden',
      ],
      [
        'a commit of a cart with items and value',
        aPurchaseCommitted(),
        'Committed to 2 items worth EUR 100.00, cart cart-9',
      ],
      [
        'a commit of an order without items or value',
        aPurchaseCommitted({ cartId: undefined, orderId: 'A-17', items: undefined, value: undefined }),
        'Committed to a purchase, order A-17',
      ],
      [
        'a commit of one item',
        aPurchaseCommitted({
          items: [{ sku: 'SKU-1', quantity: 1, unitPrice: eur(9.99) }],
          value: eur(9.99),
        }),
        'Committed to 1 item worth EUR 9.99, cart cart-9',
      ],
      ['a purchase with items', aPurchaseCompleted(), 'Purchased 3 items for EUR 120.50, order A-17'],
      [
        'a purchase without items',
        aPurchaseCompleted({ orderId: 'B-2', items: undefined, total: usd(15) }),
        'Purchased for USD 15.00, order B-2',
      ],
      [
        'a purchase in a currency without minor units',
        aPurchaseCompleted({ orderId: 'J-1', items: undefined, total: money(1200, 'JPY') }),
        'Purchased for JPY 1200, order J-1',
      ],
      ['a refund', aPurchaseRefunded(), 'Refunded EUR 20.50 on order A-17'],
      ['an NPS answer', aSurveyAnswered(), 'Answered NPS survey: 9 of 10'],
      ['a CSAT answer', aSurveyAnswered({ kind: 'csat', score: 4 }), 'Answered CSAT survey: 4 of 5'],
      ['a CES answer', aSurveyAnswered({ kind: 'ces', score: 2 }), 'Answered CES survey: 2 of 7'],
      ['a complaint with a category', aComplaintFiled(), 'Filed high complaint K-1 about delivery'],
      [
        'a complaint without a category',
        aComplaintFiled({ complaintId: 'K-2', severity: 'low', category: undefined }),
        'Filed low complaint K-2',
      ],
      ['a resolution, satisfied', aComplaintResolved(), 'Complaint K-1 resolved, customer satisfied'],
      [
        'an inbound call on the phone',
        aCustomerContacted({}, { channel: 'phone' }),
        'Contacted us by phone about delivery (4 min)',
      ],
      [
        'an outbound contact without topic or duration',
        aCustomerContacted(
          { direction: 'outbound', topic: undefined, durationSeconds: undefined },
          { channel: undefined },
        ),
        'Was contacted',
      ],
      [
        'a resolution, not satisfied',
        aComplaintResolved({ satisfied: false }),
        'Complaint K-1 resolved, customer not satisfied',
      ],
      [
        'a resolution, satisfaction unknown',
        aComplaintResolved({ satisfied: undefined }),
        'Complaint K-1 resolved',
      ],
      ['an erasure', aCustomerErased(), 'Personal data erased (request R-1)'],
    ])('summarises %s', (_, event, expected) => {
      expect(summaryOf(event)).toBe(expected);
    });
  });

  describe('personal data', () => {
    const withPii = [
      aCustomerRegistered(),
      aContactDetailsChanged({
        name: STORED_PII.newName,
        email: STORED_PII.newEmail,
        phone: STORED_PII.newPhone,
      }),
      aSurveyAnswered(),
      aComplaintFiled(),
      aComplaintResolved(),
    ];
    const storedValues = Object.values(STORED_PII);

    it.each(withPii.map((event) => [event.type, event] as const))(
      'keeps personal data of %s out of the summary',
      (_, event) => {
        const summary = summaryOf(event);
        expect(summary).not.toContain('enc:');
        for (const value of storedValues) expect(summary).not.toContain(value);
      },
    );

    it('keeps no plaintext personal data in summaries even when the stored value is not encrypted', () => {
      const plaintext = [
        aCustomerRegistered({ name: 'Ada Lovelace', email: 'ada@example.org', phone: '+44 20 7946 0958' }),
        aContactDetailsChanged({ name: 'Ada King', email: 'ada@new.example', phone: '+44 20 7946 0000' }),
        aSurveyAnswered({ comment: 'Ada loved it' }),
        aComplaintFiled({ description: 'Ada waited two weeks' }),
        aComplaintResolved({ resolution: 'Ada was refunded' }),
      ];
      for (const event of plaintext) {
        const summary = summaryOf(event);
        expect(summary).not.toMatch(/Ada|@|\+44/);
      }
    });

    it('keeps the stored, possibly encrypted, values in details', () => {
      expect(fold(timelineProjection, [aCustomerRegistered()])?.details).toEqual({
        name: STORED_PII.name,
        email: STORED_PII.email,
        phone: STORED_PII.phone,
        country: 'GB',
        source: 'web-signup',
      });
      expect(fold(timelineProjection, [aSurveyAnswered()])?.details).toEqual({
        surveyId: 'S-1',
        kind: 'nps',
        score: 9,
        comment: STORED_PII.comment,
        orderId: 'A-17',
      });
      expect(fold(timelineProjection, [aComplaintFiled()])?.details).toMatchObject({
        description: STORED_PII.description,
      });
      expect(fold(timelineProjection, [aComplaintResolved()])?.details).toMatchObject({
        resolution: STORED_PII.resolution,
      });
    });
  });
});
