import { FigureBucket, figureDeltas, withDelta } from '../../../projections/population-figure';
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
  const { projection, generation } = writer;
  if (!projection.figures?.length || changed.size === 0) return [];
  const collection = collectionName(projection.name, generation);
  const unknown = [...changed.keys()].filter((id) => !known.has(id));
  const read = unknown.length > 0 ? await reads.getMany<object>(collection, unknown) : new Map();
  const changes = [...changed].map(
    ([id, after]) => [(known.has(id) ? known.get(id) : read.get(id)) ?? null, after] as const,
  );
  return Promise.all(
    projection.figures.map(async (figure) => {
      const deltas = figureDeltas(figure, changes);
      const figureCollection = figureCollectionName(projection.name, figure.name, generation);
      const stored = await reads.getMany<FigureBucket>(figureCollection, [...deltas.keys()]);
      const writes = [...deltas].map(([bucket, delta]) => ({
        id: bucket,
        doc: withDelta(bucket, stored.get(bucket), delta),
      }));
      return { collection: figureCollection, writes };
    }),
  );
}
