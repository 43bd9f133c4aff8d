import { customerIdOfStream } from '../../domain/customer-events';
import { AppendRequest } from '../../ports/event-store.port';
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
 * The merges written down before their first append and struck out after their second, so that a process
 * starting up finds those a crash left half done (CustomerLedger.completeUnfinishedMerges). Kept in the read
 * store beside the e-mail index, which is written ahead of its events the same way.
 */
export class UnfinishedMerges {
  constructor(private readonly reads: ReadStore) {}

  prepare(): Promise<void> {
    return this.reads.ensureCollection(UNFINISHED_MERGES_COLLECTION, []);
  }

  /** The merges the requests close duplicates for (CustomerMergedInto), as they will be written down. */
  static of(requests: readonly AppendRequest[], context: RecordingContext): UnfinishedMerge[] {
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
