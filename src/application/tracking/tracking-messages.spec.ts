import 'reflect-metadata';
import { ConfigurationError, loadConfig } from '../../config/ledger-config';
import { FieldProblem } from '../../validation/request-validation';
import { FieldMap } from './field-map';
import { eventIdOfMessage, messageTime, parseTrackingRequest } from './tracking-messages';

const RECEIVED_AT = new Date('2026-05-01T12:00:00.000Z');
const options = { unmapped: 'refuse' as const, receivedAt: RECEIVED_AT };

describe('tracking messages', () => {
  describe('clock', () => {
    const time = (message: Record<string, unknown>, batchSentAt?: Date) => {
      const problems: FieldProblem[] = [];
      const result = messageTime(message, '', batchSentAt, RECEIVED_AT, problems);
      return { ...result, occurredAt: result.occurredAt.toISOString(), problems };
    };

    it('corrects the skew: receivedAt - (sentAt - originalTimestamp)', () => {
      expect(
        time({ originalTimestamp: '2030-01-01T00:00:00.000Z', sentAt: '2030-01-01T00:10:00.000Z' }),
      ).toEqual({
        occurredAt: '2026-05-01T11:50:00.000Z',
        fromServerClock: true,
        field: 'originalTimestamp',
        problems: [],
      });
      expect(
        time({ originalTimestamp: '2030-01-01T00:00:00.000Z' }, new Date('2030-01-01T00:00:30.000Z'))
          .occurredAt,
      ).toBe('2026-05-01T11:59:30.000Z');
    });

    it('lets an explicit timestamp win, then originalTimestamp alone, then receivedAt', () => {
      expect(
        time({
          timestamp: '2026-04-30T08:00:00+02:00',
          originalTimestamp: '2030-01-01T00:00:00Z',
          sentAt: '2030-01-01T00:10:00Z',
        }),
      ).toMatchObject({ occurredAt: '2026-04-30T06:00:00.000Z', fromServerClock: false, field: 'timestamp' });
      expect(time({ originalTimestamp: '2026-04-30T06:00:00Z' })).toMatchObject({
        occurredAt: '2026-04-30T06:00:00.000Z',
        fromServerClock: false,
      });
      expect(time({})).toMatchObject({ occurredAt: RECEIVED_AT.toISOString(), fromServerClock: true });
    });

    it('names a timestamp that is not ISO 8601 with a zone', () => {
      expect(time({ timestamp: '2026-04-30 06:00:00' }).problems.map((problem) => problem.field)).toEqual([
        'timestamp',
      ]);
    });
  });

  it('derives the same event id from the same message id, and another from another', () => {
    expect(eventIdOfMessage('m-1')).toBe(eventIdOfMessage('m-1'));
    expect(eventIdOfMessage('m-1')).not.toBe(eventIdOfMessage('m-2'));
    expect(eventIdOfMessage('m-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
  });

  it("names the ledger's fields in the message's terms, longest source first", () => {
    const fields = new FieldMap('batch[2].')
      .from('data.items', 'properties.products')
      .from('data.items[0].unitPrice.amount', 'properties.products[0].price');
    expect(fields.messagePath('data.items[0].unitPrice.amount')).toBe(
      'batch[2].properties.products[0].price',
    );
    expect(fields.messagePath('data.items[1].sku')).toBe('batch[2].properties.products[1].sku');
    expect(
      fields.problem({ field: 'data.items[0].unitPrice.amount', message: 'amount must be a number' }),
    ).toEqual({
      field: 'batch[2].properties.products[0].price',
      message: 'price must be a number',
    });
  });

  it('maps Order Completed products to line items in minor units, and keeps (or refuses, by the unmapped rule) one with too many decimals', () => {
    const message = (price: number) => ({
      type: 'track',
      userId: 'c-1',
      messageId: 'm-1',
      event: 'Order Completed',
      timestamp: '2026-04-30T06:00:00Z',
      properties: { order_id: 7, currency: 'EUR', products: [{ product_id: 9, price, quantity: 2 }] },
    });
    const { messages, problems } = parseTrackingRequest({ batch: [message(19.99)] }, 'batch', options);
    expect(problems).toEqual([]);
    expect(messages[0]).toMatchObject({
      kind: 'touchpoint',
      customerId: 'c-1',
      eventId: eventIdOfMessage('m-1'),
      touchpoint: {
        touchpoint: {
          type: 'purchase',
          data: {
            orderId: '7',
            items: [{ sku: '9', quantity: 2, unitPrice: { amountMinor: 1999, currency: 'EUR' } }],
            total: { amountMinor: 3998, currency: 'EUR' },
          },
        },
      },
    });
    const problem = {
      field: 'batch[0].properties.products[0].price',
      message: 'price has more decimals than EUR allows',
    };
    const tooPrecise = { batch: [message(19.999)] };
    expect(parseTrackingRequest(tooPrecise, 'batch', options).messages[0]).toEqual({
      kind: 'refused',
      index: 0,
      messageId: 'm-1',
      problems: [problem],
    });
    const keep = { ...options, unmapped: 'keep' as const };
    expect(parseTrackingRequest(tooPrecise, 'batch', keep).messages[0]).toMatchObject({
      kind: 'kept',
      customerId: 'c-1',
      event: 'Order Completed',
      properties: JSON.stringify(tooPrecise.batch[0]!.properties),
      notMapped: [problem],
    });
  });

  it('takes LEDGER_TRACKING_UNMAPPED keep (the default), refuse or skip, and refuses anything else at start', () => {
    const env = {
      DATA_DIR: '/tmp/tracking-messages-spec',
      LEDGER_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
    };
    expect(loadConfig(env).trackingUnmapped).toBe('keep');
    expect(loadConfig({ ...env, LEDGER_TRACKING_UNMAPPED: 'skip' }).trackingUnmapped).toBe('skip');
    expect(loadConfig({ ...env, LEDGER_TRACKING_UNMAPPED: 'refuse' }).trackingUnmapped).toBe('refuse');
    expect(() => loadConfig({ ...env, LEDGER_TRACKING_UNMAPPED: 'drop' })).toThrow(ConfigurationError);
    expect(() => loadConfig({ ...env, LEDGER_TRACKING_UNMAPPED: 'drop' })).toThrow(
      'LEDGER_TRACKING_UNMAPPED must be keep, refuse or skip',
    );
  });
});
