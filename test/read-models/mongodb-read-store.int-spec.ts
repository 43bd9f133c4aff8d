import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { createMongoSubjectKeyStore } from '../../src/adapters/mongodb/mongodb-subject-key-store';
import { createMongoReadStore } from '../../src/adapters/mongodb/mongodb-read-store';
import { readStoreContract } from '../contract/read-store.contract';

/**
 * The shared contract against a real MongoDB replica set, run whenever MONGO_URL names one: in CI
 * (.github/workflows/contract-suites.yml) or against `docker compose up` from the host with
 * `MONGO_URL='mongodb://localhost:27017/ledger?directConnection=true' npx jest test/read-models`.
 * Each test gets a database of its own, dropped after the run.
 */
const url = process.env.MONGO_URL;
if (!url) {
  console.log(
    'MongoDB suites skipped: MONGO_URL is not set (e.g. mongodb://localhost:27017/ledger?replicaSet=rs0)',
  );
}
const describeWithServer = url ? describe : describe.skip;
const reason = url ? '' : ' (skipped: MONGO_URL is not set)';

const run = randomUUID().slice(0, 8);
let counter = 0;
const databases: string[] = [];
const freshDatabase = () => {
  const name = `ledger_test_${run}_${counter++}`;
  databases.push(name);
  return name;
};

describeWithServer(`MongoDB stores${reason}`, () => {
  afterAll(async () => {
    const client = await MongoClient.connect(url ?? '');
    for (const name of databases) await client.db(name).dropDatabase();
    await client.close();
  });

  readStoreContract('MongoDB', async () => createMongoReadStore(url ?? '', { dbName: freshDatabase() }));

  describe('MongoDB read store specifics', () => {
    it('never moves a document that carries a position back to a lower one', async () => {
      const store = await createMongoReadStore(url ?? '', { dbName: freshDatabase() });
      await store.ensureCollection('summary_g1', [[['tier', 1]]]);
      const write = (doc: object) =>
        store.commit([{ collection: 'summary_g1', writes: [{ id: 'c1', doc }] }], {});

      await write({ tier: 'gold', position: 10 });
      await write({ tier: 'bronze', position: 5 });
      expect(await store.get('summary_g1', 'c1')).toEqual({ tier: 'gold', position: 10 });
      await write({ tier: '$silver', position: 12 });
      expect(await store.get('summary_g1', 'c1')).toEqual({ tier: '$silver', position: 12 });
      await store.close();
    });
  });

  describe('MongoDB subject key store', () => {
    const key = (byte: number) => ({ masterKeyId: 'm1', wrapped: Buffer.alloc(40, byte) });

    it('creates a key once, gives racing writers the winner, and keeps erased subjects erased', async () => {
      const dbName = freshDatabase();
      const [a, b] = await Promise.all([
        createMongoSubjectKeyStore(url ?? '', { dbName }),
        createMongoSubjectKeyStore(url ?? '', { dbName }),
      ]);
      const [fromA, fromB] = await Promise.all([
        a!.getOrCreate(['s1', 's2'], () => key(1)),
        b!.getOrCreate(['s1', 's2'], () => key(2)),
      ]);
      expect(fromA).toEqual(fromB);
      expect(Buffer.isBuffer((fromA.get('s1') as { wrapped: Buffer }).wrapped)).toBe(true);
      expect(await a!.find(['s1', 'unknown'])).toEqual(new Map([['s1', fromA.get('s1')]]));

      expect(await a!.destroy('s1')).toBe('destroyed');
      expect(await a!.destroy('s1')).toBe('already-erased');
      expect(await a!.destroy('never-keyed')).toBe('no-key');
      expect(await b!.getOrCreate(['s1', 'never-keyed'], () => key(3))).toEqual(
        new Map([
          ['s1', 'erased'],
          ['never-keyed', 'erased'],
        ]),
      );
      expect((await b!.find(['s2'])).get('s2')).toEqual(fromA.get('s2'));
      await a!.close();
      await b!.close();
    });

    it('rewraps every live key under a new master key, leaving erased subjects and unchanged keys alone', async () => {
      const store = await createMongoSubjectKeyStore(url ?? '', { dbName: freshDatabase() });
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
  });
});
