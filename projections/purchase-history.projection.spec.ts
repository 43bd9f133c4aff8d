import {
  aConsentWithdrawn,
  anEvent,
  aProductBrowsed,
  aPurchaseCompleted,
  aPurchaseRefunded,
  copyOf,
  eur,
  EVENT_TYPES,
  fold,
  projectionSpec,
  redelivered,
  usd,
} from '../test/fixtures/projected-events';
import { purchaseHistoryProjection } from './purchase-history.projection';

const { given } = projectionSpec(purchaseHistoryProjection);

describe('purchase-history projection', () => {
  it('routes purchases, refunds and consent choices to the customer, and ignores every other event', () => {
    const routed = EVENT_TYPES.filter(
      (type) => purchaseHistoryProjection.documentId(anEvent(type, {}, { customerId: 'c-7' })) === 'c-7',
    );
    expect(routed).toEqual(['ConsentGranted', 'ConsentWithdrawn', 'PurchaseCompleted', 'PurchaseRefunded']);
    expect(purchaseHistoryProjection.documentId(aProductBrowsed())).toBeUndefined();
  });

  it('keeps every purchase and refund with its amount, currency and instant, and the consent history', () => {
    const first = aPurchaseCompleted({ total: eur(120.5) }, { occurredAt: '2026-01-05T10:00:00.000Z' });
    const second = aPurchaseCompleted(
      { orderId: 'A-18', total: usd(9.99) },
      { occurredAt: '2026-02-01T00:00:00.000Z' },
    );
    const refund = aPurchaseRefunded({ amount: eur(20.5) }, { occurredAt: '2026-02-03T00:00:00.000Z' });
    const withdrawn = aConsentWithdrawn({ purpose: 'profiling' }, { occurredAt: '2026-03-01T00:00:00.000Z' });

    given(first, second, refund)
      .when(withdrawn)
      .then({
        customerId: 'c-ada',
        position: withdrawn.position,
        purchases: [
          {
            eventId: first.eventId,
            at: '2026-01-05T10:00:00.000Z',
            amount: { amountMinor: 12050, currency: 'EUR' },
          },
          {
            eventId: second.eventId,
            at: '2026-02-01T00:00:00.000Z',
            amount: { amountMinor: 999, currency: 'USD' },
          },
        ],
        refunds: [
          {
            eventId: refund.eventId,
            at: '2026-02-03T00:00:00.000Z',
            amount: { amountMinor: 2050, currency: 'EUR' },
          },
        ],
        consents: [{ purpose: 'profiling', granted: false, at: '2026-03-01T00:00:00.000Z' }],
      });
  });

  describe('run it twice, same result', () => {
    it.each(EVENT_TYPES)('folding the same %s again leaves the document unchanged', (type) => {
      const past = [aPurchaseCompleted({ orderId: 'A-1' }), aPurchaseRefunded({ orderId: 'A-1' })];
      const event = anEvent(type);
      const doc = fold(purchaseHistoryProjection, [...past, event]);
      const before = copyOf(doc);
      // Redelivered as the runner folds it: an event the projection routes nowhere never reaches evolve.
      expect(fold(purchaseHistoryProjection, [...past, event, redelivered(event)])).toEqual(before);
    });

    it('counts a purchase once however often it is delivered', () => {
      const purchase = aPurchaseCompleted();
      const doc = fold(purchaseHistoryProjection, [purchase, redelivered(purchase), redelivered(purchase)]);
      expect(doc?.purchases).toHaveLength(1);
    });
  });
});
