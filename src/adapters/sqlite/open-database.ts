import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Opens one of the embedded SQLite files in WAL mode. `durable` fsyncs every commit (events, keys);
 * otherwise a power cut may lose the last commits (read models, which are folded again). `secureDelete`
 * overwrites deleted content so that erased or expired data leaves no bytes in the file.
 */
export function openDatabase(
  file: string,
  options: { durable: boolean; secureDelete?: boolean },
): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durable ? 'FULL' : 'NORMAL'}`);
  if (options.secureDelete) db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 10000');
  return db;
}

/**
 * Prepared statements by SQL text, so that queries built at run time (limits, filters) are prepared once.
 * Bounded: past `max` distinct texts the cache starts over.
 */
export function statementCache(db: Database.Database, max = 256) {
  const statements = new Map<string, Database.Statement<unknown[]>>();
  return <Row>(sql: string): Database.Statement<unknown[], Row> => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= max) statements.clear();
      statement = db.prepare<unknown[]>(sql);
      statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], Row>;
  };
}
