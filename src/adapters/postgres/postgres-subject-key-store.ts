import { Pool } from 'pg';
import { SubjectKey, SubjectKeyStore, WrappedKey } from '../../ports/subject-key-store.port';
import { inTransaction, migrate, openPool, PostgresConnectionOptions } from './postgres-connection';

interface KeyRow {
  subject_id: string;
  master_key_id: string | null;
  wrapped_key: Buffer | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subject_keys (
  subject_id text PRIMARY KEY,
  master_key_id text,
  wrapped_key bytea,
  erased_at timestamptz
);
`;

/**
 * Data keys in the PostgreSQL table `subject_keys`, one row per subject; erasure turns the row into a
 * tombstone (key columns NULL, `erased_at` set) that no later insert can fill again.
 *
 * PostgreSQL never overwrites a row in place: an UPDATE writes a new row version and leaves the old one,
 * with the key's bytes, until VACUUM reclaims it. So erasure and rotation VACUUM the table right after
 * their commit; what remains beyond that (bytes in a page's free space until reused, WAL segments until
 * recycled, archives, backups, replicas) is described in docs/postgresql.md. The bytes there stay wrapped
 * by the master key.
 */
export async function createPostgresSubjectKeyStore(
  options: PostgresConnectionOptions,
): Promise<SubjectKeyStore> {
  const pool = openPool(options, 2);
  try {
    await migrate(pool, options, async (client) => {
      await client.query(SCHEMA);
    });
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresSubjectKeyStore(pool);
}

class PostgresSubjectKeyStore implements SubjectKeyStore {
  readonly keyDestruction =
    'PostgreSQL subject_keys: data key set to NULL (tombstone) and the table VACUUMed, so the old row version is no longer in the table; PostgreSQL does not zero bytes: they may remain in the page until it is reused, in WAL segments until recycled, in WAL archives, replicas and backups (wrapped by the master key; see docs/postgresql.md)';

  constructor(private readonly pool: Pool) {}

  async find(subjectIds: readonly string[]): Promise<Map<string, SubjectKey>> {
    const unique = [...new Set(subjectIds)];
    if (unique.length === 0) return new Map();
    const { rows } = await this.pool.query<KeyRow>(
      'SELECT subject_id, master_key_id, wrapped_key FROM subject_keys WHERE subject_id = ANY($1::text[])',
      [unique],
    );
    const byId = new Map(rows.map((row) => [row.subject_id, toSubjectKey(row)]));
    return new Map(unique.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!]));
  }

  /** Inserts the missing keys, leaving a key or tombstone that won a race alone, and reads back the winners. */
  async getOrCreate(
    subjectIds: readonly string[],
    createKey: (subjectId: string) => WrappedKey,
  ): Promise<Map<string, SubjectKey>> {
    const existing = await this.find(subjectIds);
    const missing = [...new Set(subjectIds)].filter((subjectId) => !existing.has(subjectId));
    if (missing.length === 0) return existing;
    const keys = missing.map((subjectId) => createKey(subjectId));
    await this.pool.query(
      `INSERT INTO subject_keys (subject_id, master_key_id, wrapped_key)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) ON CONFLICT (subject_id) DO NOTHING`,
      [missing, keys.map((key) => key.masterKeyId), keys.map((key) => key.wrapped)],
    );
    return this.find(subjectIds);
  }

  async destroy(subjectId: string): Promise<'destroyed' | 'already-erased' | 'no-key'> {
    const outcome = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ live: boolean }>(
        'SELECT wrapped_key IS NOT NULL AS live FROM subject_keys WHERE subject_id = $1 FOR UPDATE',
        [subjectId],
      );
      if (rows[0] && !rows[0].live) return 'already-erased' as const;
      await client.query(
        `INSERT INTO subject_keys (subject_id, master_key_id, wrapped_key, erased_at) VALUES ($1, NULL, NULL, now())
         ON CONFLICT (subject_id) DO UPDATE SET master_key_id = NULL, wrapped_key = NULL,
           erased_at = coalesce(subject_keys.erased_at, excluded.erased_at)`,
        [subjectId],
      );
      return rows[0] ? ('destroyed' as const) : ('no-key' as const);
    });
    if (outcome === 'destroyed') await this.pool.query('VACUUM subject_keys');
    return outcome;
  }

  /**
   * One transaction over every live key, each replaced only if `rewrap` gives a new wrapping; the old
   * wrappings' row versions are then VACUUMed away like an erased key's.
   */
  async rewrapAll(rewrap: (subjectId: string, key: WrappedKey) => WrappedKey | undefined): Promise<number> {
    const changed = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<KeyRow>(
        `SELECT subject_id, master_key_id, wrapped_key FROM subject_keys
         WHERE wrapped_key IS NOT NULL ORDER BY subject_id FOR UPDATE`,
      );
      const next = rows.flatMap((row) => {
        const rewrapped = rewrap(row.subject_id, toSubjectKey(row) as WrappedKey);
        return rewrapped ? [{ subjectId: row.subject_id, key: rewrapped }] : [];
      });
      if (next.length > 0) {
        await client.query(
          `UPDATE subject_keys SET master_key_id = next.master_key_id, wrapped_key = next.wrapped_key
           FROM unnest($1::text[], $2::text[], $3::bytea[]) AS next (subject_id, master_key_id, wrapped_key)
           WHERE subject_keys.subject_id = next.subject_id`,
          [
            next.map((one) => one.subjectId),
            next.map((one) => one.key.masterKeyId),
            next.map((one) => one.key.wrapped),
          ],
        );
      }
      return next.length;
    });
    if (changed > 0) await this.pool.query('VACUUM subject_keys');
    return changed;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toSubjectKey(row: KeyRow): SubjectKey {
  return row.wrapped_key && row.master_key_id
    ? { masterKeyId: row.master_key_id, wrapped: row.wrapped_key }
    : 'erased';
}
