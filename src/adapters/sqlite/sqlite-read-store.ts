import Database from 'better-sqlite3';
import { setImmediate } from 'node:timers/promises';
import { openDatabase, statementCache } from './open-database';
import { CollectionWrites, FindQuery, ReadStore } from '../../ports/read-store.port';

interface CollectionTable {
  readonly table: string;
  /** Indexed fields, stored in columns of their own so indexes need no JSON parsing. */
  readonly fields: readonly string[];
  readonly upsert: Database.Statement<unknown[]>;
  readonly remove: Database.Statement<[string]>;
  readonly get: Database.Statement<[string], { doc: string }>;
}

const SCAN_BATCH = 1000;

/**
 * Read models in a SQLite file: one table per collection (id, JSON document, and a column per indexed
 * field). WAL with synchronous=NORMAL: read models are derived data, and a checkpoint is committed in the
 * same transaction as the documents, so a commit lost in a power cut is simply folded again.
 */
export function createSqliteReadStore(file: string): ReadStore {
  const db = openDatabase(file, { durable: false });
  const prepared = statementCache(db);
  db.exec(`CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS projection_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, fields TEXT NOT NULL, indexes TEXT NOT NULL DEFAULT '[]');`);
  const tables = new Map<string, CollectionTable>();
  const saveCheckpoint = db.prepare<[string, number]>(
    'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  );
  const readCheckpoint = db.prepare<[string], { position: number }>(
    'SELECT position FROM checkpoints WHERE name = ?',
  );
  const readState = db.prepare<[string], { value: string }>(
    'SELECT value FROM projection_state WHERE key = ?',
  );
  const writeState = db.prepare<[string, string]>(
    'INSERT INTO projection_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );

  const buildIndexes = (collection: string) => {
    const row = db
      .prepare<[string], { indexes: string }>('SELECT indexes FROM collections WHERE name = ?')
      .get(collection);
    const table = tableName(collection);
    (JSON.parse(row?.indexes ?? '[]') as [string, 1 | -1][][]).forEach((keys, index) => {
      const columns = keys.map(([field, order]) => `${column(field)} ${order === -1 ? 'DESC' : 'ASC'}`);
      db.exec(`CREATE INDEX IF NOT EXISTS "${table}_${index}" ON "${table}" (${columns.join(', ')})`);
    });
  };

  const tableOf = (collection: string): CollectionTable => {
    const existing = tables.get(collection);
    if (existing) return existing;
    const row = db
      .prepare<[string], { fields: string }>('SELECT fields FROM collections WHERE name = ?')
      .get(collection);
    if (!row) throw new Error(`unknown read-model collection ${collection}`);
    return openTable(collection, JSON.parse(row.fields) as string[]);
  };

  const openTable = (collection: string, fields: string[]): CollectionTable => {
    const table = tableName(collection);
    const columns = fields.map(column);
    const table_: CollectionTable = {
      table,
      fields,
      upsert: db.prepare(
        `INSERT INTO "${table}" (id, doc${columns.map((c) => `, ${c}`).join('')}) VALUES (?, ?${columns.map(() => ', ?').join('')})
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc${columns.map((c) => `, ${c} = excluded.${c}`).join('')}`,
      ),
      remove: db.prepare(`DELETE FROM "${table}" WHERE id = ?`),
      get: db.prepare(`SELECT doc FROM "${table}" WHERE id = ?`),
    };
    tables.set(collection, table_);
    return table_;
  };

  const commit = db.transaction(
    (writes: readonly CollectionWrites[], checkpoints: Readonly<Record<string, number>>) => {
      for (const { collection, writes: documents } of writes) {
        const table = tableOf(collection);
        for (const { id, doc } of documents) {
          if (doc === null) table.remove.run(id);
          else
            table.upsert.run(
              id,
              JSON.stringify(doc),
              ...table.fields.map((field) => sqlValue(valueAt(doc, field))),
            );
        }
      }
      for (const [name, position] of Object.entries(checkpoints)) saveCheckpoint.run(name, position);
    },
  );

  /** WHERE conditions of a query, without sort and pagination. */
  const filter = (table: CollectionTable, query: Omit<FindQuery, 'sort'>) => {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [field, value] of Object.entries(query.where ?? {})) {
      conditions.push(`${indexedColumn(table, field)} = ?`);
      params.push(sqlValue(value));
    }
    if (query.oneOf) {
      conditions.push(
        `${indexedColumn(table, query.oneOf.field)} IN (${query.oneOf.values.map(() => '?').join(', ')})`,
      );
      params.push(...query.oneOf.values);
    }
    if (query.range?.from !== undefined) {
      conditions.push(`${indexedColumn(table, query.range.field)} >= ?`);
      params.push(query.range.from);
    }
    if (query.range?.to !== undefined) {
      conditions.push(`${indexedColumn(table, query.range.field)} <= ?`);
      params.push(query.range.to);
    }
    return { conditions, params };
  };

  const select = <T>(table: CollectionTable, conditions: string[], params: unknown[], tail: string) =>
    prepared<{ id: string; doc: string }>(
      `SELECT id, doc FROM "${table.table}"${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}${tail}`,
    )
      .all(...params)
      .map((row) => ({ id: row.id, doc: JSON.parse(row.doc) as T }));

  return {
    async ensureCollection(collection, indexes, options) {
      // An existing collection keeps its columns and indexes: declaring fields its table has no column for
      // would break every later write (e.g. a stale generation ensured with a new version's indexes).
      const exists = db.prepare<[string]>('SELECT 1 FROM collections WHERE name = ?').get(collection);
      if (!exists) {
        const fields = [...new Set(indexes.flat().map(([field]) => field))];
        const table = tableName(collection);
        db.exec(
          `CREATE TABLE IF NOT EXISTS "${table}" (id TEXT PRIMARY KEY, doc TEXT NOT NULL${fields.map((f) => `, ${column(f)}`).join('')})`,
        );
        db.prepare('INSERT INTO collections (name, fields, indexes) VALUES (?, ?, ?)').run(
          collection,
          JSON.stringify(fields),
          JSON.stringify(indexes),
        );
        openTable(collection, fields);
      }
      if (!options?.deferIndexes) buildIndexes(collection);
    },
    async buildIndexes(collection) {
      buildIndexes(collection);
    },
    async dropCollection(collection) {
      db.exec(`DROP TABLE IF EXISTS "${tableName(collection)}"`);
      db.prepare('DELETE FROM collections WHERE name = ?').run(collection);
      tables.delete(collection);
    },
    async commit(writes, checkpoints) {
      commit.immediate(writes, checkpoints);
    },
    async get<T extends object>(collection: string, id: string) {
      const row = tableOf(collection).get.get(id);
      return row ? (JSON.parse(row.doc) as T) : undefined;
    },
    async getMany<T extends object>(collection: string, ids: readonly string[]) {
      const table = tableOf(collection);
      const found = new Map<string, T>();
      for (const id of new Set(ids)) {
        const row = table.get.get(id);
        if (row) found.set(id, JSON.parse(row.doc) as T);
      }
      return found;
    },
    async find<T extends object>(collection: string, query: FindQuery) {
      const table = tableOf(collection);
      const { conditions, params } = filter(table, query);
      if (new Set(query.sort.map(([, order]) => order)).size > 1)
        throw new Error('sort keys must share one direction');
      const direction = query.sort[0]?.[1] === -1 ? 'DESC' : 'ASC';
      const sortColumns = query.sort.map(([field]) => indexedColumn(table, field));
      if (query.after && sortColumns.length > 0) {
        conditions.push(
          `(${sortColumns.join(', ')}) ${direction === 'DESC' ? '<' : '>'} (${sortColumns.map(() => '?').join(', ')})`,
        );
        params.push(...query.after);
      }
      const order =
        sortColumns.length > 0 ? ` ORDER BY ${sortColumns.map((c) => `${c} ${direction}`).join(', ')}` : '';
      const limit = query.limit !== undefined ? ` LIMIT ${Math.max(0, Math.trunc(query.limit))}` : '';
      return select<T>(table, conditions, params, order + limit).map((row) => row.doc);
    },
    async *scan<T extends object>(collection: string, range?: FindQuery['range']) {
      const table = tableOf(collection);
      for (let afterId = ''; ;) {
        const { conditions, params } = filter(table, { range });
        const rows = select<T>(
          table,
          [...conditions, 'id > ?'],
          [...params, afterId],
          ` ORDER BY id LIMIT ${SCAN_BATCH}`,
        );
        for (const row of rows) yield row.doc;
        if (rows.length < SCAN_BATCH) return;
        afterId = rows[rows.length - 1]!.id;
        // The file answers synchronously: between pages, let the requests waiting meanwhile be served.
        await setImmediate();
      }
    },
    async checkpoint(checkpointName) {
      return readCheckpoint.get(checkpointName)?.position ?? 0;
    },
    async getState<T>(key: string) {
      const row = readState.get(key);
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    async setState(key, value) {
      writeState.run(key, JSON.stringify(value));
    },
    async close() {
      db.close();
    },
  };
}

function tableName(collection: string): string {
  return `rm_${collection.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function column(field: string): string {
  return `"f_${field.replace(/[^A-Za-z0-9_]/g, '_')}"`;
}

function indexedColumn(table: CollectionTable, field: string): string {
  if (!table.fields.includes(field)) throw new Error(`${field} is not an indexed field of ${table.table}`);
  return column(field);
}

function valueAt(doc: object, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], doc);
}

function sqlValue(value: unknown): string | number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return typeof value === 'number' || typeof value === 'string' ? value : JSON.stringify(value);
}
