import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
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
  if (file !== ':memory:') ownerOnly(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durable ? 'FULL' : 'NORMAL'}`);
    if (options.secureDelete) db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 10000');
    return db;
  } catch (error) {
    db.close();
    // SQLite says "file is not a database" without saying which: the operator needs the file.
    throw new Error(`cannot open ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The data files hold personal data (encrypted or not) and keys: readable and writable by the service's user
 * only. The file is made 0600 before SQLite opens it, and SQLite gives its -wal and -shm files the main file's
 * permissions; files left wider by an earlier version are narrowed.
 */
function ownerOnly(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(each)) chmodSync(each, 0o600);
  }
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
