import { periodCover } from '../../projections/period-figures';
import { figureDeltas, FigureBucket, PopulationFigure, withDelta } from '../../projections/population-figure';

/** A figure's buckets counted afresh from documents, as the runner keeps them. */
export function bucketsOf<Doc extends object>(
  figure: PopulationFigure<Doc>,
  docs: Iterable<Doc>,
): FigureBucket[] {
  // Every document added at once: one delta per bucket, summed over the documents.
  const added = [...docs].map((doc) => [null, doc] as const);
  return [...figureDeltas(figure, added)]
    .map(([bucket, delta]) => withDelta(bucket, undefined, delta))
    .filter((bucket): bucket is FigureBucket => bucket !== null)
    .sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
}

const counted = new WeakMap<object, WeakMap<object, FigureBucket[]>>();

/** bucketsOf, once for each figure and list of documents. */
function bucketsOnce<Doc extends object>(
  figure: PopulationFigure<Doc>,
  docs: readonly Doc[],
): FigureBucket[] {
  const byDocs = counted.get(figure) ?? new WeakMap<object, FigureBucket[]>();
  counted.set(figure, byDocs);
  let buckets = byDocs.get(docs);
  if (!buckets) byDocs.set(docs, (buckets = bucketsOf(figure, docs)));
  return buckets;
}

/** What ReadModels.periodFigure reads, over documents in memory: the covering buckets and the cut documents. */
export function periodFigureReads<Doc extends object>(
  docs: readonly Doc[],
  figures: { readonly months: PopulationFigure<Doc>; readonly days: PopulationFigure<Doc> },
  customersByDay: PopulationFigure<Doc>,
  customerOf: (doc: Doc) => string,
  cutDays: readonly string[],
): { buckets: FigureBucket[]; cutDocuments: Doc[] } {
  const cover = periodCover(cutDays);
  const days = new Set(cover.days);
  const cut = new Set(cutDays);
  const ids = new Set(
    bucketsOnce(customersByDay, docs)
      .filter(({ bucket }) => cut.has(bucket))
      .flatMap(({ counters }) => Object.keys(counters)),
  );
  return {
    buckets: [
      ...bucketsOnce(figures.months, docs).filter(({ bucket }) => cover.wholeMonth(bucket)),
      ...bucketsOnce(figures.days, docs).filter(({ bucket }) => days.has(bucket)),
    ],
    cutDocuments: docs.filter((doc) => ids.has(customerOf(doc))),
  };
}
