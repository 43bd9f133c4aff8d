import { Pool, PoolClient } from 'pg';
import { CollectionWrites, FindQuery, IndexKey, ReadStore } from '../../ports/read-store.port';
import { inTransaction, migrate, openPool, PostgresConnectionOptions } from './postgres-connection';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS checkpoints (name text PRIMARY KEY, position bigint NOT NULL);
CREATE TABLE IF NOT EXISTS projection_state (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS collections (name text PRIMARY KEY, indexes jsonb NOT NULL);
`;

const SCAN_BATCH = 1000;

/**
 * Read models in PostgreSQL (`DATABASE_URL`): one table per collection (`rm_<name>`: `id`, and the document
 * as `jsonb` in `doc`), expression indexes on the declared fields (`doc #> '{field}'`), checkpoints in
 * `checkpoints` and projection state in `projection_state`. A commit writes documents and checkpoints in one
 * transaction.
 *
 * Fields compare as jsonb does: numbers as numbers, booleans and strings within their type; strings follow
 * the database's collation (byte order, as on SQLite and MongoDB, when it is C). A missing field is the
 * smallest value in sorts, as on SQLite and MongoDB, and indexes are built in that order (NULLS FIRST
 * ascending), so a sort the declared index covers reads it in order. Like MongoDB, a collection ensured again
 * with more indexes gains them; queries may filter and sort only on indexed fields, as on every backend.
 */
export async function createPostgresReadStore(options: PostgresConnectionOptions): Promise<ReadStore> {
  const pool = openPool(options, 5);
  try {
    await migrate(pool, options, async (client) => {
      await client.query(SCHEMA);
    });
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresReadStore(pool, options);
}

class PostgresReadStore implements ReadStore {
  /** Indexed fields by collection: queries may only filter and sort on them. */
  private readonly fieldsCache = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresConnectionOptions,
  ) {}

  async ensureCollection(
    collection: string,
    indexes: readonly (readonly IndexKey[])[],
    options?: { readonly deferIndexes?: boolean },
  ): Promise<void> {
    await migrate(this.pool, this.options, async (client) => {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${tableName(collection)} (id text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL)`,
      );
      const { rows } = await client.query<{ indexes: IndexKey[][] }>(
        'SELECT indexes FROM collections WHERE name = $1',
        [collection],
      );
      // New declarations are appended, so an index keeps its number (and name) once declared.
      const declared = rows[0]?.indexes ?? [];
      const known = new Set(declared.map((keys) => JSON.stringify(keys)));
      const added = indexes
        .map((keys) => keys.map(([field, order]) => [field, order]))
        .filter((keys) => !known.has(JSON.stringify(keys)));
      await client.query(
        `INSERT INTO collections (name, indexes) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET indexes = excluded.indexes`,
        [collection, JSON.stringify([...declared, ...added])],
      );
    });
    this.fieldsCache.delete(collection);
    if (!options?.deferIndexes) await this.buildIndexes(collection);
  }

  async buildIndexes(collection: string): Promise<void> {
    await migrate(this.pool, this.options, async (client) => {
      const { rows } = await client.query<{ indexes: IndexKey[][] }>(
        'SELECT indexes FROM collections WHERE name = $1',
        [collection],
      );
      const table = tableName(collection);
      for (const [index, keys] of (rows[0]?.indexes ?? []).entries()) {
        const columns = keys.map(
          ([field, order]) => `${fieldValue(field)} ${order === -1 ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`,
        );
        await client.query(
          `CREATE INDEX IF NOT EXISTS ${indexName(collection, index)} ON ${table} (${columns.join(', ')})`,
        );
      }
    });
  }

  async dropCollection(collection: string): Promise<void> {
    await migrate(this.pool, this.options, async (client) => {
      await client.query(`DROP TABLE IF EXISTS ${tableName(collection)}`);
      await client.query('DELETE FROM collections WHERE name = $1', [collection]);
    });
    this.fieldsCache.delete(collection);
  }

  async commit(
    writes: readonly CollectionWrites[],
    checkpoints: Readonly<Record<string, number>>,
  ): Promise<void> {
    // An unknown collection fails the commit before anything is written.
    for (const { collection } of writes) await this.fieldsOf(collection);
    await inTransaction(this.pool, async (client) => {
      await writeDocuments(client, writes);
      await writeCheckpoints(client, checkpoints);
    });
  }

  async get<T extends object>(collection: string, id: string): Promise<T | undefined> {
    await this.fieldsOf(collection);
    const { rows } = await this.pool.query<{ doc: T }>(
      `SELECT doc FROM ${tableName(collection)} WHERE id = $1`,
      [id],
    );
    return rows[0]?.doc;
  }

  async getMany<T extends object>(collection: string, ids: readonly string[]): Promise<Map<string, T>> {
    await this.fieldsOf(collection);
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: string; doc: T }>(
      `SELECT id, doc FROM ${tableName(collection)} WHERE id = ANY($1::text[])`,
      [unique],
    );
    const byId = new Map(rows.map((row) => [row.id, row.doc]));
    // In the order asked for, as the SQLite store answers.
    return new Map(unique.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!]));
  }

  async find<T extends object>(collection: string, query: FindQuery): Promise<T[]> {
    const fields = await this.fieldsOf(collection);
    const { conditions, params } = filter(collection, fields, query);
    if (new Set(query.sort.map(([, order]) => order)).size > 1) {
      throw new Error('sort keys must share one direction');
    }
    const descending = query.sort[0]?.[1] === -1;
    const sortValues = query.sort.map(([field]) => indexedValue(collection, fields, field));
    if (query.after && sortValues.length > 0) {
      const after = query.after.map((value) => {
        params.push(toJsonb(value));
        return `$${params.length}::jsonb`;
      });
      conditions.push(`(${sortValues.join(', ')}) ${descending ? '<' : '>'} (${after.join(', ')})`);
    }
    const order =
      sortValues.length > 0
        ? ` ORDER BY ${sortValues.map((value) => `${value} ${descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`).join(', ')}`
        : '';
    let limit = '';
    if (query.limit !== undefined) {
      params.push(Math.max(0, Math.trunc(query.limit)));
      limit = ` LIMIT $${params.length}`;
    }
    const { rows } = await this.pool.query<{ doc: T }>(
      `SELECT doc FROM ${tableName(collection)}${where(conditions)}${order}${limit}`,
      params,
    );
    return rows.map((row) => row.doc);
  }

  /** Batches by id rather than one long cursor, which would hold a connection and a snapshot meanwhile. */
  async *scan<T extends object>(collection: string, range?: FindQuery['range']): AsyncIterable<T> {
    const fields = await this.fieldsOf(collection);
    for (let afterId = ''; ;) {
      const { conditions, params } = filter(collection, fields, { range });
      params.push(afterId);
      conditions.push(`id > $${params.length}`);
      const { rows } = await this.pool.query<{ id: string; doc: T }>(
        `SELECT id, doc FROM ${tableName(collection)}${where(conditions)} ORDER BY id LIMIT ${SCAN_BATCH}`,
        params,
      );
      for (const row of rows) yield row.doc;
      if (rows.length < SCAN_BATCH) return;
      afterId = rows[rows.length - 1]!.id;
    }
  }

  async checkpoint(checkpointName: string): Promise<number> {
    const { rows } = await this.pool.query<{ position: string }>(
      'SELECT position FROM checkpoints WHERE name = $1',
      [checkpointName],
    );
    return Number(rows[0]?.position ?? 0);
  }

  async getState<T>(key: string): Promise<T | undefined> {
    const { rows } = await this.pool.query<{ value: T }>(
      'SELECT value FROM projection_state WHERE key = $1',
      [key],
    );
    return rows[0]?.value;
  }

  async setState(key: string, value: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO projection_state (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, toJsonb(value)],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async fieldsOf(collection: string): Promise<ReadonlySet<string>> {
    const cached = this.fieldsCache.get(collection);
    if (cached) return cached;
    const { rows } = await this.pool.query<{ indexes: IndexKey[][] }>(
      'SELECT indexes FROM collections WHERE name = $1',
      [collection],
    );
    if (!rows[0]) throw new Error(`unknown read-model collection ${collection}`);
    const fields = new Set(rows[0].indexes.flat().map(([field]) => field));
    this.fieldsCache.set(collection, fields);
    return fields;
  }
}

/**
 * Stores a commit's documents on a connection in a transaction. The last write of an id wins, as writing them
 * one after the other would: one statement cannot touch a row twice. Rows are written in id order, so that two
 * transactions writing the same rows lock them in the same order.
 */
export async function writeDocuments(client: PoolClient, writes: readonly CollectionWrites[]): Promise<void> {
  for (const { collection, writes: documents } of writes) {
    const last = new Map(documents.map((write) => [write.id, write.doc]));
    const ids = [...last.keys()].sort();
    const removed = ids.filter((id) => last.get(id) === null);
    const stored = ids.filter((id) => last.get(id) !== null);
    const table = tableName(collection);
    if (removed.length > 0) {
      await client.query(`DELETE FROM ${table} WHERE id = ANY($1::text[])`, [removed]);
    }
    if (stored.length > 0) {
      await client.query(
        `INSERT INTO ${table} (id, doc) SELECT * FROM unnest($1::text[], $2::jsonb[])
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
        [stored, stored.map((id) => toJsonb(last.get(id)))],
      );
    }
  }
}

/** Advances checkpoints on a connection in a transaction. */
export async function writeCheckpoints(
  client: PoolClient,
  checkpoints: Readonly<Record<string, number>>,
): Promise<void> {
  const named = Object.entries(checkpoints);
  if (named.length === 0) return;
  await client.query(
    `INSERT INTO checkpoints (name, position) SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
    [named.map(([name]) => name), named.map(([, position]) => position)],
  );
}

/**
 * Adds counters to population-figure buckets ({bucket, counters}) in the database itself, so that transactions
 * committing at once each add their own (none overwrites another's count): a missing bucket is created, the
 * counters are summed as doubles (as JavaScript adds them), those that reach zero dropped, and a bucket left
 * with none deleted (withDelta in projections/population-figure.ts, the same rule). Buckets are locked in
 * collection and id order, the same in every transaction, so two commits never wait for each other in a cycle.
 */
export async function incrementBuckets(
  client: PoolClient,
  increments: readonly { collection: string; bucket: string; delta: Readonly<Record<string, number>> }[],
): Promise<void> {
  const byCollection = new Map<string, Map<string, Readonly<Record<string, number>>>>();
  for (const { collection, bucket, delta } of increments) {
    const buckets = byCollection.get(collection) ?? new Map();
    buckets.set(bucket, delta);
    byCollection.set(collection, buckets);
  }
  for (const collection of [...byCollection.keys()].sort()) {
    const buckets = byCollection.get(collection)!;
    const ids = [...buckets.keys()].sort();
    const table = tableName(collection);
    await client.query(
      `INSERT INTO ${table} AS stored (id, doc)
       SELECT id, jsonb_build_object('bucket', id, 'counters', delta)
       FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY AS given (id, delta, n) ORDER BY n
       ON CONFLICT (id) DO UPDATE SET doc = jsonb_build_object('bucket', stored.id, 'counters', (
         SELECT coalesce(jsonb_object_agg(name, total), '{}'::jsonb) FROM (
           SELECT name, sum(count) AS total FROM (
             SELECT key AS name, value::text::float8 AS count FROM jsonb_each(stored.doc -> 'counters')
             UNION ALL
             SELECT key, value::text::float8 FROM jsonb_each(excluded.doc -> 'counters')
           ) AS added GROUP BY name
         ) AS summed WHERE total <> 0))`,
      [ids, ids.map((id) => JSON.stringify(buckets.get(id)))],
    );
    await client.query(
      `DELETE FROM ${table} WHERE id = ANY($1::text[]) AND doc -> 'counters' = '{}'::jsonb`,
      [ids],
    );
  }
}

/** WHERE conditions of a query on indexed fields, without sort and pagination, and their parameters. */
function filter(collection: string, fields: ReadonlySet<string>, query: Omit<FindQuery, 'sort'>) {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const value = (field: string) => indexedValue(collection, fields, field);
  const param = (json: unknown) => {
    params.push(toJsonb(json));
    return `$${params.length}::jsonb`;
  };
  for (const [field, equal] of Object.entries(query.where ?? {})) {
    conditions.push(`${value(field)} = ${param(equal)}`);
  }
  if (query.oneOf) {
    params.push(query.oneOf.values.map((one) => toJsonb(one)));
    conditions.push(`${value(query.oneOf.field)} = ANY($${params.length}::jsonb[])`);
  }
  if (query.range?.from !== undefined)
    conditions.push(`${value(query.range.field)} >= ${param(query.range.from)}`);
  if (query.range?.to !== undefined)
    conditions.push(`${value(query.range.field)} <= ${param(query.range.to)}`);
  return { conditions, params };
}

/**
 * JSON text for a jsonb value. jsonb cannot hold the character U+0000, which JSON allows and an event may
 * carry (events themselves are stored as json, which keeps it): it becomes U+FFFD, the replacement
 * character, so that such a document is stored rather than stopping its projection. The check is a
 * search of the text, and only a \u0000 escape preceded by an even number of backslashes is one.
 */
function toJsonb(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}

function where(conditions: readonly string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

function indexedValue(collection: string, fields: ReadonlySet<string>, field: string): string {
  if (!fields.has(field)) throw new Error(`${field} is not an indexed field of ${collection}`);
  return fieldValue(field);
}

/**
 * The expression of a (dotted) field of the document, written the same way in indexes and queries so that
 * the planner matches them: `(doc #> '{"address","city"}')`.
 */
function fieldValue(field: string): string {
  const path = field.split('.').map((part) => `"${part.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  return `(doc #> '{${path.join(',').replace(/'/g, "''")}}')`;
}

export function tableName(collection: string): string {
  return `rm_${collection.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}`;
}

function indexName(collection: string, index: number): string {
  return `${tableName(collection)}_idx${index}`;
}
