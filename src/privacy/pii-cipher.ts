import { createCipheriv, createDecipheriv, createHash, randomFillSync } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SubjectKeyStore, WrappedKey } from '../ports/subject-key-store.port';

/** Prefix of an encrypted field value: `enc:v1:` + base64(iv | tag | ciphertext). */
const ENCRYPTED_PREFIX = 'enc:v1:';
/** What a read shows for a personal-data field whose key was destroyed. */
export const ERASED_VALUE = '[erased]';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts and decrypts personal-data fields with AES-256-GCM under a per-subject data key. Each ciphertext
 * is bound to its subject and field name (additional authenticated data), so values cannot be swapped.
 */
export class PiiCipher {
  private readonly masterKeyId: string;
  /** The current master key and the previous ones still accepted for unwrapping, by id. */
  private readonly masterKeys: Map<string, Buffer>;
  private readonly dataKeys = new LRUCache<string, Buffer>({ max: 50_000 });

  /**
   * `keepKeys` false: a data key is forgotten as soon as the fields it decrypts are, so that no copy outlives an
   * erasure in a thread that never hears of it (a read worker).
   */
  constructor(
    private readonly keyStore: SubjectKeyStore,
    private readonly masterKey: Buffer,
    previousMasterKeys: readonly Buffer[] = [],
    private readonly keepKeys = true,
  ) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.masterKeyId = masterKeyIdOf(masterKey);
    this.masterKeys = new Map([...previousMasterKeys, masterKey].map((key) => [masterKeyIdOf(key), key]));
  }

  /** Rewraps every data key still wrapped by a previous master key with the current one. */
  rotateMasterKey(): Promise<number> {
    return this.keyStore.rewrapAll((subjectId, key) =>
      key.masterKeyId === this.masterKeyId ? undefined : this.wrap(subjectId, this.unwrap(subjectId, key)),
    );
  }

  /**
   * Returns copies of each record with the named fields encrypted under its subject's data key, creating
   * keys for subjects that have none. Throws SubjectErasedError for a subject whose key was destroyed.
   */
  async encryptFields<T extends Record<string, unknown>>(
    records: readonly { subjectId: string; fields: readonly string[]; data: T }[],
  ): Promise<T[]> {
    const needingKeys = records.filter((record) =>
      record.fields.some((field) => typeof record.data[field] === 'string'),
    );
    const keys = await this.loadKeys(
      needingKeys.map((record) => record.subjectId),
      true,
    );
    return records.map(({ subjectId, fields, data }) => {
      const copy: Record<string, unknown> = { ...data };
      for (const field of fields) {
        const value = copy[field];
        if (typeof value === 'string')
          copy[field] = this.encrypt(keys.get(subjectId)!, subjectId, field, value);
      }
      return copy as T;
    });
  }

  /** A copy with the named fields decrypted, or shown as ERASED_VALUE when the subject's key is gone. */
  async decryptFields<T extends Record<string, unknown>>(
    subjectId: string,
    fields: readonly string[],
    data: T,
  ): Promise<T> {
    const copy: Record<string, unknown> = { ...data };
    const encrypted = fields.filter((field) => isEncrypted(copy[field]));
    if (encrypted.length === 0) return data;
    const key = (await this.loadKeys([subjectId], false)).get(subjectId);
    for (const field of encrypted) {
      copy[field] = key ? this.decrypt(key, subjectId, field, copy[field] as string) : ERASED_VALUE;
    }
    if (!this.keepKeys) this.forget(subjectId);
    return copy as T;
  }

  /** Forgets a cached data key, e.g. after erasure. */
  forget(subjectId: string): void {
    this.dataKeys.delete(subjectId);
  }

  /** The data keys of the subjects (none for an erased one), cached; created where `create` says so. */
  private async loadKeys(subjectIds: readonly string[], create: boolean): Promise<Map<string, Buffer>> {
    const loaded = new Map<string, Buffer>();
    const missing: string[] = [];
    for (const subjectId of new Set(subjectIds)) {
      const cached = this.dataKeys.get(subjectId);
      if (cached) loaded.set(subjectId, cached);
      else missing.push(subjectId);
    }
    if (missing.length === 0) return loaded;
    const keys = create
      ? await this.keyStore.getOrCreate(missing, (subjectId) => this.wrap(subjectId, randomBytes(32)))
      : await this.keyStore.find(missing);
    for (const subjectId of missing) {
      const key = keys.get(subjectId);
      if (key === 'erased' && create) throw new SubjectErasedError(subjectId);
      if (key && key !== 'erased') {
        loaded.set(subjectId, this.unwrap(subjectId, key));
        this.dataKeys.set(subjectId, loaded.get(subjectId)!);
      }
    }
    return loaded;
  }

  private encrypt(key: Buffer, subjectId: string, field: string, plaintext: string): string {
    const sealed = seal(key, `${subjectId}:${field}`, Buffer.from(plaintext, 'utf8'));
    return ENCRYPTED_PREFIX + sealed.toString('base64');
  }

  private decrypt(key: Buffer, subjectId: string, field: string, value: string): string {
    const sealed = Buffer.from(value.slice(ENCRYPTED_PREFIX.length), 'base64');
    return open(key, `${subjectId}:${field}`, sealed).toString('utf8');
  }

  private wrap(subjectId: string, dataKey: Buffer): WrappedKey {
    return { masterKeyId: this.masterKeyId, wrapped: seal(this.masterKey, `data-key:${subjectId}`, dataKey) };
  }

  private unwrap(subjectId: string, key: WrappedKey): Buffer {
    const masterKey = this.masterKeys.get(key.masterKeyId);
    if (!masterKey) {
      throw new Error(
        `the data key of ${subjectId} is wrapped by master key ${key.masterKeyId}, which is not configured`,
      );
    }
    return open(masterKey, `data-key:${subjectId}`, key.wrapped);
  }
}

/** Random bytes from the CSPRNG, filled this many at a time (see randomBytes). */
const RANDOM_POOL_BYTES = 16 * 1024;
let randomPool = Buffer.alloc(0);
let randomPoolUsed = 0;

/**
 * Fresh random bytes (data keys and IVs), cut from a pool that the CSPRNG fills 16 KiB at a time: a call into
 * it costs 3-6 us for 12 bytes and about 26 us for 16 KiB, and a registration needs five or six such values.
 * Each byte is handed out once, as a copy of its own, and zeroed in the pool; the pool is refilled, never
 * reused.
 */
function randomBytes(size: number): Buffer {
  if (randomPoolUsed + size > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafe(Math.max(RANDOM_POOL_BYTES, size)));
    randomPoolUsed = 0;
  }
  const bytes = Buffer.from(randomPool.subarray(randomPoolUsed, randomPoolUsed + size));
  randomPool.fill(0, randomPoolUsed, randomPoolUsed + size);
  randomPoolUsed += size;
  return bytes;
}

/** AES-256-GCM: iv | tag | ciphertext, authenticated together with `context`. */
function seal(key: Buffer, context: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

function open(key: Buffer, context: string, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

function masterKeyIdOf(masterKey: Buffer): string {
  return createHash('sha256').update(masterKey).digest('hex').slice(0, 16);
}

export function isEncrypted(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENCRYPTED_PREFIX);
}

export class SubjectErasedError extends Error {
  constructor(readonly subjectId: string) {
    super(`the data key of ${subjectId} was destroyed by erasure`);
    this.name = 'SubjectErasedError';
  }
}
