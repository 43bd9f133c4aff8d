/** Named counts held by one bucket of a population figure (a month, a stage): counter name -> count. */
export type Counters = Readonly<Record<string, number>>;

/**
 * A figure about the whole population kept up to date from one projection's documents, so that a question
 * about all customers reads a few buckets instead of every customer (or, with buckets named by customer, a
 * question about one customer reads a few buckets instead of all their documents: customer-pages). Each document contributes counters to
 * some buckets (a pure function of the document); when the runner changes a document it takes the old
 * contributions away and adds the new ones, in the same commit as the document. The figure is therefore
 * exact, crash-safe and rebuilt with its projection, whatever path changed the document (live folding, a
 * merge, a retry of parked events).
 */
export interface PopulationFigure<Doc extends object> {
  readonly name: string;
  /** What one document adds to each bucket, by bucket id; nothing for a document that is not counted. */
  contributions(doc: Doc): ReadonlyMap<string, Counters>;
}

/** A bucket as stored: its id and counters (a bucket whose counters are all zero is deleted). */
export interface FigureBucket {
  readonly bucket: string;
  readonly counters: Counters;
}

/** The change each bucket takes when documents go from `before` to `after` (null: no document); only changes. */
export function figureDeltas<Doc extends object>(
  figure: PopulationFigure<Doc>,
  changes: Iterable<readonly [before: Doc | null, after: Doc | null]>,
): Map<string, Record<string, number>> {
  const deltas = new Map<string, Record<string, number>>();
  const add = (doc: Doc | null, sign: 1 | -1) => {
    if (doc === null) return;
    for (const [bucket, counters] of figure.contributions(doc)) {
      const delta = deltas.get(bucket) ?? {};
      for (const [name, count] of Object.entries(counters)) delta[name] = (delta[name] ?? 0) + sign * count;
      deltas.set(bucket, delta);
    }
  };
  for (const [before, after] of changes) {
    if (before === after) continue;
    add(before, -1);
    add(after, 1);
  }
  // What a change left as it was is no change: a document whose contributions stayed the same (a fold that
  // touched other fields) writes no bucket.
  for (const [bucket, delta] of deltas) {
    for (const [name, count] of Object.entries(delta)) if (count === 0) delete delta[name];
    if (Object.keys(delta).length === 0) deltas.delete(bucket);
  }
  return deltas;
}

/** The bucket with a delta added, counters that reach zero dropped; null when nothing is left. */
export function withDelta(
  bucket: string,
  stored: FigureBucket | undefined,
  delta: Counters,
): FigureBucket | null {
  const counters: Record<string, number> = { ...stored?.counters };
  for (const [name, change] of Object.entries(delta)) {
    const count = (counters[name] ?? 0) + change;
    if (count === 0) delete counters[name];
    else counters[name] = count;
  }
  return Object.keys(counters).length === 0 ? null : { bucket, counters };
}

/** Adds counters into a running total (for sums over buckets). */
export function addCounters(total: Map<string, number>, counters: Counters, sign: 1 | -1 = 1): void {
  for (const [name, count] of Object.entries(counters)) {
    const next = (total.get(name) ?? 0) + sign * count;
    if (next === 0) total.delete(name);
    else total.set(name, next);
  }
}
