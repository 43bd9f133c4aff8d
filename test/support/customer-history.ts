import { v7 as uuidv7 } from 'uuid';
import { EventStore, NewEvent } from '../../src/ports/event-store.port';

/**
 * Appends a deterministic mixed history (browses, commits, purchases, refunds, surveys, complaints and their
 * resolutions) for `customers` customers, `perCustomer` events each, through the store port.
 */
export async function appendHistory(
  store: EventStore,
  customers: number,
  perCustomer: number,
  batch = 50,
  customerId: (index: number) => string = (index) => `h${index}`,
): Promise<number> {
  let appended = 0;
  for (let c = 0; c < customers; c++) {
    const events: NewEvent[] = [];
    let openComplaint: string | undefined;
    for (let i = 0; i < perCustomer; i++) {
      const occurredAt = new Date(Date.UTC(2025, 0, 1) + (c * 7 + i) * 3_600_000 * 5).toISOString();
      const kind = (c + i) % 10;
      const [type, data] =
        kind < 4
          ? ['ProductBrowsed', { productId: `p-${i % 97}`, category: 'garden' }]
          : kind === 4
            ? ['PurchaseCommitted', { cartId: `cart-${c}-${i}` }]
            : kind < 7
              ? [
                  'PurchaseCompleted',
                  {
                    orderId: `o-${c}-${i}`,
                    total: { amountMinor: 1000 + ((c * 31 + i * 17) % 9000), currency: 'EUR' },
                  },
                ]
              : kind === 7
                ? ['SurveyAnswered', { kind: 'nps', score: (c + i) % 11 }]
                : kind === 8 && !openComplaint
                  ? ['ComplaintFiled', { complaintId: (openComplaint = `k-${c}-${i}`), severity: 'medium' }]
                  : openComplaint
                    ? ['ComplaintResolved', { complaintId: openComplaint, satisfied: true }]
                    : [
                        'PurchaseRefunded',
                        { orderId: `o-${c}-${i - 1}`, amount: { amountMinor: 500, currency: 'EUR' } },
                      ];
      if (type === 'ComplaintResolved') openComplaint = undefined;
      events.push({
        eventId: uuidv7(),
        type,
        schemaVersion: 1,
        data,
        metadata: { occurredAt, recordedAt: occurredAt, actor: 'test' },
      });
    }
    for (let start = 0; start < events.length; start += batch) {
      await store.append([
        {
          streamId: `customer-${customerId(c)}`,
          expectedRevision: 'any',
          events: events.slice(start, start + batch),
        },
      ]);
      appended += Math.min(batch, events.length - start);
    }
  }
  return appended;
}
