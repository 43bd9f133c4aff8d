import { TouchpointType } from '../../domain/customer.decider';
import { FieldProblem } from '../../validation/request-validation';
import { FieldMap } from './field-map';

/** A touchpoint body in the API's terms (`POST /v1/touchpoints` data), before the ledger's validation. */
export interface MappedTouchpoint {
  readonly type: TouchpointType;
  readonly data: Record<string, unknown>;
}

/** What a message's `context` tells about where it happened (Segment common fields; sessionId as RudderStack sends it). */
export interface MessageContext {
  readonly pageUrl?: string;
  readonly pageReferrer?: string;
  readonly pageTitle?: string;
  readonly campaign?: string;
  readonly sessionId?: string;
}

type Properties = Readonly<Record<string, unknown>>;

/** Builds the touchpoint of one mapped event; structural problems (a product that is no object) go to `problems`. */
type TrackMapping = (
  properties: Properties,
  context: MessageContext,
  fields: FieldMap,
  problems: FieldProblem[],
) => MappedTouchpoint;

/** How a property becomes a data field: as sent, or as an id (numbers become text); required ones are named when absent. */
type Copy = readonly [field: string, property: string, how?: 'id' | 'required' | 'required id'];

/** An event whose properties copy one to one into a touchpoint's data. */
function copying(type: TouchpointType, copies: readonly Copy[]): TrackMapping {
  return (properties, _context, fields) => {
    const data: Record<string, unknown> = {};
    for (const [field, property, how] of copies) {
      const value = how?.endsWith('id') ? anId(properties[property]) : properties[property];
      put(data, fields, field, value, `properties.${property}`, how?.startsWith('required'));
    }
    return { type, data };
  };
}

const surveyAnswered = copying('survey', [
  ['surveyId', 'survey_id', 'id'],
  ['kind', 'kind', 'required'],
  ['score', 'score', 'required'],
  ['comment', 'comment'],
  ['orderId', 'order_id', 'id'],
]);

const complaintFiled = copying('complaint', [
  ['complaintId', 'complaint_id', 'required id'],
  ['severity', 'severity', 'required'],
  ['category', 'category'],
  ['description', 'description'],
  ['orderId', 'order_id', 'id'],
]);

const complaintResolved = copying('complaint-resolved', [
  ['complaintId', 'complaint_id', 'required id'],
  ['resolution', 'resolution'],
  ['satisfied', 'satisfied'],
]);

/**
 * Segment e-commerce (v2) events and the ledger's own survey and complaint events, by `event` name. The v1
 * names Segment still aliases (`Viewed Product`, `Completed Order`...) map the same way. Any other name is an
 * unmapped event (LEDGER_TRACKING_UNMAPPED).
 */
export const TRACK_EVENT_MAPPINGS: Readonly<Record<string, TrackMapping>> = {
  'Product Viewed': productViewed,
  'Viewed Product': productViewed,
  'Cart Viewed': cartViewed,
  'Viewed Cart': cartViewed,
  'Checkout Started': checkoutStarted,
  'Started Order': checkoutStarted,
  'Order Completed': orderCompleted,
  'Completed Order': orderCompleted,
  'Order Refunded': orderRefunded,
  'Refunded Order': orderRefunded,
  'Survey Answered': surveyAnswered,
  'Complaint Filed': complaintFiled,
  'Complaint Resolved': complaintResolved,
};

/** A `page` call: the page viewed is a browse touchpoint. */
export function pageViewed(
  message: { name?: unknown; category?: unknown; properties: Properties },
  context: MessageContext,
  fields: FieldMap,
): MappedTouchpoint {
  const { properties } = message;
  const data: Record<string, unknown> = {};
  putFirst(data, fields, 'url', [
    [properties.url, 'properties.url'],
    [context.pageUrl, 'context.page.url'],
  ]);
  putFirst(data, fields, 'referrer', [
    [properties.referrer, 'properties.referrer'],
    [context.pageReferrer, 'context.page.referrer'],
  ]);
  put(data, fields, 'category', message.category, 'category');
  putFirst(data, fields, 'title', [
    [properties.title, 'properties.title'],
    [context.pageTitle, 'context.page.title'],
    [message.name, 'name'],
  ]);
  put(data, fields, 'campaign', context.campaign, 'context.campaign.name');
  put(data, fields, 'sessionId', context.sessionId, 'context.sessionId');
  if (data.url === undefined) fields.from('data.url', 'properties.url');
  return { type: 'browse', data };
}

function productViewed(properties: Properties, context: MessageContext, fields: FieldMap): MappedTouchpoint {
  const data: Record<string, unknown> = {};
  const productField = properties.product_id !== undefined ? 'product_id' : 'sku';
  put(data, fields, 'productId', anId(properties[productField]), `properties.${productField}`);
  put(data, fields, 'productName', properties.name, 'properties.name');
  if (properties.price !== undefined && properties.price !== null) {
    data.price = { amount: properties.price, currency: properties.currency };
    fields
      .from('data.price', 'properties.price')
      .from('data.price.amount', 'properties.price')
      .from('data.price.currency', 'properties.currency');
  }
  put(data, fields, 'category', properties.category, 'properties.category');
  put(data, fields, 'title', context.pageTitle, 'context.page.title');
  putFirst(data, fields, 'url', [
    [properties.url, 'properties.url'],
    [context.pageUrl, 'context.page.url'],
  ]);
  put(data, fields, 'referrer', context.pageReferrer, 'context.page.referrer');
  put(data, fields, 'campaign', context.campaign, 'context.campaign.name');
  put(data, fields, 'sessionId', context.sessionId, 'context.sessionId');
  if (data.productId === undefined && data.url === undefined) {
    fields.from('data.productId', 'properties.product_id').from('data.url', 'properties.url');
  }
  return { type: 'browse', data };
}

function cartViewed(
  properties: Properties,
  _context: MessageContext,
  fields: FieldMap,
  problems: FieldProblem[],
): MappedTouchpoint {
  const data: Record<string, unknown> = {};
  put(data, fields, 'cartId', anId(properties.cart_id), 'properties.cart_id');
  if (data.cartId === undefined) fields.from('data.cartId', 'properties.cart_id');
  putItems(data, properties, fields, problems);
  return { type: 'commit', data };
}

function checkoutStarted(
  properties: Properties,
  _context: MessageContext,
  fields: FieldMap,
  problems: FieldProblem[],
): MappedTouchpoint {
  const data: Record<string, unknown> = {};
  put(data, fields, 'orderId', anId(properties.order_id), 'properties.order_id');
  put(data, fields, 'cartId', anId(properties.cart_id), 'properties.cart_id');
  if (data.orderId === undefined && data.cartId === undefined) {
    fields.from('data.cartId', 'properties.cart_id').from('data.orderId', 'properties.order_id');
  }
  putItems(data, properties, fields, problems);
  putMoney(data, properties, fields, 'value', ['value', 'revenue', 'total']);
  return { type: 'commit', data };
}

function orderCompleted(
  properties: Properties,
  _context: MessageContext,
  fields: FieldMap,
  problems: FieldProblem[],
): MappedTouchpoint {
  const data: Record<string, unknown> = {};
  put(data, fields, 'orderId', anId(properties.order_id), 'properties.order_id', true);
  putItems(data, properties, fields, problems);
  putMoney(data, properties, fields, 'total', ['total', 'revenue']);
  if (data.items === undefined && data.total === undefined) {
    fields.from('data.total', 'properties.total').from('data.items', 'properties.products');
  }
  return { type: 'purchase', data };
}

function orderRefunded(properties: Properties, _context: MessageContext, fields: FieldMap): MappedTouchpoint {
  const data: Record<string, unknown> = {};
  put(data, fields, 'orderId', anId(properties.order_id), 'properties.order_id', true);
  putMoney(data, properties, fields, 'amount', ['total', 'revenue']);
  if (data.amount === undefined) fields.from('data.amount', 'properties.total');
  put(data, fields, 'reason', properties.reason, 'properties.reason');
  return { type: 'refund', data };
}

/**
 * Sets a data field from a message field and records where it came from. A required field is recorded even
 * when absent, so that the ledger's "must be a string" names the message's field.
 */
function put(
  data: Record<string, unknown>,
  fields: FieldMap,
  field: string,
  value: unknown,
  messagePath: string,
  required = false,
): void {
  if (value !== undefined && value !== null) data[field] = value;
  if (data[field] !== undefined || required) fields.from(`data.${field}`, messagePath);
}

/** The first present value of several sources (a page's own property before the context's). */
function putFirst(
  data: Record<string, unknown>,
  fields: FieldMap,
  field: string,
  sources: readonly [value: unknown, messagePath: string][],
): void {
  const found = sources.find(([value]) => value !== undefined && value !== null);
  if (found) put(data, fields, field, found[0], found[1]);
}

/** Integer ids as strings: trackers often send database ids as numbers; nothing is lost in the conversion. */
function anId(value: unknown): unknown {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
}

/**
 * The first of the named decimal properties present, as money in `properties.currency`. The ledger checks the
 * amount against the currency's minor digits (too many decimals are refused, never rounded).
 */
function putMoney(
  data: Record<string, unknown>,
  properties: Properties,
  fields: FieldMap,
  field: string,
  candidates: readonly string[],
): void {
  const source = candidates.find((name) => properties[name] !== undefined && properties[name] !== null);
  if (!source) return;
  data[field] = { amount: properties[source], currency: properties.currency };
  fields
    .from(`data.${field}`, `properties.${source}`)
    .from(`data.${field}.amount`, `properties.${source}`)
    .from(`data.${field}.currency`, 'properties.currency');
}

/** `products` as line items: sku (else product_id), quantity (1 when absent), price in `properties.currency`. */
function putItems(
  data: Record<string, unknown>,
  properties: Properties,
  fields: FieldMap,
  problems: FieldProblem[],
): void {
  const products = properties.products;
  if (products === undefined || products === null) return;
  if (!Array.isArray(products)) {
    problems.push({ field: `${fields.prefix}properties.products`, message: 'must be an array of products' });
    return;
  }
  fields.from('data.items', 'properties.products');
  data.items = products.map((product: unknown, index) => {
    const at = `properties.products[${index}]`;
    if (typeof product !== 'object' || product === null || Array.isArray(product)) {
      problems.push({ field: `${fields.prefix}${at}`, message: 'must be an object' });
      return undefined;
    }
    const { sku, product_id: productId, quantity, price } = product as Record<string, unknown>;
    const skuField = sku !== undefined && sku !== null ? 'sku' : 'product_id';
    fields
      .from(`data.items[${index}]`, at)
      .from(`data.items[${index}].sku`, `${at}.${skuField}`)
      .from(`data.items[${index}].unitPrice`, `${at}.price`)
      .from(`data.items[${index}].unitPrice.amount`, `${at}.price`)
      .from(`data.items[${index}].unitPrice.currency`, 'properties.currency');
    return {
      sku: anId(skuField === 'sku' ? sku : productId),
      quantity: quantity ?? 1,
      unitPrice: { amount: price, currency: properties.currency },
    };
  });
}
