/** A field path of a document, ascending or descending, for the read store's indexes and sorts. */
export type IndexKey = readonly [field: string, order: 1 | -1];

/** Injection token of the ReadStore port. */
export const READ_STORE = Symbol('READ_STORE');

/** A document to store under its id, or null to delete it. */
export interface DocumentWrite {
  readonly id: string;
  readonly doc: object | null;
}

export interface CollectionWrites {
  readonly collection: string;
  readonly writes: readonly DocumentWrite[];
}

export interface FindQuery {
  /** Equality on fields. */
  readonly where?: Readonly<Record<string, string | number | boolean>>;
  /** The field is one of the values. */
  readonly oneOf?: { readonly field: string; readonly values: readonly (string | number)[] };
  /** Inclusive bounds on one field. */
  readonly range?: { readonly field: string; readonly from?: string | number; readonly to?: string | number };
  /** Sort keys, all in the same direction. */
  readonly sort: readonly IndexKey[];
  /** Keyset pagination: continue after the document with these sort values. */
  readonly after?: readonly (string | number)[];
  readonly limit?: number;
}

/**
 * Documents by collection and id, the indexed queries the API needs, and checkpoints. Every adapter passes
 * test/contract/read-store.contract.ts. Writes and checkpoints of one commit are atomic.
 */
export interface ReadStore {
  /**
   * Creates a collection with indexes on the given keys, if it does not exist yet. With `deferIndexes` the
   * indexes are only declared and built by `buildIndexes`: filling a fresh collection is faster without them.
   */
  ensureCollection(
    collection: string,
    indexes: readonly (readonly IndexKey[])[],
    options?: { readonly deferIndexes?: boolean },
  ): Promise<void>;
  /** Builds the declared indexes of a collection (a no-op for those that exist). */
  buildIndexes(collection: string): Promise<void>;
  dropCollection(collection: string): Promise<void>;

  /** Stores documents of several collections and advances checkpoints, all or nothing. */
  commit(writes: readonly CollectionWrites[], checkpoints: Readonly<Record<string, number>>): Promise<void>;

  get<T extends object>(collection: string, id: string): Promise<T | undefined>;
  getMany<T extends object>(collection: string, ids: readonly string[]): Promise<Map<string, T>>;
  find<T extends object>(collection: string, query: FindQuery): Promise<T[]>;
  /** Every document of a collection, optionally within a range on one indexed field, in batches. */
  scan<T extends object>(collection: string, range?: FindQuery['range']): AsyncIterable<T>;

  /** The last position folded into the read models named by `checkpointName`, 0 when none. */
  checkpoint(checkpointName: string): Promise<number>;

  /** Small JSON values about projections (active generation, status), kept with the read models. */
  getState<T>(key: string): Promise<T | undefined>;
  setState(key: string, value: unknown): Promise<void>;

  close(): Promise<void>;
}
