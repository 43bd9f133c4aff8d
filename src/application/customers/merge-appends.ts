import { customerIdOfStream } from '../../domain/customer-events';
import { AppendRequest, AppendResult, EventStore } from '../../ports/event-store.port';
import { ReadStore } from '../../ports/read-store.port';
import { RecordingContext } from './command-envelope';

/** The read-store collection of merges whose two appends are under way (or were, when a process died). */
export const UNFINISHED_MERGES_COLLECTION = 'unfinished_merges';

/** A merge between its two appends, with who asked for it (the survivor's half is recorded in their name). */
export interface UnfinishedMerge {
  readonly survivorId: string;
  readonly duplicateId: string;
  readonly context: Omit<RecordingContext, 'now' | 'fieldPath'>;
}

/**
 * A merge's two appends. The streams a merge closes (CustomerMergedInto) are appended first, the rest after, so
 * that a merge never relies on a multi-stream append being atomic (the EventStoreDB adapter's is not): the
 * duplicate closed is the merge decided, the survivor's CustomerMerged its completion. The merge is written
 * down before the first append and struck out after the second; a crash between them is completed by the next
 * command to the duplicate (merge-routing.ts) or, at the latest, when a process starts
 * (CustomerLedger.completeUnfinishedMerges). Written down in the read store, beside the e-mail index, which is
 * written ahead of its events the same way.
 */
export class MergeAppends {
  constructor(private readonly reads: ReadStore) {}

  /** Appends the requests in one append, or in a merge's two steps (see above). */
  async append(
    store: EventStore,
    requests: readonly AppendRequest[],
    context: RecordingContext,
  ): Promise<AppendResult[]> {
    const closing = requests.filter(closesStream);
    if (closing.length === 0 || closing.length === requests.length) return store.append(requests);
    const merges = MergeAppends.of(closing, context);
    await this.begin(merges);
    const closed = await store.append(closing);
    const rest = await store.append(requests.filter((request) => !closesStream(request)));
    await this.end(merges);
    return requests.map((request) =>
      closesStream(request) ? closed[closing.indexOf(request)]! : rest.shift()!,
    );
  }

  prepare(): Promise<void> {
    return this.reads.ensureCollection(UNFINISHED_MERGES_COLLECTION, []);
  }

  /** The merges the requests close duplicates for (CustomerMergedInto), as they will be written down. */
  private static of(requests: readonly AppendRequest[], context: RecordingContext): UnfinishedMerge[] {
    const { now: _now, fieldPath: _fieldPath, ...recordedBy } = context;
    return requests.flatMap((request) =>
      request.events
        .filter((event) => event.type === 'CustomerMergedInto')
        .map((event) => ({
          survivorId: String(event.data.survivorId),
          duplicateId: customerIdOfStream(request.streamId),
          context: recordedBy,
        })),
    );
  }

  begin(merges: readonly UnfinishedMerge[]): Promise<void> {
    return this.write(merges.map((merge) => ({ id: merge.duplicateId, doc: merge })));
  }

  end(merges: readonly Pick<UnfinishedMerge, 'duplicateId'>[]): Promise<void> {
    return this.write(merges.map((merge) => ({ id: merge.duplicateId, doc: null })));
  }

  async list(): Promise<UnfinishedMerge[]> {
    const merges: UnfinishedMerge[] = [];
    for await (const merge of this.reads.scan<UnfinishedMerge>(UNFINISHED_MERGES_COLLECTION))
      merges.push(merge);
    return merges;
  }

  private async write(writes: { id: string; doc: UnfinishedMerge | null }[]): Promise<void> {
    if (writes.length > 0)
      await this.reads.commit([{ collection: UNFINISHED_MERGES_COLLECTION, writes }], {});
  }
}

const closesStream = (request: AppendRequest) =>
  request.events.some((event) => event.type === 'CustomerMergedInto');
