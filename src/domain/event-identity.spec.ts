import { firstDifference } from './event-identity';

describe('firstDifference: an event id is bound to one body', () => {
  const stored = {
    type: 'PurchaseCompleted',
    data: {
      orderId: 'A-1',
      items: [{ sku: 'S', quantity: 2 }],
      total: { amountMinor: 100, currency: 'EUR' },
    },
    occurredAt: '2026-01-01T00:00:00.000Z',
    channel: 'web',
  };

  it('finds nothing when the retry asks for the same event, key order and absent optional fields aside', () => {
    expect(
      firstDifference(stored, {
        type: 'PurchaseCompleted',
        data: {
          total: { currency: 'EUR', amountMinor: 100 },
          orderId: 'A-1',
          items: [{ quantity: 2, sku: 'S' }],
        },
      }),
    ).toBeUndefined();
  });

  it('names the first differing field, depth first in key order', () => {
    expect(firstDifference(stored, { ...stored, type: 'PurchaseRefunded' })).toBe('type');
    expect(firstDifference(stored, { ...stored, data: { ...stored.data, orderId: 'A-2' } })).toBe(
      'data.orderId',
    );
    expect(
      firstDifference(stored, { ...stored, data: { ...stored.data, items: [{ sku: 'S', quantity: 3 }] } }),
    ).toBe('data.items[0].quantity');
    expect(firstDifference(stored, { ...stored, data: { ...stored.data, items: [] } })).toBe('data.items[0]');
    expect(firstDifference(stored, { ...stored, data: { ...stored.data, note: 'x' } })).toBe('data.note');
  });

  it('compares the recording fields only when the retry sent them, and skips fields that cannot be known', () => {
    expect(firstDifference(stored, { ...stored, channel: 'phone' })).toBe('channel');
    expect(firstDifference(stored, { ...stored, occurredAt: '2026-01-02T00:00:00.000Z' })).toBe('occurredAt');
    expect(firstDifference(stored, { type: stored.type, data: stored.data })).toBeUndefined();
    expect(
      firstDifference(
        { type: 'CustomerRegistered', data: { name: '[erased]', country: 'GB' } },
        { type: 'CustomerRegistered', data: { name: 'Ada', country: 'GB' } },
        ['name'],
      ),
    ).toBeUndefined();
  });
});
