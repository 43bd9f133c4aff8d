import { createPostgresReadStore } from '../../src/adapters/postgres/postgres-read-store';
import { createPostgresSubjectKeyStore } from '../../src/adapters/postgres/postgres-subject-key-store';
import { readStoreContract } from '../contract/read-store.contract';
import {
  reportPostgresSkipped,
  rowVersionsHolding,
  testDatabaseUrl,
  testDatabases,
  testSchemas,
  withClient,
} from '../support/postgres';

/**
 * The shared read-store contract and the subject key store against a real PostgreSQL server, run whenever
 * TEST_DATABASE_URL names one (`.ci/run` starts a throwaway server for every CI run;
 * `bash .ci/postgres.sh npx jest test/read-models` does the same by hand). Each store gets a fresh schema,
 * dropped after the run.
 */
reportPostgresSkipped('PostgreSQL read store and key store suites');
const describeWithServer = testDatabaseUrl ? describe : describe.skip;
const reason = testDatabaseUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)';

describeWithServer(`PostgreSQL stores${reason}`, () => {
  const schemas = testSchemas('ledger_rm');
  const databases = testDatabases();
  afterAll(() => Promise.all([schemas.dropAll(), databases.dropAll()]));
  const readStoreIn = (schema: string) =>
    createPostgresReadStore({ connectionString: testDatabaseUrl!, schema });

  readStoreContract('PostgreSQL', () => readStoreIn(schemas.fresh()));

  describe('PostgreSQL read store specifics', () => {
    it('keeps documents, indexes, checkpoints and state across close and reopen, and answers from its indexes', async () => {
      const schema = schemas.fresh();
      const store = await readStoreIn(schema);
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

      const reopened = await readStoreIn(schema);
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
      await reopened.close();

      // The planner, kept off sequential scans, reads the timeline's query from the declared index: the
      // expressions of the index and of the query are the same.
      const plan = await withClient(testDatabaseUrl!, async (client) => {
        await client.query(`SET search_path = ${schema}`);
        await client.query('SET enable_seqscan = off');
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT doc FROM rm_timeline_g1 WHERE (doc #> '{"customerId"}') = '"c1"'::jsonb
           ORDER BY (doc #> '{"at"}') DESC NULLS LAST LIMIT 2`,
        );
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
      expect(plan).toMatch(/Index Scan using rm_timeline_g1_idx0/);
      expect(plan).not.toMatch(/Sort/);
    });

    it('stores a document with the character U+0000, which jsonb refuses, as U+FFFD; text that only looks like it stays', async () => {
      const store = await readStoreIn(schemas.fresh());
      await store.ensureCollection('timeline_g1', [[['category', 1]]]);
      const documents = {
        nul: { category: 'a\u0000b', details: { ['k\u0000']: '\\\u0000' } },
        lookalike: { category: 'c:\\u0000', details: {} },
      };

      await store.commit(
        [{ collection: 'timeline_g1', writes: Object.entries(documents).map(([id, doc]) => ({ id, doc })) }],
        { 'timeline@g1': 1 },
      );

      expect(await store.get('timeline_g1', 'nul')).toEqual({
        category: 'a\ufffdb',
        details: { ['k\ufffd']: '\\\ufffd' },
      });
      expect(await store.get('timeline_g1', 'lookalike')).toEqual(documents.lookalike);
      expect(await store.checkpoint('timeline@g1')).toBe(1);
      expect(await store.find('timeline_g1', { where: { category: 'a\u0000b' }, sort: [] })).toHaveLength(1);
      await store.close();
    });

    it('creates deferred indexes only when asked to build them', async () => {
      const schema = schemas.fresh();
      const indexNames = () =>
        withClient(testDatabaseUrl!, async (client) => {
          const { rows } = await client.query<{ indexname: string }>(
            `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'rm_funnel_g2'
             AND indexname <> 'rm_funnel_g2_pkey' ORDER BY indexname`,
            [schema],
          );
          return rows.map((row) => row.indexname);
        });
      const store = await readStoreIn(schema);
      await store.ensureCollection('funnel_g2', [[['firstSeenAt', 1]], [['stage', 1]]], {
        deferIndexes: true,
      });
      expect(await indexNames()).toEqual([]);
      await store.buildIndexes('funnel_g2');
      expect(await indexNames()).toEqual(['rm_funnel_g2_idx0', 'rm_funnel_g2_idx1']);
      await store.close();
    });

    it('lets processes starting together ensure the same collections without tripping over each other', async () => {
      const schema = schemas.fresh();
      const stores = await Promise.all([1, 2, 3].map(() => readStoreIn(schema)));
      await Promise.all(stores.map((store) => store.ensureCollection('email_index', [[['hash', 1]]])));
      await stores[0]!.commit(
        [{ collection: 'email_index', writes: [{ id: 'h1', doc: { hash: 'h1' } }] }],
        {},
      );
      expect(await stores[2]!.find('email_index', { where: { hash: 'h1' }, sort: [] })).toEqual([
        { hash: 'h1' },
      ]);
      await Promise.all(stores.map((store) => store.close()));
    });
  });

  describe('PostgreSQL subject key store', () => {
    const key = (byte: number) => ({ masterKeyId: 'm1', wrapped: Buffer.alloc(40, byte) });

    it('creates a key once, gives racing writers the winner, and keeps erased subjects erased', async () => {
      const schema = schemas.fresh();
      const [a, b] = await Promise.all([
        createPostgresSubjectKeyStore({ connectionString: testDatabaseUrl!, schema }),
        createPostgresSubjectKeyStore({ connectionString: testDatabaseUrl!, schema }),
      ]);
      const [fromA, fromB] = await Promise.all([
        a.getOrCreate(['s1', 's2'], () => key(1)),
        b.getOrCreate(['s1', 's2'], () => key(2)),
      ]);
      expect(fromA).toEqual(fromB);
      expect(Buffer.isBuffer((fromA.get('s1') as { wrapped: Buffer }).wrapped)).toBe(true);
      expect(await a.find(['s1', 'unknown'])).toEqual(new Map([['s1', fromA.get('s1')]]));

      expect(await a.destroy('s1')).toBe('destroyed');
      expect(await a.destroy('s1')).toBe('already-erased');
      expect(await a.destroy('never-keyed')).toBe('no-key');
      expect(await b.getOrCreate(['s1', 'never-keyed'], () => key(3))).toEqual(
        new Map([
          ['s1', 'erased'],
          ['never-keyed', 'erased'],
        ]),
      );
      expect((await b.find(['s2'])).get('s2')).toEqual(fromA.get('s2'));
      await a.close();
      await b.close();
    });

    it('rewraps every live key under a new master key, leaving erased subjects and unchanged keys alone', async () => {
      const store = await createPostgresSubjectKeyStore({
        connectionString: testDatabaseUrl!,
        schema: schemas.fresh(),
      });
      await store.getOrCreate(['s1', 's2', 's3'], () => key(1));
      await store.destroy('s2');

      const rewrapped = await store.rewrapAll((subjectId, old) =>
        subjectId === 's3'
          ? undefined
          : { masterKeyId: 'm2', wrapped: Buffer.concat([old.wrapped, Buffer.from([9])]) },
      );
      expect(rewrapped).toBe(1);
      const keys = await store.find(['s1', 's2', 's3']);
      expect(keys.get('s1')).toEqual({
        masterKeyId: 'm2',
        wrapped: Buffer.concat([key(1).wrapped, Buffer.from([9])]),
      });
      expect(keys.get('s2')).toBe('erased');
      expect(keys.get('s3')).toEqual(key(1));
      await store.close();
    });

    it("removes an erased key's bytes from every row version of the table, leaving the other keys", async () => {
      // A database of its own: an open transaction of another test file would keep VACUUM from reclaiming.
      const database = await databases.fresh('ledger_keys');
      const store = await createPostgresSubjectKeyStore({ connectionString: database.url });
      const erased = Buffer.from('erase-me-wrapped-key-bytes-0123456789abcdef');
      const kept = Buffer.from('keep-me-wrapped-key-bytes-0123456789abcdef');
      await store.getOrCreate(['s-erased', 's-kept'], (subjectId) => ({
        masterKeyId: 'm1',
        wrapped: subjectId === 's-erased' ? erased : kept,
      }));
      const versions = (bytes: Buffer) =>
        withClient(database.url, (client) => rowVersionsHolding(client, 'subject_keys', bytes));
      const before = await versions(erased);

      await store.destroy('s-erased');
      const after = { erased: await versions(erased), kept: await versions(kept) };
      const row = await withClient(database.url, async (client) => {
        const { rows } = await client.query(
          `SELECT master_key_id, wrapped_key, erased_at IS NOT NULL AS erased FROM subject_keys WHERE subject_id = 's-erased'`,
        );
        return rows[0];
      });
      await store.close();

      expect(before).toBe(1);
      expect(row).toEqual({ master_key_id: null, wrapped_key: null, erased: true });
      expect(after).toEqual({ erased: 0, kept: 1 });
    });
  });
});
