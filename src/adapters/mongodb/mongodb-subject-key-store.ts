import { Binary, MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import { databaseName, MongoStoreOptions } from './mongodb-read-store';
import { SubjectKey, SubjectKeyStore, WrappedKey } from '../../ports/subject-key-store.port';

/** A subject's key, or its tombstone once erased (no key fields, `erasedAt` set). */
interface KeyDoc {
  _id: string;
  masterKeyId?: string;
  wrapped?: Buffer | Uint8Array | Binary;
  erasedAt?: Date;
}

const DUPLICATE_KEY = 11000;
const REWRAP_BATCH = 500;

/**
 * Data keys in the MongoDB collection `subject_keys`, one document per subject. A key is stored with an
 * upsert whose fields are all `$setOnInsert`: when two writers race for a subject, one insert wins, the other
 * upsert matches the winner's document and changes nothing (a duplicate-key error of the race is taken the
 * same way), and both read back the winner's key. Erasure turns the document into a tombstone (key fields
 * unset, `erasedAt` kept from the first erasure) that no later upsert can fill again.
 *
 * Limit: MongoDB has no counterpart to SQLite's secure_delete. Unsetting the fields removes the key from the
 * document, but the wrapped key's bytes can survive for a while in WiredTiger's free space and journal, in
 * the replica set's oplog until it rolls over, and in backups. They stay wrapped by the master key; keep the
 * oplog window and backup retention in the erasure policy (or rotate the master key) for a complete shred.
 * Writes use majority write concern, so an acknowledged key or tombstone survives a failover.
 */
export async function createMongoSubjectKeyStore(
  url: string,
  options: MongoStoreOptions = {},
): Promise<SubjectKeyStore> {
  // promoteBuffers: the wrapped keys come back as Buffers, as the port's WrappedKey has them.
  const client = new MongoClient(url, { promoteBuffers: true, writeConcern: { w: 'majority' } });
  await client.connect();
  const keys = client.db(options.dbName ?? databaseName(url)).collection<KeyDoc>('subject_keys');

  const find = async (subjectIds: readonly string[]) => {
    const unique = [...new Set(subjectIds)];
    const rows = unique.length > 0 ? await keys.find({ _id: { $in: unique } }).toArray() : [];
    const byId = new Map(rows.map((row) => [row._id, toSubjectKey(row)]));
    return new Map(unique.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!]));
  };

  return {
    keyDestruction:
      'MongoDB subject_keys: data key fields unset (tombstone), majority write concern; MongoDB does not zero bytes: they may remain in WiredTiger free space and journal, in the oplog until it rolls over, and in backups (wrapped by the master key)',
    find,
    async getOrCreate(subjectIds, createKey) {
      const existing = await find(subjectIds);
      const missing = [...new Set(subjectIds)].filter((subjectId) => !existing.has(subjectId));
      if (missing.length === 0) return existing;
      try {
        await keys.bulkWrite(
          missing.map((subjectId) => {
            const key = createKey(subjectId);
            return {
              updateOne: {
                filter: { _id: subjectId },
                update: { $setOnInsert: { masterKeyId: key.masterKeyId, wrapped: key.wrapped } },
                upsert: true,
              },
            };
          }),
          { ordered: false },
        );
      } catch (error) {
        if (!isDuplicateKeyRace(error)) throw error;
      }
      return find(subjectIds);
    },
    async rewrapAll(rewrap) {
      let changed = 0;
      // Batches by id, each key replaced only while it still has the wrapping it was read with: a key erased
      // or rewrapped meanwhile is left alone. Not one transaction: a rotation cut short is resumed by running
      // it again (rewrap answers undefined for the keys already under the new master key).
      for (let afterId: string | undefined; ;) {
        const rows = await keys
          .find({ wrapped: { $exists: true }, ...(afterId !== undefined && { _id: { $gt: afterId } }) })
          .sort({ _id: 1 })
          .limit(REWRAP_BATCH)
          .toArray();
        const updates = rows.flatMap((row) => {
          const key = toSubjectKey(row);
          if (key === 'erased') return [];
          const next = rewrap(row._id, key);
          if (!next) return [];
          return [
            {
              updateOne: {
                filter: { _id: row._id, masterKeyId: key.masterKeyId, wrapped: key.wrapped },
                update: { $set: { masterKeyId: next.masterKeyId, wrapped: next.wrapped } },
              },
            },
          ];
        });
        if (updates.length > 0) changed += (await keys.bulkWrite(updates, { ordered: false })).modifiedCount;
        if (rows.length < REWRAP_BATCH) return changed;
        afterId = rows[rows.length - 1]!._id;
      }
    },
    async destroy(subjectId) {
      const before = await keys.findOneAndUpdate(
        { _id: subjectId },
        { $unset: { masterKeyId: '', wrapped: '' }, $min: { erasedAt: new Date() } },
        { upsert: true, returnDocument: 'before' },
      );
      if (!before) return 'no-key';
      return before.wrapped ? 'destroyed' : 'already-erased';
    },
    async close() {
      await client.close();
    },
  };
}

function toSubjectKey(row: KeyDoc): SubjectKey {
  if (!row.wrapped || !row.masterKeyId) return 'erased';
  const stored = row.wrapped;
  // A Buffer with promoteBuffers; a Binary for other BSON subtypes.
  const wrapped = Buffer.isBuffer(stored)
    ? stored
    : Buffer.from(stored instanceof Uint8Array ? stored : stored.value());
  return { masterKeyId: row.masterKeyId, wrapped } satisfies WrappedKey;
}

/** Upserts of one subject raced and this one's insert lost: the winner's key is there to read. */
function isDuplicateKeyRace(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    return writeErrors.length > 0 && writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY);
  }
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}
