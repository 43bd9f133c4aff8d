import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';
import { readStoreContract } from '../contract/read-store.contract';

const directory = mkdtempSync(join(tmpdir(), 'ledger-sqlite-read-store-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Each test gets a database file of its own in a fresh folder, removed after the test (stores closed). */
let counter = 0;
const freshFile = () => join(mkdtempSync(join(directory, `test-${counter++}-`)), 'read-models.db');
afterEach(() => {
  for (const entry of readdirSync(directory))
    rmSync(join(directory, entry), { recursive: true, force: true });
});

readStoreContract('SQLite', async () => createSqliteReadStore(freshFile()));

describe('SQLite read store specifics', () => {
  it('keeps documents, indexes, checkpoints and state across close and reopen of the same file', async () => {
    const file = freshFile();
    const store = createSqliteReadStore(file);
    await store.ensureCollection('timeline_g1', [
      [
        ['customerId', 1],
        ['at', -1],
      ],
      [['meta.kind', 1]],
    ]);
    await store.commit(
      [
        {
          collection: 'timeline_g1',
          writes: [
            { id: 'e1', doc: { customerId: 'c1', at: '2024-01-01', meta: { kind: 'browse' } } },
            { id: 'e2', doc: { customerId: 'c1', at: '2024-01-02', meta: { kind: 'purchase' } } },
            { id: 'e3', doc: { customerId: 'c2', at: '2024-01-03', meta: { kind: 'browse' } } },
          ],
        },
      ],
      { 'timeline@g1': 17 },
    );
    await store.setState('projection:timeline', { generation: 1, version: 2 });
    await store.close();

    const reopened = createSqliteReadStore(file);
    expect(await reopened.get('timeline_g1', 'e2')).toEqual({
      customerId: 'c1',
      at: '2024-01-02',
      meta: { kind: 'purchase' },
    });
    expect(await reopened.checkpoint('timeline@g1')).toBe(17);
    expect(await reopened.getState('projection:timeline')).toEqual({ generation: 1, version: 2 });
    const timeline = await reopened.find<{ at: string }>('timeline_g1', {
      where: { customerId: 'c1' },
      sort: [['at', -1]],
    });
    expect(timeline.map((doc) => doc.at)).toEqual(['2024-01-02', '2024-01-01']);
    const browses = await reopened.find<{ customerId: string }>('timeline_g1', {
      where: { 'meta.kind': 'browse' },
      sort: [['at', 1]],
    });
    expect(browses.map((doc) => doc.customerId)).toEqual(['c1', 'c2']);

    await reopened.commit([{ collection: 'timeline_g1', writes: [{ id: 'e1', doc: null }] }], {
      'timeline@g1': 18,
    });
    await reopened.close();

    const again = createSqliteReadStore(file);
    expect(await again.get('timeline_g1', 'e1')).toBeUndefined();
    expect([...(await again.getMany('timeline_g1', ['e1', 'e2', 'e3'])).keys()]).toEqual(['e2', 'e3']);
    expect(await again.checkpoint('timeline@g1')).toBe(18);
    await again.close();
  });

  it('creates deferred indexes only when asked to build them', async () => {
    const file = freshFile();
    const indexNames = () => {
      const raw = new Database(file, { readonly: true });
      const names = raw
        .prepare<[], { name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_funnel_g2' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all()
        .map((row) => row.name);
      raw.close();
      return names;
    };
    const store = createSqliteReadStore(file);
    await store.ensureCollection('funnel_g2', [[['firstSeenAt', 1]], [['stage', 1]]], { deferIndexes: true });
    expect(indexNames()).toEqual([]);
    await store.close();

    const reopened = createSqliteReadStore(file);
    await reopened.buildIndexes('funnel_g2');
    expect(indexNames()).toEqual(['rm_funnel_g2_0', 'rm_funnel_g2_1']);
    await reopened.close();
  });

  it('keeps an existing collection usable when it is ensured with new indexes after a reopen', async () => {
    const file = freshFile();
    const store = createSqliteReadStore(file);
    await store.ensureCollection('summary_g1', [[['name', 1]]]);
    await store.commit(
      [{ collection: 'summary_g1', writes: [{ id: 'c1', doc: { name: 'Ada', tier: 'gold' } }] }],
      {},
    );
    await store.close();

    const reopened = createSqliteReadStore(file);
    await reopened.ensureCollection('summary_g1', [[['name', 1]], [['tier', 1]]]);
    await reopened.commit(
      [{ collection: 'summary_g1', writes: [{ id: 'c2', doc: { name: 'Bob', tier: 'silver' } }] }],
      {},
    );
    await reopened.close();

    const again = createSqliteReadStore(file);
    const byName = await again.find<{ name: string }>('summary_g1', { sort: [['name', 1]] });
    expect(byName.map((doc) => doc.name)).toEqual(['Ada', 'Bob']);
    await again.close();
  });

  it('forgets a dropped collection across reopen', async () => {
    const file = freshFile();
    const store = createSqliteReadStore(file);
    await store.ensureCollection('funnel_g1', [[['firstSeenAt', 1]]]);
    await store.commit([{ collection: 'funnel_g1', writes: [{ id: 'c1', doc: { firstSeenAt: 'x' } }] }], {});
    await store.dropCollection('funnel_g1');
    await store.close();

    const reopened = createSqliteReadStore(file);
    await expect(reopened.get('funnel_g1', 'c1')).rejects.toThrow(/unknown read-model collection funnel_g1/);
    await reopened.ensureCollection('funnel_g1', [[['firstSeenAt', 1]]]);
    expect(await reopened.get('funnel_g1', 'c1')).toBeUndefined();
    await reopened.close();
  });
});
