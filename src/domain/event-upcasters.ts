import {
  BrowsedPage,
  BrowsedProduct,
  EVENT_CATALOG,
  ProductBrowsed,
  schemaVersionOf,
} from './customer-events';
import { Upcaster, UpcasterChain, VersionedEvent } from './upcasting';

/** ProductBrowsed as schema v1 stored it, flat (the ledger wrote it until ProductBrowsed v2). */
export interface ProductBrowsedV1Data {
  readonly url?: string;
  readonly productId?: string;
  readonly category?: string;
  readonly referrer?: string;
  readonly campaign?: string;
  readonly sessionId?: string;
}

/**
 * ProductBrowsed v1 -> v2, shaped like the Segment e-commerce spec's Product Viewed: the product id goes to
 * `product`, the url and referrer to `page`, and the category to the product when one is named, to the page
 * otherwise (a category page). Nothing is dropped: fields v1 did not know are kept as they are.
 */
export const productBrowsedV1ToV2: Upcaster = {
  type: 'ProductBrowsed',
  fromVersion: 1,
  upcast(stored) {
    const { url, productId, category, referrer, ...rest } = stored as ProductBrowsedV1Data &
      Record<string, unknown>;
    const product: Partial<BrowsedProduct> | undefined =
      productId === undefined ? undefined : { id: productId, ...(category !== undefined && { category }) };
    const page: BrowsedPage = {
      ...(url !== undefined && { url }),
      ...(referrer !== undefined && { referrer }),
      ...(product === undefined && category !== undefined && { category }),
    };
    const data: Record<string, unknown> & Partial<ProductBrowsed['data']> = {
      ...(product && { product: product as BrowsedProduct }),
      ...(Object.keys(page).length > 0 && { page }),
      ...rest,
    };
    return data;
  },
};

/**
 * Every upcaster the ledger ships, in no particular order. Adding the next schema version of a type: raise its
 * catalog entry's `schemaVersion`, change its data type and shape to the new version, and add the upcaster from
 * the previous version here (docs/architecture.md, "Evolving an event's schema").
 */
export const UPCASTERS: readonly Upcaster[] = [productBrowsedV1ToV2];

/** The ledger's upcasters, checked complete for the catalog when this module loads. */
export const EVENT_UPCASTERS = new UpcasterChain(UPCASTERS, schemaVersionOf);
EVENT_UPCASTERS.assertComplete(Object.keys(EVENT_CATALOG));

/** A stored event in its type's current schema version (see UpcasterChain.upcast). */
export function upcastEvent<Event extends VersionedEvent>(event: Event): Event {
  return EVENT_UPCASTERS.upcast(event);
}
