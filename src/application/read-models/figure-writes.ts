import { FigureBucket, figureDeltas, withDelta } from '../../../projections/population-figure';
import { BucketIncrement } from '../../ports/projector-partitions.port';
import { CollectionWrites, ReadStore } from '../../ports/read-store.port';
import { collectionName, figureCollectionName, GenerationWriter } from './generations';

/**
 * The buckets of a generation's population figures once `changed` documents are committed: each document's
 * contributions as committed (`known`: null for a document not stored; others read now) taken away and its
 * new ones added, in the same commit.
 */
export async function figureWrites(
  reads: ReadStore,
  writer: GenerationWriter,
  changed: ReadonlyMap<string, object | null>,
  known: ReadonlyMap<string, object | null> = new Map(),
): Promise<CollectionWrites[]> {
  const increments = await figureIncrements(reads, writer, changed, known);
  const byCollection = new Map<string, BucketIncrement[]>();
  for (const increment of increments) {
    const buckets = byCollection.get(increment.collection) ?? [];
    buckets.push(increment);
    byCollection.set(increment.collection, buckets);
  }
  return Promise.all(
    [...byCollection].map(async ([collection, buckets]) => {
      const stored = await reads.getMany<FigureBucket>(
        collection,
        buckets.map((increment) => increment.bucket),
      );
      const writes = buckets.map(({ bucket, delta }) => ({
        id: bucket,
        doc: withDelta(bucket, stored.get(bucket), delta),
      }));
      return { collection, writes };
    }),
  );
}

/**
 * What `changed` documents add to and take away from each bucket of a generation's population figures, as
 * increments: the partitioned projector has the database add them (several partitions commit into the same
 * buckets at once); figureWrites adds them to the stored buckets itself.
 */
export async function figureIncrements(
  reads: ReadStore,
  writer: GenerationWriter,
  changed: ReadonlyMap<string, object | null>,
  known: ReadonlyMap<string, object | null> = new Map(),
): Promise<BucketIncrement[]> {
  const { projection, generation } = writer;
  if (!projection.figures?.length || changed.size === 0) return [];
  const collection = collectionName(projection.name, generation);
  const unknown = [...changed.keys()].filter((id) => !known.has(id));
  const read = unknown.length > 0 ? await reads.getMany<object>(collection, unknown) : new Map();
  const changes = [...changed].map(
    ([id, after]) => [(known.has(id) ? known.get(id) : read.get(id)) ?? null, after] as const,
  );
  return projection.figures.flatMap((figure) => {
    const figureCollection = figureCollectionName(projection.name, figure.name, generation);
    return [...figureDeltas(figure, changes)].map(([bucket, delta]) => ({
      collection: figureCollection,
      bucket,
      delta,
    }));
  });
}
