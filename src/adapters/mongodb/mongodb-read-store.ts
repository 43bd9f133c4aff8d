import { AnyBulkWriteOperation, Document, Filter, MongoClient, MongoServerError } from 'mongodb';
import { IndexKey } from '../../ports/read-store.port';
import { CollectionWrites, DocumentWrite, FindQuery, ReadStore } from '../../ports/read-store.port';

/** A read-model document as stored: the port's document under `doc`, so its fields never meet `_id`. */
interface Stored {
  _id: string;
  doc: Document;
}

/** The registry of read-model collections and their declared indexes (built or deferred). */
interface Declared {
  _id: string;
  indexes: IndexKey[][];
}

export interface MongoStoreOptions {
  /** The database; by default the one named in the URL, else `ledger`. */
  readonly dbName?: string;
}

const SCAN_BATCH = 1000;
const NAMESPACE_EXISTS = 48;
const NAMESPACE_NOT_FOUND = 26;
const ILLEGAL_OPERATION = 20;

/**
 * Read models in MongoDB with the official driver: one collection per read-model collection (`rm_<name>`, each
 * document `{ _id, doc }`), indexes on `doc.<field>` from the declared IndexKeys (created by buildIndexes when
 * deferred), checkpoints in `checkpoints` and projection state in `projection_state`.
 *
 * `commit` writes every collection with one ordered bulkWrite and upserts the checkpoints, all in one
 * transaction (session.withTransaction), so documents and checkpoints move together. Transactions need a
 * replica set: a single node must run as a one-member replica set (`mongod --replSet rs0`, then
 * `rs.initiate()`), and the URL should name it (`?replicaSet=rs0`). The writes are also idempotent by
 * position, the second line of defence the design asks of MongoDB: documents are replaced by id (folding the
 * same events again yields the same documents, and the timeline's documents are keyed by event id), and a
 * document that carries a numeric `position` (the projections' PositionedDoc) is only replaced by one whose
 * position is at least as high, so a stale or replayed write never moves it back.
 */
export async function createMongoReadStore(url: string, options: MongoStoreOptions = {}): Promise<ReadStore> {
  // ignoreUndefined: a field set to undefined is left out, as JSON leaves it out of the SQLite documents.
  const client = new MongoClient(url, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(options.dbName ?? databaseName(url));
  const registry = db.collection<Declared>('collections');
  const checkpoints = db.collection<{ _id: string; position: number }>('checkpoints');
  const state = db.collection<{ _id: string; value: unknown }>('projection_state');
  // Collections are created up front: creating one inside a transaction is not allowed everywhere (sharding).
  for (const name of ['collections', 'checkpoints', 'projection_state']) await createCollection(db, name);

  /** Indexed fields by collection: queries may only filter and sort on them, as in the SQLite store. */
  const fieldsCache = new Map<string, ReadonlySet<string>>();
  const fieldsOf = async (collection: string): Promise<ReadonlySet<string>> => {
    const cached = fieldsCache.get(collection);
    if (cached) return cached;
    const declared = await registry.findOne({ _id: collection });
    if (!declared) throw new Error(`unknown read-model collection ${collection}`);
    const fields = new Set(declared.indexes.flat().map(([field]) => field));
    fieldsCache.set(collection, fields);
    return fields;
  };
  const documents = (collection: string) => db.collection<Stored>(collectionName(collection));

  const buildIndexes = async (collection: string) => {
    const declared = await registry.findOne({ _id: collection });
    const specs = new Map(
      (declared?.indexes ?? []).map((keys) => [
        JSON.stringify(keys),
        { key: Object.fromEntries(keys.map(([field, order]) => [`doc.${field}`, order])) },
      ]),
    );
    // Creating an index that exists with the same keys is a no-op on the server.
    if (specs.size > 0) await documents(collection).createIndexes([...specs.values()]);
  };

  /** Filter conditions of a query on indexed fields, without sort and pagination. */
  const conditions = (collection: string, fields: ReadonlySet<string>, query: Omit<FindQuery, 'sort'>) => {
    const path = indexedPath(collection, fields);
    const filters: Filter<Stored>[] = [];
    for (const [field, value] of Object.entries(query.where ?? {})) filters.push({ [path(field)]: value });
    if (query.oneOf) filters.push({ [path(query.oneOf.field)]: { $in: [...query.oneOf.values] } });
    if (query.range) {
      const bounds: Document = {};
      if (query.range.from !== undefined) bounds.$gte = query.range.from;
      if (query.range.to !== undefined) bounds.$lte = query.range.to;
      filters.push({ [path(query.range.field)]: bounds });
    }
    return filters;
  };

  return {
    async ensureCollection(collection, indexes, options) {
      await createCollection(db, collectionName(collection));
      // Unlike SQLite's columns, MongoDB can index any field later: an existing collection gains new indexes.
      await registry.updateOne(
        { _id: collection },
        {
          $addToSet: { indexes: { $each: indexes.map((keys) => keys.map(([f, o]) => [f, o] as IndexKey)) } },
        },
        { upsert: true },
      );
      fieldsCache.delete(collection);
      if (!options?.deferIndexes) await buildIndexes(collection);
    },
    buildIndexes,
    async dropCollection(collection) {
      try {
        await documents(collection).drop();
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND)) throw error;
      }
      await registry.deleteOne({ _id: collection });
      fieldsCache.delete(collection);
    },
    async commit(writes, positions) {
      // An unknown collection fails the commit before anything is written.
      for (const { collection } of writes) await fieldsOf(collection);
      const named = Object.entries(positions);
      if (named.length === 0 && writes.every((write) => write.writes.length === 0)) return;
      const session = client.startSession();
      try {
        await session.withTransaction(
          async () => {
            for (const { collection, writes: docs } of nonEmpty(writes)) {
              await documents(collection).bulkWrite(docs.map(toOperation), { session, ordered: true });
            }
            if (named.length > 0) {
              await checkpoints.bulkWrite(
                named.map(([name, position]) => ({
                  updateOne: { filter: { _id: name }, update: { $set: { position } }, upsert: true },
                })),
                { session },
              );
            }
          },
          { writeConcern: { w: 'majority' } },
        );
      } catch (error) {
        if (error instanceof MongoServerError && error.code === ILLEGAL_OPERATION) {
          throw new Error(
            'MongoDB transactions need a replica set: run mongod with --replSet and rs.initiate(), and name it in MONGO_URL (?replicaSet=rs0)',
            { cause: error },
          );
        }
        throw error;
      } finally {
        await session.endSession();
      }
    },
    async get<T extends object>(collection: string, id: string) {
      await fieldsOf(collection);
      const found = await documents(collection).findOne({ _id: id });
      return found ? (found.doc as T) : undefined;
    },
    async getMany<T extends object>(collection: string, ids: readonly string[]) {
      await fieldsOf(collection);
      const unique = [...new Set(ids)];
      const rows =
        unique.length > 0
          ? await documents(collection)
              .find({ _id: { $in: unique } })
              .toArray()
          : [];
      const byId = new Map(rows.map((row) => [row._id, row.doc as T]));
      // In the order asked for, as the SQLite store answers.
      return new Map(unique.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!]));
    },
    async find<T extends object>(collection: string, query: FindQuery) {
      const fields = await fieldsOf(collection);
      const filters = conditions(collection, fields, query);
      if (new Set(query.sort.map(([, order]) => order)).size > 1)
        throw new Error('sort keys must share one direction');
      const direction = query.sort[0]?.[1] === -1 ? -1 : 1;
      const keys = query.sort.map(([field]) => indexedPath(collection, fields)(field));
      if (query.after && keys.length > 0) {
        // Keyset pagination: (k1, k2, ...) after (v1, v2, ...) as k1 > v1 or (k1 = v1 and k2 > v2) or ...
        const after = query.after;
        const beyond = direction === -1 ? '$lt' : '$gt';
        filters.push({
          $or: keys.map((key, index) => ({
            ...Object.fromEntries(keys.slice(0, index).map((equal, position) => [equal, after[position]])),
            [key]: { [beyond]: after[index] },
          })),
        });
      }
      // limit(0) would mean no limit to MongoDB.
      if (query.limit !== undefined && Math.trunc(query.limit) <= 0) return [];
      // No _id tie-breaker in the sort: it would keep MongoDB from walking the declared index in order.
      const cursor = documents(collection)
        .find(filters.length > 0 ? { $and: filters } : {})
        .sort(keys.map((key): [string, 1 | -1] => [key, direction]));
      if (query.limit !== undefined) cursor.limit(Math.trunc(query.limit));
      return (await cursor.toArray()).map((row) => row.doc as T);
    },
    async *scan<T extends object>(collection: string, range?: FindQuery['range']) {
      const fields = await fieldsOf(collection);
      const filters = conditions(collection, fields, { range });
      // Batches by id rather than one long cursor: a slow consumer cannot make the server's cursor time out.
      for (let afterId: string | undefined; ;) {
        const filter = afterId === undefined ? filters : [...filters, { _id: { $gt: afterId } }];
        const rows = await documents(collection)
          .find(filter.length > 0 ? { $and: filter } : {})
          .sort({ _id: 1 })
          .limit(SCAN_BATCH)
          .toArray();
        for (const row of rows) yield row.doc as T;
        if (rows.length < SCAN_BATCH) return;
        afterId = rows[rows.length - 1]!._id;
      }
    },
    async checkpoint(checkpointName) {
      return (await checkpoints.findOne({ _id: checkpointName }))?.position ?? 0;
    },
    async getState<T>(key: string) {
      const found = await state.findOne({ _id: key });
      return found ? (found.value as T) : undefined;
    },
    async setState(key, value) {
      await state.replaceOne({ _id: key }, { value }, { upsert: true });
    },
    async close() {
      await client.close();
    },
  };
}

/** Upsert by id, delete for null; a positioned document never goes back to a lower position. */
function toOperation({ id, doc }: DocumentWrite): AnyBulkWriteOperation<Stored> {
  if (doc === null) return { deleteOne: { filter: { _id: id } } };
  const position = (doc as { position?: unknown }).position;
  if (typeof position !== 'number') {
    return { replaceOne: { filter: { _id: id }, replacement: { doc }, upsert: true } };
  }
  // An update pipeline keeps the stored document when its position is higher; $literal keeps strings that
  // start with $ in the document from being read as field paths.
  return {
    updateOne: {
      filter: { _id: id },
      update: [
        {
          $replaceWith: {
            $cond: [{ $gt: ['$doc.position', position] }, '$$ROOT', { $literal: { _id: id, doc } }],
          },
        },
      ],
      upsert: true,
    },
  };
}

function nonEmpty(writes: readonly CollectionWrites[]): readonly CollectionWrites[] {
  return writes.filter((write) => write.writes.length > 0);
}

function collectionName(collection: string): string {
  return `rm_${collection.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function indexedPath(collection: string, fields: ReadonlySet<string>) {
  return (field: string): string => {
    if (!fields.has(field)) throw new Error(`${field} is not an indexed field of ${collection}`);
    return `doc.${field}`;
  };
}

async function createCollection(db: ReturnType<MongoClient['db']>, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
  }
}

/** The database named in a mongodb:// or mongodb+srv:// URL, `ledger` when it names none. */
export function databaseName(url: string): string {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(url)?.[1];
  return name ? decodeURIComponent(name) : 'ledger';
}
