import { openDatabase } from './open-database';
import { SubjectKey, SubjectKeyStore, WrappedKey } from '../../ports/subject-key-store.port';

interface KeyRow {
  subject_id: string;
  master_key_id: string | null;
  wrapped_key: Buffer | null;
}

/**
 * Data keys in a SQLite file of their own, with secure_delete on so that a destroyed key's bytes are
 * overwritten in the file rather than left in free pages.
 */
export function createSqliteSubjectKeyStore(file: string): SubjectKeyStore {
  const db = openDatabase(file, { durable: true, secureDelete: true });
  db.exec(`CREATE TABLE IF NOT EXISTS subject_keys (
    subject_id TEXT PRIMARY KEY,
    master_key_id TEXT,
    wrapped_key BLOB,
    erased_at TEXT
  )`);
  const select = db.prepare<[string], KeyRow>(
    'SELECT subject_id, master_key_id, wrapped_key FROM subject_keys WHERE subject_id = ?',
  );
  const insert = db.prepare<[string, string, Buffer]>(
    'INSERT INTO subject_keys (subject_id, master_key_id, wrapped_key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const findAll = (subjectIds: readonly string[]) => {
    const found = new Map<string, SubjectKey>();
    for (const subjectId of subjectIds) {
      const row = select.get(subjectId);
      if (row) found.set(subjectId, toSubjectKey(row));
    }
    return found;
  };
  /** In a write transaction: the key a subject has, or the one created for it here, is the one stored. */
  const getOrCreate = db.transaction(
    (subjectIds: readonly string[], createKey: (subjectId: string) => WrappedKey) => {
      const keys = new Map<string, SubjectKey>();
      for (const subjectId of subjectIds) {
        const row = select.get(subjectId);
        if (row) {
          keys.set(subjectId, toSubjectKey(row));
          continue;
        }
        const key = createKey(subjectId);
        insert.run(subjectId, key.masterKeyId, key.wrapped);
        keys.set(subjectId, key);
      }
      return keys;
    },
  );

  const tombstone = db.prepare<[string, string]>(
    `INSERT INTO subject_keys (subject_id, master_key_id, wrapped_key, erased_at) VALUES (?, NULL, NULL, ?)
     ON CONFLICT (subject_id) DO UPDATE SET master_key_id = NULL, wrapped_key = NULL, erased_at = excluded.erased_at`,
  );
  const destroy = db.transaction((subjectId: string) => {
    const row = select.get(subjectId);
    if (row && !row.wrapped_key) return 'already-erased' as const;
    tombstone.run(subjectId, new Date().toISOString());
    return row ? ('destroyed' as const) : ('no-key' as const);
  });

  const liveKeys = db.prepare<[], KeyRow>(
    'SELECT subject_id, master_key_id, wrapped_key FROM subject_keys WHERE wrapped_key IS NOT NULL',
  );
  const replace = db.prepare<[string, Buffer, string]>(
    'UPDATE subject_keys SET master_key_id = ?, wrapped_key = ? WHERE subject_id = ? AND wrapped_key IS NOT NULL',
  );
  const rewrapAll = db.transaction(
    (rewrap: (subjectId: string, key: WrappedKey) => WrappedKey | undefined) => {
      let changed = 0;
      for (const row of liveKeys.all()) {
        const next = rewrap(row.subject_id, toSubjectKey(row) as WrappedKey);
        if (!next) continue;
        replace.run(next.masterKeyId, next.wrapped, row.subject_id);
        changed++;
      }
      return changed;
    },
  );

  return {
    keyDestruction:
      'SQLite keys.db: data key overwritten with NULL (tombstone), its old bytes zeroed in the page by secure_delete, WAL checkpointed and truncated: no copy left in the files (backups of them are not touched)',
    async rewrapAll(rewrap) {
      const changed = rewrapAll.immediate(rewrap);
      db.pragma('wal_checkpoint(TRUNCATE)');
      return changed;
    },
    async destroy(subjectId) {
      const outcome = destroy.immediate(subjectId);
      // secure_delete zeroed the old row in its page; the checkpoint moves that page into the main file and
      // truncates the WAL, so no copy of the key's bytes stays in either file.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return outcome;
    },
    async find(subjectIds) {
      return findAll(subjectIds);
    },
    async getOrCreate(subjectIds, createKey) {
      return getOrCreate.immediate(subjectIds, createKey);
    },
    async close() {
      db.close();
    },
  };
}

function toSubjectKey(row: KeyRow): SubjectKey {
  return row.wrapped_key && row.master_key_id
    ? { masterKeyId: row.master_key_id, wrapped: row.wrapped_key }
    : 'erased';
}
