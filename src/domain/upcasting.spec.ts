import { EVENT_CATALOG, PII_FIELDS, schemaVersionOf } from './customer-events';
import { EVENT_UPCASTERS, productBrowsedV1ToV2, upcastEvent, UPCASTERS } from './event-upcasters';
import { Upcaster, UpcasterChain } from './upcasting';

const browsedV1 = (data: Record<string, unknown>) => ({ type: 'ProductBrowsed', schemaVersion: 1, data });

describe('upcasting', () => {
  describe('ProductBrowsed v1 -> v2', () => {
    it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
      [
        'a product with its category, a campaign and a session',
        { productId: 'p-1', category: 'electronics.smartphone', campaign: 'autumn', sessionId: 's-1' },
        { product: { id: 'p-1', category: 'electronics.smartphone' }, campaign: 'autumn', sessionId: 's-1' },
      ],
      [
        'a page with its referrer',
        { url: 'https://shop.example/sale', referrer: 'https://search.example/' },
        { page: { url: 'https://shop.example/sale', referrer: 'https://search.example/' } },
      ],
      [
        'a category page: the category is the page’s when no product is named',
        { url: 'https://shop.example/garden', category: 'garden' },
        { page: { url: 'https://shop.example/garden', category: 'garden' } },
      ],
      [
        'a product seen on a page, reached from a referrer',
        {
          productId: 'p-2',
          url: 'https://shop.example/p-2',
          category: 'garden',
          referrer: 'https://r.example/',
        },
        {
          product: { id: 'p-2', category: 'garden' },
          page: { url: 'https://shop.example/p-2', referrer: 'https://r.example/' },
        },
      ],
      [
        'a field v1 did not know, kept as it is',
        { productId: 'p-3', giftIdea: true },
        { product: { id: 'p-3' }, giftIdea: true },
      ],
      ['data retention removed', {}, {}],
    ])('moves %s', (_, v1, v2) => {
      expect(upcastEvent(browsedV1(v1))).toEqual({ type: 'ProductBrowsed', schemaVersion: 2, data: v2 });
    });

    it('keeps everything else of the event as stored (ids, metadata, hashes) and never changes the stored object', () => {
      const stored = {
        ...browsedV1({ productId: 'p-1' }),
        eventId: 'e-1',
        position: 7,
        hash: 'ab'.repeat(32),
        metadata: { actor: 'a' },
      };
      const frozen = JSON.stringify(stored);
      const upcast = upcastEvent(stored);
      expect(upcast).toEqual({ ...stored, schemaVersion: 2, data: { product: { id: 'p-1' } } });
      expect(JSON.stringify(stored)).toBe(frozen);
    });

    it('declares no personal data: the fields it moves are all plain text', () => {
      expect(PII_FIELDS.ProductBrowsed).toEqual([]);
    });
  });

  describe('the ledger’s chain', () => {
    it('writes ProductBrowsed in v2 and every other type in v1, and has an upcaster for every older version', () => {
      expect(schemaVersionOf('ProductBrowsed')).toBe(2);
      expect(schemaVersionOf('PurchaseCompleted')).toBe(1);
      expect(() => EVENT_UPCASTERS.assertComplete(Object.keys(EVENT_CATALOG))).not.toThrow();
      expect(UPCASTERS).toContain(productBrowsedV1ToV2);
    });

    it('returns the very same event when there is nothing to do', () => {
      const current = { type: 'ProductBrowsed', schemaVersion: 2, data: { product: { id: 'p-1' } } };
      const otherType = { type: 'PurchaseCompleted', schemaVersion: 1, data: { orderId: 'o-1' } };
      const accessLog = { type: 'PersonalDataRead', schemaVersion: 1, data: {} };
      expect(upcastEvent(current)).toBe(current);
      expect(upcastEvent(otherType)).toBe(otherType);
      expect(upcastEvent(accessLog)).toBe(accessLog);
      expect(upcastEvent(upcastEvent(browsedV1({ url: 'https://x.example/' })))).toEqual(
        upcastEvent(browsedV1({ url: 'https://x.example/' })),
      );
    });

    it.each<[string, { schemaVersion: number; data: unknown }]>([
      ['a newer version than this code knows', { schemaVersion: 3, data: { product: { id: 'p' } } }],
      ['no version', { schemaVersion: undefined as unknown as number, data: { productId: 'p' } }],
      ['version 0', { schemaVersion: 0, data: { productId: 'p' } }],
      ['a fractional version', { schemaVersion: 1.5, data: { productId: 'p' } }],
      ['data that is no object', { schemaVersion: 1, data: ['p'] }],
    ])('leaves %s as stored, for the event guard to refuse', (_, fields) => {
      const event = { type: 'ProductBrowsed', ...fields } as Parameters<typeof upcastEvent>[0];
      expect(upcastEvent(event)).toBe(event);
    });
  });

  describe('a chain of versions (a test-only catalog: Greeted v1 -> v2 -> v3)', () => {
    // v1 { text }, v2 { message: { text } }, v3 { message: { text, language } }
    const v1ToV2: Upcaster = {
      type: 'Greeted',
      fromVersion: 1,
      upcast: ({ text, ...rest }) => ({ message: { text }, ...rest }),
    };
    const v2ToV3: Upcaster = {
      type: 'Greeted',
      fromVersion: 2,
      upcast: (data) => ({ ...data, message: { ...(data.message as object), language: 'en' } }),
    };
    const versions: Record<string, number> = { Greeted: 3 };
    const chain = new UpcasterChain([v2ToV3, v1ToV2], (type) => versions[type] ?? 1);

    it('takes a v1 event through every step to v3, and a v2 event through the last one', () => {
      expect(chain.upcast({ type: 'Greeted', schemaVersion: 1, data: { text: 'hi', to: 'c-1' } })).toEqual({
        type: 'Greeted',
        schemaVersion: 3,
        data: { message: { text: 'hi', language: 'en' }, to: 'c-1' },
      });
      expect(chain.upcast({ type: 'Greeted', schemaVersion: 2, data: { message: { text: 'hi' } } })).toEqual({
        type: 'Greeted',
        schemaVersion: 3,
        data: { message: { text: 'hi', language: 'en' } },
      });
      expect(() => chain.assertComplete(['Greeted', 'Waved'])).not.toThrow();
    });

    it('refuses a gap, two upcasters for one version and an upcaster at or beyond the current version', () => {
      expect(() =>
        new UpcasterChain([v2ToV3], (type) => versions[type] ?? 1).assertComplete(['Greeted']),
      ).toThrow('Greeted is written in v3 but no upcaster turns v1 into v2');
      expect(() => new UpcasterChain([v1ToV2, v1ToV2], (type) => versions[type] ?? 1)).toThrow(
        'two upcasters for Greeted v1',
      );
      expect(() => new UpcasterChain([{ ...v2ToV3, fromVersion: 3 }], () => 3)).toThrow(
        'upcaster Greeted v3 -> v4: Greeted is written in v3, so upcasters run from v1 to v2',
      );
      expect(() => new UpcasterChain([v1ToV2], () => 1)).toThrow(
        'upcaster Greeted v1 -> v2: Greeted is written in v1',
      );
    });
  });
});
