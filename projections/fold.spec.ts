import {
  aCustomerErased,
  aCustomerMerged,
  aCustomerRegistered,
  aPurchaseCompleted,
  eur,
} from '../test/fixtures/projected-events';
import { foldEvents } from './fold';
import { ProjectedEvent, Projection } from './projection';

interface Purchases {
  readonly customerId: string;
  readonly orders: readonly string[];
}

/** One document per customer listing its orders; an erasure deletes it; order "BAD" makes evolve throw. */
const purchases: Projection<Purchases> = {
  name: 'purchases',
  version: 1,
  indexes: [],
  documentId: (event: ProjectedEvent) =>
    event.type === 'PurchaseCompleted' || event.type === 'CustomerErased' ? event.customerId : undefined,
  evolve: (doc, event) => {
    if (event.type === 'CustomerErased') return null;
    if (event.type !== 'PurchaseCompleted') return doc;
    if (event.data.orderId === 'BAD') throw new Error('cannot fold order BAD');
    return { customerId: event.customerId, orders: [...(doc?.orders ?? []), event.data.orderId] };
  },
};

const purchase = (customerId: string, orderId: string) =>
  aPurchaseCompleted({ orderId, total: eur(10) }, { customerId });

describe('foldEvents: the one fold of the read side', () => {
  it('routes each event by documentId, from the document as it stood, and ignores events routed nowhere', () => {
    const stood = new Map([['c-1', { customerId: 'c-1', orders: ['A-0'] }]]);

    const folded = foldEvents(
      purchases,
      [purchase('c-1', 'A-1'), aCustomerRegistered({}, { customerId: 'c-2' }), purchase('c-2', 'B-1')],
      (id) => stood.get(id) ?? null,
    );

    expect([...folded.documents]).toEqual([
      ['c-1', { customerId: 'c-1', orders: ['A-0', 'A-1'] }],
      ['c-2', { customerId: 'c-2', orders: ['B-1'] }],
    ]);
    expect(folded.folded).toBe(2);
  });

  it('keeps null for a document evolve deletes, and folds on from nothing after it', () => {
    const folded = foldEvents(purchases, [
      purchase('c-1', 'A-1'),
      aCustomerErased({}, { customerId: 'c-1' }),
      purchase('c-1', 'A-2'),
    ]);

    expect(folded.documents.get('c-1')).toEqual({ customerId: 'c-1', orders: ['A-2'] });
    expect(foldEvents(purchases, [aCustomerErased({}, { customerId: 'c-1' })]).documents).toEqual(
      new Map([['c-1', null]]),
    );
  });

  it('reports an event evolve throws on and leaves its document as it was before it', () => {
    const bad = purchase('c-1', 'BAD');

    const folded = foldEvents(purchases, [purchase('c-1', 'A-1'), bad, purchase('c-1', 'A-2')]);

    expect(folded.documents.get('c-1')).toEqual({ customerId: 'c-1', orders: ['A-1', 'A-2'] });
    expect(folded.failures).toEqual([
      { event: bad, error: new Error('cannot fold order BAD'), inMerge: false },
    ]);
  });

  it("derives a merge's survivor anew from every merged record's events and deletes the duplicate's document", () => {
    const survivorOwn = purchase('c-s', 'S-1');
    const duplicateOwn = purchase('c-d', 'D-1');
    const merge = aCustomerMerged({ duplicateId: 'c-d' }, { customerId: 'c-s' });
    // As eventsOfMergedRecords reads them: the duplicate's events as the survivor's, keeping their subjectId.
    const group = [survivorOwn, { ...duplicateOwn, customerId: 'c-s', subjectId: 'c-d' }, merge];
    const stood = new Map([
      ['c-s', { customerId: 'c-s', orders: ['S-1'] }],
      ['c-d', { customerId: 'c-d', orders: ['D-1'] }],
    ]);

    const folded = foldEvents(
      purchases,
      [merge, purchase('c-s', 'S-2')],
      (id) => stood.get(id) ?? null,
      new Map([[merge.position, group]]),
    );

    expect(folded.documents).toEqual(
      new Map<string, Purchases | null>([
        ['c-s', { customerId: 'c-s', orders: ['S-1', 'D-1', 'S-2'] }],
        ['c-d', null],
      ]),
    );
    expect(folded.folded).toBe(2);
  });
});
