/** Injection token of the SubjectKeyStore port. */
export const SUBJECT_KEY_STORE = Symbol('SUBJECT_KEY_STORE');

/** A data key as stored: wrapped (encrypted) by the master key identified by `masterKeyId`. */
export interface WrappedKey {
  readonly masterKeyId: string;
  readonly wrapped: Buffer;
}

/** The data key of a subject, or the fact that it was destroyed by erasure. */
export type SubjectKey = WrappedKey | 'erased';

/**
 * Per-subject data keys, kept apart from the events so that destroying a key shreds every ciphertext made
 * with it (crypto-shredding). Only wrapped keys are ever stored.
 */
export interface SubjectKeyStore {
  /**
   * What `destroy` does to a key's bytes in this backend, exactly, as the erasure report states it: where they
   * are gone for good and where copies may remain (still wrapped by the master key).
   */
  readonly keyDestruction: string;

  /** The keys of the given subjects that exist (or were erased); subjects without a key are absent. */
  find(subjectIds: readonly string[]): Promise<Map<string, SubjectKey>>;

  /**
   * Stores a key for each subject that has none yet and returns every subject's key as stored afterwards:
   * when two writers race, both get the winner's key. An erased subject stays erased.
   */
  getOrCreate(
    subjectIds: readonly string[],
    createKey: (subjectId: string) => WrappedKey,
  ): Promise<Map<string, SubjectKey>>;

  /**
   * Destroys a subject's data key for good (crypto-shredding) and leaves a tombstone so that no key is ever
   * created for the subject again. The key's bytes must not survive in the store's files.
   */
  destroy(subjectId: string): Promise<'destroyed' | 'already-erased' | 'no-key'>;

  /**
   * Master-key rotation: offers every live key to `rewrap`, and stores what it returns in place of the old
   * wrapping (undefined keeps the key as it is). Events are never rewritten. Returns how many keys changed.
   */
  rewrapAll(rewrap: (subjectId: string, key: WrappedKey) => WrappedKey | undefined): Promise<number>;

  close(): Promise<void>;
}
