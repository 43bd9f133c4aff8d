import { ProjectedEvent, Projection } from './projection';

/** What folding events did to a projection's documents. */
export interface Folded<Doc extends object> {
  /** Every document an event went to, as it stands after them: null when evolve deleted it or it merged away. */
  readonly documents: Map<string, Doc | null>;
  /** Events whose evolve threw, with the error; their document stays as it was before them. */
  readonly failures: { readonly event: ProjectedEvent; readonly error: unknown; readonly inMerge: boolean }[];
  /** Events that went to a document (a merge counts once). */
  readonly folded: number;
}

/**
 * The one fold of the read side, for live folds, rebuilds, retries of parked events, what-if runs, as-of reads
 * and the tests: each event goes to its document (`documentId`; none: ignored) and `evolve`s it; a null result
 * deletes the document. `before(id)` is a document as it stood before these events (asked once per id, null
 * when there is none).
 *
 * A merge (a CustomerMerged whose merged records' events `mergedRecords` holds by its position, see
 * eventsOfMergedRecords) derives every document those events went to anew, from nothing and as the survivor's;
 * the documents of the records merged away become null.
 */
export function foldEvents<Doc extends object>(
  projection: Projection<Doc>,
  events: Iterable<ProjectedEvent>,
  before: (id: string) => Doc | null = () => null,
  mergedRecords: ReadonlyMap<number, readonly ProjectedEvent[]> = new Map(),
): Folded<Doc> {
  const documents = new Map<string, Doc | null>();
  const failures: Folded<Doc>['failures'] = [];
  let folded = 0;
  for (const event of events) {
    const group = event.type === 'CustomerMerged' ? mergedRecords.get(event.position) : undefined;
    if (group) {
      folded++;
      const merged = refold(projection, group);
      merged.documents.forEach((doc, id) => documents.set(id, doc));
      failures.push(...merged.failures.map((failure) => ({ ...failure, inMerge: true })));
      continue;
    }
    const id = projection.documentId(event);
    if (id === undefined) continue;
    folded++;
    try {
      documents.set(id, projection.evolve(documents.has(id) ? documents.get(id)! : before(id), event));
    } catch (error) {
      failures.push({ event, error, inMerge: false });
    }
  }
  return { documents, failures, folded };
}

/** A merge's documents derived from nothing: every document its records' events went to, the records' own ones null. */
function refold<Doc extends object>(projection: Projection<Doc>, group: readonly ProjectedEvent[]) {
  const documents = new Map<string, Doc | null>();
  const failures: { event: ProjectedEvent; error: unknown }[] = [];
  for (const event of group) {
    const own = projection.documentId({ ...event, customerId: event.subjectId });
    if (own !== undefined) documents.set(own, null);
  }
  for (const event of group) {
    const id = projection.documentId(event);
    if (id === undefined) continue;
    try {
      documents.set(id, projection.evolve(documents.get(id) ?? null, event));
    } catch (error) {
      failures.push({ event, error });
    }
  }
  return { documents, failures };
}
