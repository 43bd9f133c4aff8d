import { IndexKey } from '../../src/ports/read-store.port';
import { FindQuery, ReadStore } from '../../src/ports/read-store.port';

interface Order {
  readonly id: string;
  readonly seq: number;
  readonly customer: string;
  readonly status: 'open' | 'paid' | 'cancelled';
  readonly amount: number;
  readonly placedAt: string;
  readonly paid: boolean;
  readonly address: { readonly city: string };
}

const order = (
  seq: number,
  customer: string,
  status: Order['status'],
  amount: number,
  paid: boolean,
  city: string,
): Order => ({
  id: `o${seq}`,
  seq,
  customer,
  status,
  amount,
  placedAt: `2024-01-0${seq}T10:00:00.000Z`,
  paid,
  address: { city },
});

/** Eight orders whose (status, amount), (amount, seq) and (address.city, seq) are all distinct. */
const ORDERS: readonly Order[] = [
  order(1, 'c1', 'open', 30, false, 'Lyon'),
  order(2, 'c2', 'paid', 50, true, 'Paris'),
  order(3, 'c1', 'paid', 30, true, 'Paris'),
  order(4, 'c3', 'cancelled', 10, false, 'Nice'),
  order(5, 'c2', 'open', 50, false, 'Lyon'),
  order(6, 'c1', 'paid', 70, true, 'Lyon'),
  order(7, 'c3', 'open', 40, false, 'Paris'),
  order(8, 'c2', 'paid', 10, true, 'Nice'),
];

const ORDER_INDEXES: readonly (readonly IndexKey[])[] = [
  [['seq', 1]],
  [
    ['customer', 1],
    ['placedAt', -1],
  ],
  [
    ['status', 1],
    ['amount', 1],
  ],
  [
    ['amount', -1],
    ['seq', -1],
  ],
  [['paid', 1]],
  [
    ['address.city', 1],
    ['seq', 1],
  ],
];

const ids = (docs: readonly { readonly id: string }[]) => docs.map((doc) => doc.id);

/**
 * The behaviour every ReadStore adapter must have, written against the port only. Each adapter's spec calls
 * this with a factory that returns a fresh, empty store (no collections, checkpoints or state).
 */
export function readStoreContract(name: string, createStore: () => Promise<ReadStore>): void {
  describe(`ReadStore contract: ${name}`, () => {
    let store: ReadStore;

    beforeEach(async () => {
      store = await createStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const seedOrders = async () => {
      await store.ensureCollection('orders', ORDER_INDEXES);
      await store.commit([{ collection: 'orders', writes: ORDERS.map((doc) => ({ id: doc.id, doc })) }], {});
    };
    const findOrders = async (query: FindQuery) => ids(await store.find<Order>('orders', query));
    const bySeq: readonly IndexKey[] = [['seq', 1]];

    /** Walks every page of a query with keyset pagination, continuing after the last document's sort values. */
    const walkPages = async (query: FindQuery, pageSize: number) => {
      const pages: string[][] = [];
      let after: (string | number)[] | undefined;
      for (;;) {
        const page = await store.find<Order>('orders', { ...query, limit: pageSize, after });
        expect(page.length).toBeLessThanOrEqual(pageSize);
        if (page.length === 0) return pages;
        pages.push(ids(page));
        const last = page[page.length - 1]!;
        after = query.sort.map(([field]) => last[field as keyof Order] as string | number);
        if (pages.length > ORDERS.length) throw new Error('pagination does not end');
      }
    };

    describe('collections, documents and checkpoints', () => {
      it('ensures a collection idempotently, keeping its documents', async () => {
        await store.ensureCollection('orders', ORDER_INDEXES);
        await store.ensureCollection('orders', ORDER_INDEXES);
        await store.commit([{ collection: 'orders', writes: [{ id: 'o1', doc: ORDERS[0]! }] }], {});
        await store.ensureCollection('orders', ORDER_INDEXES);

        expect(await store.get('orders', 'o1')).toEqual(ORDERS[0]);
        expect(await findOrders({ where: { customer: 'c1' }, sort: bySeq })).toEqual(['o1']);
      });

      it('keeps the documents of an existing collection ensured again with other indexes, and stays usable', async () => {
        await store.ensureCollection('orders', [[['seq', 1]]]);
        await store.commit([{ collection: 'orders', writes: [{ id: 'o1', doc: ORDERS[0]! }] }], {});

        await store.ensureCollection('orders', ORDER_INDEXES);
        await store.commit([{ collection: 'orders', writes: [{ id: 'o2', doc: ORDERS[1]! }] }], {});

        expect(await store.get('orders', 'o1')).toEqual(ORDERS[0]);
        expect(await store.get('orders', 'o2')).toEqual(ORDERS[1]);
        expect(await findOrders({ sort: [['seq', -1]] })).toEqual(['o2', 'o1']);
      });

      it('defers the indexes of a fresh collection until buildIndexes, answering the same queries meanwhile', async () => {
        await store.ensureCollection('orders', ORDER_INDEXES, { deferIndexes: true });
        await store.commit(
          [{ collection: 'orders', writes: ORDERS.map((doc) => ({ id: doc.id, doc })) }],
          {},
        );
        const query: FindQuery = {
          where: { paid: true },
          range: { field: 'amount', from: 30 },
          sort: [
            ['amount', -1],
            ['seq', -1],
          ],
        };
        expect(await findOrders(query)).toEqual(['o6', 'o2', 'o3']);

        await store.buildIndexes('orders');
        await store.buildIndexes('orders');
        expect(await findOrders(query)).toEqual(['o6', 'o2', 'o3']);
        await store.commit([{ collection: 'orders', writes: [{ id: 'o2', doc: null }] }], {});
        expect(await findOrders(query)).toEqual(['o6', 'o3']);
        expect(await findOrders({ where: { 'address.city': 'Nice' }, sort: bySeq })).toEqual(['o4', 'o8']);
      });

      it('builds the indexes of a collection whose indexes already exist as a no-op', async () => {
        await seedOrders();
        await store.buildIndexes('orders');
        expect(await findOrders({ where: { customer: 'c2' }, sort: bySeq })).toEqual(['o2', 'o5', 'o8']);
      });

      it('returns nothing for missing ids', async () => {
        await store.ensureCollection('orders', ORDER_INDEXES);
        expect(await store.get('orders', 'missing')).toBeUndefined();
        expect(await store.getMany('orders', [])).toEqual(new Map());
        expect(await store.getMany('orders', ['missing', 'also-missing'])).toEqual(new Map());

        await store.commit([{ collection: 'orders', writes: [{ id: 'o1', doc: ORDERS[0]! }] }], {});
        const found = await store.getMany<Order>('orders', ['missing', 'o1', 'o1']);
        expect(found).toEqual(new Map([['o1', ORDERS[0]]]));
        expect(await store.find('orders', { where: { customer: 'nobody' }, sort: bySeq })).toEqual([]);
      });

      it('upserts and deletes documents of two collections with their checkpoints', async () => {
        await store.ensureCollection('orders', ORDER_INDEXES);
        await store.ensureCollection('customers', [[['name', 1]]]);

        await store.commit(
          [
            { collection: 'orders', writes: [ORDERS[0]!, ORDERS[1]!].map((doc) => ({ id: doc.id, doc })) },
            {
              collection: 'customers',
              writes: [
                { id: 'c1', doc: { name: 'Ada', orders: 1 } },
                { id: 'c2', doc: { name: 'Grace', orders: 1 } },
              ],
            },
          ],
          { orders: 3, customers: 3 },
        );

        expect(await store.getMany('orders', ['o1', 'o2'])).toEqual(
          new Map([
            ['o1', ORDERS[0]],
            ['o2', ORDERS[1]],
          ]),
        );
        expect(await store.get('customers', 'c1')).toEqual({ name: 'Ada', orders: 1 });
        expect(await store.checkpoint('orders')).toBe(3);
        expect(await store.checkpoint('customers')).toBe(3);

        const paidO1: Order = { ...ORDERS[0]!, status: 'paid', paid: true };
        await store.commit(
          [
            {
              collection: 'orders',
              writes: [
                { id: 'o1', doc: paidO1 },
                { id: 'o2', doc: null },
                { id: 'never-stored', doc: null },
                { id: 'o3', doc: ORDERS[2]! },
                { id: 'o3', doc: null },
                { id: 'o4', doc: { ...ORDERS[3]!, amount: 1 } },
                { id: 'o4', doc: ORDERS[3]! },
              ],
            },
            { collection: 'customers', writes: [{ id: 'c1', doc: { name: 'Ada', orders: 2 } }] },
          ],
          { orders: 7, customers: 5 },
        );

        expect(await store.get('orders', 'o1')).toEqual(paidO1);
        expect(await store.get('orders', 'o2')).toBeUndefined();
        expect(await store.get('orders', 'o3')).toBeUndefined();
        expect(await store.get('orders', 'o4')).toEqual(ORDERS[3]);
        expect(await store.get('orders', 'never-stored')).toBeUndefined();
        expect(await findOrders({ where: { paid: true }, sort: bySeq })).toEqual(['o1']);
        expect(await findOrders({ sort: bySeq })).toEqual(['o1', 'o4']);
        expect(await store.get('customers', 'c1')).toEqual({ name: 'Ada', orders: 2 });
        expect(await store.get('customers', 'c2')).toEqual({ name: 'Grace', orders: 1 });
        expect(await store.checkpoint('orders')).toBe(7);
        expect(await store.checkpoint('customers')).toBe(5);
      });

      it('gives 0 for an unknown checkpoint and the committed position of a known one', async () => {
        expect(await store.checkpoint('unknown')).toBe(0);
        await store.commit([], { 'orders@g1': 42 });
        expect(await store.checkpoint('orders@g1')).toBe(42);
        expect(await store.checkpoint('orders@g2')).toBe(0);
        await store.commit([], { 'orders@g1': 1_234_567_890 });
        expect(await store.checkpoint('orders@g1')).toBe(1_234_567_890);
      });

      it('applies nothing of a commit that fails, not even its earlier documents and checkpoints', async () => {
        await store.ensureCollection('orders', ORDER_INDEXES);
        await store.ensureCollection('customers', [[['name', 1]]]);
        await store.commit(
          [
            { collection: 'orders', writes: [{ id: 'o1', doc: ORDERS[0]! }] },
            { collection: 'customers', writes: [{ id: 'c1', doc: { name: 'Ada' } }] },
          ],
          { orders: 10, customers: 10 },
        );

        await expect(
          store.commit(
            [
              {
                collection: 'orders',
                writes: [
                  { id: 'o1', doc: null },
                  { id: 'o2', doc: ORDERS[1]! },
                ],
              },
              { collection: 'customers', writes: [{ id: 'c1', doc: { name: 'Changed' } }] },
              { collection: 'never-ensured', writes: [{ id: 'x', doc: { a: 1 } }] },
            ],
            { orders: 20, customers: 20 },
          ),
        ).rejects.toThrow();

        expect(await store.get('orders', 'o1')).toEqual(ORDERS[0]);
        expect(await store.get('orders', 'o2')).toBeUndefined();
        expect(await findOrders({ sort: bySeq })).toEqual(['o1']);
        expect(await store.get('customers', 'c1')).toEqual({ name: 'Ada' });
        expect(await store.checkpoint('orders')).toBe(10);
        expect(await store.checkpoint('customers')).toBe(10);

        await store.commit([{ collection: 'orders', writes: [{ id: 'o2', doc: ORDERS[1]! }] }], {
          orders: 11,
        });
        expect(await findOrders({ sort: bySeq })).toEqual(['o1', 'o2']);
        expect(await store.checkpoint('orders')).toBe(11);
      });

      it('drops a collection with its data; ensuring it again gives an empty collection', async () => {
        await seedOrders();
        await store.dropCollection('orders');
        await store.ensureCollection('orders', ORDER_INDEXES);

        expect(await store.get('orders', 'o1')).toBeUndefined();
        expect(await store.getMany('orders', ['o1', 'o2'])).toEqual(new Map());
        expect(await findOrders({ sort: bySeq })).toEqual([]);
        const scanned: unknown[] = [];
        for await (const doc of store.scan('orders')) scanned.push(doc);
        expect(scanned).toEqual([]);

        await store.commit([{ collection: 'orders', writes: [{ id: 'o5', doc: ORDERS[4]! }] }], {});
        expect(await findOrders({ sort: bySeq })).toEqual(['o5']);
      });
    });

    describe('find', () => {
      beforeEach(seedOrders);

      it('finds by equality on one or several fields', async () => {
        expect(await findOrders({ where: { customer: 'c1' }, sort: [['placedAt', -1]] })).toEqual([
          'o6',
          'o3',
          'o1',
        ]);
        expect(await findOrders({ where: { customer: 'c2', status: 'paid' }, sort: bySeq })).toEqual([
          'o2',
          'o8',
        ]);
        expect(await findOrders({ where: { amount: 30 }, sort: bySeq })).toEqual(['o1', 'o3']);
        expect(await findOrders({ where: { customer: 'c3', status: 'paid' }, sort: bySeq })).toEqual([]);
        expect(await store.find<Order>('orders', { where: { status: 'cancelled' }, sort: bySeq })).toEqual([
          ORDERS[3],
        ]);
      });

      it('finds by boolean equality', async () => {
        expect(await findOrders({ where: { paid: true }, sort: bySeq })).toEqual(['o2', 'o3', 'o6', 'o8']);
        expect(await findOrders({ where: { paid: false }, sort: bySeq })).toEqual(['o1', 'o4', 'o5', 'o7']);
        expect(await findOrders({ where: { paid: false, customer: 'c2' }, sort: bySeq })).toEqual(['o5']);
      });

      it('finds documents whose field is one of the values', async () => {
        expect(
          await findOrders({ oneOf: { field: 'status', values: ['open', 'cancelled'] }, sort: bySeq }),
        ).toEqual(['o1', 'o4', 'o5', 'o7']);
        expect(await findOrders({ oneOf: { field: 'amount', values: [10, 70] }, sort: bySeq })).toEqual([
          'o4',
          'o6',
          'o8',
        ]);
        expect(
          await findOrders({
            where: { customer: 'c2' },
            oneOf: { field: 'amount', values: [10, 70] },
            sort: bySeq,
          }),
        ).toEqual(['o8']);
        expect(await findOrders({ oneOf: { field: 'status', values: [] }, sort: bySeq })).toEqual([]);
      });

      it('finds within an inclusive range, bounded on one or both sides', async () => {
        expect(await findOrders({ range: { field: 'amount', from: 30, to: 50 }, sort: bySeq })).toEqual([
          'o1',
          'o2',
          'o3',
          'o5',
          'o7',
        ]);
        expect(await findOrders({ range: { field: 'amount', from: 50 }, sort: bySeq })).toEqual([
          'o2',
          'o5',
          'o6',
        ]);
        expect(await findOrders({ range: { field: 'amount', to: 10 }, sort: bySeq })).toEqual(['o4', 'o8']);
        expect(await findOrders({ range: { field: 'amount', from: 31, to: 39 }, sort: bySeq })).toEqual([]);
        expect(
          await findOrders({
            range: { field: 'placedAt', from: '2024-01-03T10:00:00.000Z', to: '2024-01-05T10:00:00.000Z' },
            sort: bySeq,
          }),
        ).toEqual(['o3', 'o4', 'o5']);
        expect(
          await findOrders({
            where: { customer: 'c1' },
            range: { field: 'placedAt', from: '2024-01-02' },
            sort: [['placedAt', -1]],
          }),
        ).toEqual(['o6', 'o3']);
      });

      it('sorts ascending and descending on two keys', async () => {
        expect(
          await findOrders({
            sort: [
              ['status', 1],
              ['amount', 1],
            ],
          }),
        ).toEqual(['o4', 'o1', 'o7', 'o5', 'o8', 'o3', 'o2', 'o6']);
        expect(
          await findOrders({
            sort: [
              ['status', -1],
              ['amount', -1],
            ],
          }),
        ).toEqual(['o6', 'o2', 'o3', 'o8', 'o5', 'o7', 'o1', 'o4']);
        expect(
          await findOrders({
            sort: [
              ['amount', -1],
              ['seq', -1],
            ],
          }),
        ).toEqual(['o6', 'o5', 'o2', 'o7', 'o3', 'o1', 'o8', 'o4']);
      });

      it('limits the number of documents', async () => {
        expect(await findOrders({ sort: [['seq', -1]], limit: 3 })).toEqual(['o8', 'o7', 'o6']);
        expect(await findOrders({ where: { customer: 'c2' }, sort: bySeq, limit: 2 })).toEqual(['o2', 'o5']);
        expect(await findOrders({ sort: bySeq, limit: 100 })).toHaveLength(8);
        expect(await findOrders({ sort: bySeq, limit: 0 })).toEqual([]);
      });

      it('pages with keyset pagination after the sort values of the last document', async () => {
        const descending: readonly IndexKey[] = [
          ['amount', -1],
          ['seq', -1],
        ];
        expect(await findOrders({ sort: descending, after: [50, 5], limit: 2 })).toEqual(['o2', 'o7']);
        expect(await walkPages({ sort: descending }, 2)).toEqual([
          ['o6', 'o5'],
          ['o2', 'o7'],
          ['o3', 'o1'],
          ['o8', 'o4'],
        ]);
        const ascending: readonly IndexKey[] = [
          ['amount', 1],
          ['seq', 1],
        ];
        expect(await walkPages({ sort: ascending }, 3)).toEqual([
          ['o4', 'o8', 'o1'],
          ['o3', 'o7', 'o2'],
          ['o5', 'o6'],
        ]);

        const queries: FindQuery[] = [
          { sort: descending },
          { sort: ascending },
          { where: { paid: true }, sort: descending },
          { range: { field: 'amount', from: 30 }, sort: ascending },
          {
            sort: [
              ['status', -1],
              ['amount', -1],
            ],
          },
        ];
        for (const query of queries) {
          const all = await findOrders(query);
          expect(all.length).toBeGreaterThan(0);
          for (const pageSize of [1, 2, 3, 5, 8]) {
            expect((await walkPages(query, pageSize)).flat()).toEqual(all);
          }
        }

        expect(await findOrders({ where: { paid: true }, sort: descending, after: [50, 2] })).toEqual([
          'o3',
          'o8',
        ]);
        expect(await findOrders({ sort: ascending, after: [70, 6] })).toEqual([]);
      });

      it('queries, sorts and pages on nested field paths', async () => {
        expect(await findOrders({ where: { 'address.city': 'Lyon' }, sort: bySeq })).toEqual([
          'o1',
          'o5',
          'o6',
        ]);
        expect(
          await findOrders({ oneOf: { field: 'address.city', values: ['Nice', 'Paris'] }, sort: bySeq }),
        ).toEqual(['o2', 'o3', 'o4', 'o7', 'o8']);
        expect(
          await findOrders({ range: { field: 'address.city', from: 'M', to: 'O' }, sort: bySeq }),
        ).toEqual(['o4', 'o8']);
        const byCity: readonly IndexKey[] = [
          ['address.city', 1],
          ['seq', 1],
        ];
        expect(await findOrders({ sort: byCity })).toEqual(['o1', 'o5', 'o6', 'o4', 'o8', 'o2', 'o3', 'o7']);
        expect(await findOrders({ sort: byCity, after: ['Lyon', 6], limit: 3 })).toEqual(['o4', 'o8', 'o2']);
      });

      it('refuses a sort that mixes directions', async () => {
        await expect(
          store.find('orders', {
            sort: [
              ['status', 1],
              ['amount', -1],
            ],
          }),
        ).rejects.toThrow();
      });

      it('refuses a field that is not indexed', async () => {
        await expect(store.find('orders', { where: { note: 'x' }, sort: bySeq })).rejects.toThrow();
        await expect(
          store.find('orders', { oneOf: { field: 'note', values: ['x'] }, sort: bySeq }),
        ).rejects.toThrow();
        await expect(
          store.find('orders', { range: { field: 'note', from: 'a' }, sort: bySeq }),
        ).rejects.toThrow();
        await expect(store.find('orders', { sort: [['note', 1]] })).rejects.toThrow();
        await expect(
          store.find('orders', {
            sort: [
              ['seq', 1],
              ['note', 1],
            ],
          }),
        ).rejects.toThrow();
      });
    });

    describe('scan', () => {
      const COUNT = 2_345;
      const docId = (n: number) => `d${String(n).padStart(5, '0')}`;

      beforeEach(async () => {
        await store.ensureCollection('numbers', [[['n', 1]]]);
        const docs = Array.from({ length: COUNT }, (_, n) => ({
          id: docId(n),
          doc: { n, even: n % 2 === 0 },
        }));
        for (let start = 0; start < COUNT; start += 500) {
          await store.commit([{ collection: 'numbers', writes: docs.slice(start, start + 500) }], {});
        }
      });

      const scanned = async (range?: FindQuery['range']) => {
        const docs: { n: number; even: boolean }[] = [];
        for await (const doc of store.scan<{ n: number; even: boolean }>('numbers', range)) docs.push(doc);
        return docs.sort((a, b) => a.n - b.n);
      };
      const expected = (from: number, to: number) =>
        Array.from({ length: to - from + 1 }, (_, index) => ({
          n: from + index,
          even: (from + index) % 2 === 0,
        }));

      it('yields every document, past any internal batch size', async () => {
        const all = await scanned();
        expect(all).toHaveLength(COUNT);
        expect(all).toEqual(expected(0, COUNT - 1));
      });

      it('yields the documents within an inclusive range', async () => {
        const within = await scanned({ field: 'n', from: 500, to: 1_700 });
        expect(within).toHaveLength(1_201);
        expect(within).toEqual(expected(500, 1_700));
        expect(await scanned({ field: 'n', from: 2_300 })).toEqual(expected(2_300, COUNT - 1));
        expect(await scanned({ field: 'n', to: 4 })).toEqual(expected(0, 4));
        expect(await scanned({ field: 'n', from: 5_000 })).toEqual([]);
      });

      it('does not yield deleted documents', async () => {
        await store.commit(
          [
            {
              collection: 'numbers',
              writes: [0, 999, 1_000, COUNT - 1].map((n) => ({ id: docId(n), doc: null })),
            },
          ],
          {},
        );
        const all = await scanned();
        expect(all).toHaveLength(COUNT - 4);
        expect(all.map((doc) => doc.n)).not.toContain(999);
        expect(all.map((doc) => doc.n)).not.toContain(1_000);
        expect(all[0]).toEqual({ n: 1, even: false });
        expect(all[all.length - 1]).toEqual({ n: COUNT - 2, even: false });
      });
    });

    describe('state', () => {
      it('round-trips JSON values and gives undefined for an unknown key', async () => {
        expect(await store.getState('unknown')).toBeUndefined();

        const values: Record<string, unknown> = {
          object: { generation: 2, version: 3, nested: { list: [1, 'two', null, true] } },
          array: [{ a: 1 }, [2, 3], 'x'],
          text: 'rebuilding',
          number: 12.5,
          zero: 0,
          no: false,
          nothing: null,
        };
        for (const [key, value] of Object.entries(values)) await store.setState(key, value);
        for (const [key, value] of Object.entries(values)) expect(await store.getState(key)).toEqual(value);
        expect(await store.getState('nothing')).toBeNull();
        expect(await store.getState('zero')).toBe(0);
        expect(await store.getState('no')).toBe(false);

        await store.setState('object', { generation: 3 });
        expect(await store.getState('object')).toEqual({ generation: 3 });
        expect(await store.getState('Object')).toBeUndefined();
      });
    });
  });
}
