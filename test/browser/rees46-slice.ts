import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A slice of the REES46 sample (e-commerce behaviour, Oct 2019; data by REES46 / Open CDP, free to use with
 * attribution), mapped to touchpoints as test/datasets/rees46.e2e-spec.ts maps it: view = browse,
 * cart = commit, purchase = purchase, prices in USD.
 */
export const REES46_FILE = join(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'data',
  'rees46-ecommerce-behavior',
  '2019-Oct_first17434.csv',
);

export interface Rees46Row {
  readonly line: number;
  readonly eventTime: string;
  readonly eventType: 'view' | 'cart' | 'purchase';
  readonly productId: string;
  readonly categoryId: string;
  readonly categoryCode: string;
  readonly price: string;
  readonly userId: string;
  readonly session: string;
}

export function readRees46(): Rees46Row[] {
  const [, ...lines] = readFileSync(REES46_FILE, 'utf8').trim().split('\n');
  return lines.map((text, index) => {
    const [eventTime, eventType, productId, categoryId, categoryCode, , price, userId, session] =
      text.split(',');
    return {
      line: index + 2,
      eventTime: eventTime!,
      eventType: eventType as Rees46Row['eventType'],
      productId: productId!,
      categoryId: categoryId!,
      categoryCode: categoryCode!,
      price: price!,
      userId: userId!,
      session: session!,
    };
  });
}

export const customerIdOf = (userId: string) => `rees46-${userId}`;

export function toTouchpoint(row: Rees46Row) {
  const occurredAt = row.eventTime.replace(' UTC', 'Z').replace(' ', 'T');
  const customerId = customerIdOf(row.userId);
  const item = { sku: row.productId, quantity: 1, unitPrice: { amount: Number(row.price), currency: 'USD' } };
  switch (row.eventType) {
    case 'view':
      return {
        customerId,
        type: 'browse',
        occurredAt,
        channel: 'web',
        data: {
          productId: row.productId,
          category: row.categoryCode || row.categoryId,
          sessionId: row.session,
        },
      };
    case 'cart':
      return {
        customerId,
        type: 'commit',
        occurredAt,
        channel: 'web',
        data: { cartId: row.session, items: [item] },
      };
    case 'purchase':
      return {
        customerId,
        type: 'purchase',
        occurredAt,
        channel: 'web',
        data: { orderId: `rees46-line-${row.line}`, items: [item] },
      };
  }
}

/** The buyer with the longest history: a repeat customer whose timeline takes more than one page. */
export function busiestRepeatBuyer(rows: readonly Rees46Row[]): string {
  const events = new Map<string, number>();
  const purchases = new Map<string, number>();
  for (const row of rows) {
    events.set(row.userId, (events.get(row.userId) ?? 0) + 1);
    if (row.eventType === 'purchase') purchases.set(row.userId, (purchases.get(row.userId) ?? 0) + 1);
  }
  const [best] = [...purchases.entries()]
    .filter(([, count]) => count >= 2)
    .map(([userId]) => userId)
    .sort((a, b) => events.get(b)! - events.get(a)! || a.localeCompare(b));
  if (!best) throw new Error('the sample has no repeat buyer');
  return best;
}
